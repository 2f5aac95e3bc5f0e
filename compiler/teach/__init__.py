"""Teaching outputs: the explain walk (markdown and the HTML page), the diagram, the stage and
layer tables, and the paper's FLOPs row."""
