"""The stable code of every kind of diagnostic, for editors and CI (`--diagnostics-format json`).

A lint carries its name as its code (front/lintnames.py). Every other diagnostic is classified by
what it says: `CODES` lists each kind once, with the pattern of its message and what it means, in
the order they are tried. docs/diagnostics.md prints this table, and a test checks that every
diagnostic of the golden corpus gets a code of its own (never `UNCLASSIFIED`), so a new kind of
message comes with its code.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .diagnostics import Diagnostic
from .lintnames import LINTS


class Code(NamedTuple):
    """One kind of diagnostic: its code, the pattern of its message, and what it is."""

    code: str
    pattern: str
    what: str


UNCLASSIFIED = "unclassified"
"""The code of a message no entry matches (a test keeps the golden corpus free of it)."""

CODES: tuple[Code, ...] = (
    # reading the file
    Code(
        "file-unreadable",
        r"^cannot read this file",
        "the file cannot be opened or is not a regular file",
    ),
    Code(
        "file-too-large",
        r"^the file is larger than|may be at most [\d,]+ characters$|^a spec may be at most",
        "the file is over the size limit",
    ),
    Code(
        "file-encoding",
        r"^the file is (UTF-16|UTF-32|not UTF-8)|resnetc reads UTF-8",
        "the file is not UTF-8 text",
    ),
    Code("file-binary", r"^the file is binary|holds a NUL byte", "the file is binary"),
    Code(
        "file-empty",
        r"^the spec is empty|^the file is empty|holds no table rows",
        "the file holds nothing",
    ),
    Code(
        "char-not-allowed",
        r"is not allowed in a YAML file|^unreadable text",
        "a character YAML does not allow",
    ),
    Code("digit-not-ascii", r"is not an ASCII digit", "a decimal digit of another script"),
    # YAML
    Code("yaml-tab", r"^a tab cannot indent YAML", "a tab in the indentation"),
    Code(
        "yaml-escape",
        r"^a backslash in double quotes starts a YAML escape|^this LaTeX cell is in double quotes",
        "LaTeX in double quotes",
    ),
    Code(
        "yaml-repeat-outside-quotes",
        r"is outside the quotes",
        "a cell's `x N` after its closing quote",
    ),
    Code("yaml-text-after-quote", r"^text after the closing quote", "text after a quoted value"),
    Code(
        "yaml-quote-open",
        r"^this quote is (not closed on its line|never closed)",
        "a quote left open",
    ),
    Code("yaml-unquoted-cell", r"^this table cell must be quoted", "an unquoted table cell"),
    Code(
        "yaml-missing-colon",
        r"is not followed by ':'$|^this line is neither a key",
        "a key without its colon",
    ),
    Code(
        "yaml-second-colon",
        r"^a second ':' in this line|^a ':' where YAML expects",
        "a colon inside a value",
    ),
    Code("yaml-stray-dash", r"^a '-' starts a list item", "a list item among a mapping's keys"),
    Code("yaml-indentation", r"^this line is indented", "indentation unlike the mapping's"),
    Code(
        "yaml-missing-comma",
        r"without a ',' between them",
        "two entries of a flow collection without a comma",
    ),
    Code("yaml-unclosed", r"^this '[\[{]' is never closed", "a bracket or brace left open"),
    Code("yaml-directive", r"^YAML directives", "a YAML directive"),
    Code(
        "yaml-anchor",
        r"start YAML anchors and aliases|^unknown alias",
        "an anchor or alias without a name",
    ),
    Code(
        "yaml-documents",
        r"^text after the end of the document|one YAML document; found a second",
        "more than one YAML document",
    ),
    Code("yaml-tag", r"^YAML tag .* is not allowed", "an explicit YAML tag"),
    Code("yaml-nesting", r"^YAML nested more than", "nesting beyond the limit"),
    Code(
        "yaml-aliases", r"^the document expands to more than", "aliases expanding beyond the limit"
    ),
    Code("yaml-key-not-text", r"^mapping keys must be plain text", "a mapping as a key"),
    Code("yaml-duplicate-key", r"^duplicate key", "a key given twice"),
    Code(
        "yaml-syntax", r"^YAML cannot read the spec here|^YAML error", "another YAML syntax error"
    ),
    # the spec's keys and values
    Code(
        "spec-not-mapping",
        r"^a spec should be a YAML mapping|should be a mapping",
        "a spec or a section that is not a mapping",
    ),
    Code("key-misspelt", r"^unknown key .*: a misspelling of", "a misspelt key"),
    Code("key-unknown", r"^unknown key", "a key the spec format does not have"),
    Code("key-missing", r"^missing key", "a required key left out"),
    Code(
        "name-invalid",
        r"^network name .* (is|contains|must|starts|would)|gives the class name",
        "a network name that cannot name the module",
    ),
    Code("stage-name-invalid", r"^stage name", "a stage name that cannot label the code"),
    Code(
        "stages-empty", r"needs at least one stage|should be a mapping of stage name", "no stages"
    ),
    Code(
        "value-unreadable",
        r"^cannot read |should be text like|is not true or false|is not one of:",
        "a value that cannot be read",
    ),
    Code(
        "lint-unknown",
        r"is not a lint resnetc has|^allow should be a list",
        "an unknown name under allow",
    ),
    Code(
        "number-too-large",
        r"is larger than the limit of|more than the limit of|is larger than \d+x\d+|may have at most|may be at most|may define at most",
        "a number or size over its limit",
    ),
    Code(
        "number-not-positive",
        r"must be at least 1, not|cannot be negative",
        "a number that is not positive",
    ),
    Code("kernel-not-square", r"^kernels must be square", "a kernel that is not square"),
    Code(
        "rate-out-of-range",
        r"^a rate is a probability",
        "a drop_path rate outside 0 up to 1",
    ),
    Code(
        "shortcut-kernel",
        r"^a projection shortcut's kernel is|^shortcut_kernel \d+x\d+ is not available",
        "a projection kernel resnetc does not write, or one its shortcut option cannot have",
    ),
    Code(
        "norm-groups",
        r"^a BatchNorm has no groups",
        "a group count given to BatchNorm (only GN has groups)",
    ),
    Code(
        "option-conflict",
        r"is not available with preact",
        "an option or row that pre-activation blocks do not have",
    ),
    Code(
        "attention-misplaced",
        r"^the fc row must come after|^a block has at most one attention row",
        "an attention row (fc or eca) out of place in a cell",
    ),
    Code(
        "attention-size",
        r"^the fc row goes back to|^ECA's 1-d kernel must be",
        "an attention row whose widths or kernel the block cannot have",
    ),
    # table cells
    Code(
        "cell-empty",
        r"^the table cell is empty|^a stage's list of cells is empty",
        "an empty cell, or a stage of no cells",
    ),
    Code(
        "cells-widths",
        r"^this cell ends at \d+ channels, the stage's first cell at",
        "a stage of several cells that do not end at one width",
    ),
    Code(
        "cell-syntax",
        r"^expected .*, found|^the cell ends where|^unexpected .* (in a table cell|after the cell's repeat count)|^this '\[' is never closed|^LaTeX command .* has no meaning",
        "a cell that is not in the notation",
    ),
    # shapes
    Code(
        "groups-do-not-divide",
        r"groups do not divide",
        "a group count that does not divide the channels",
    ),
    Code(
        "map-vanishes",
        r"the map has vanished|pool on a .* map leaves nothing|blur reflect-pads the map",
        "a map that shrinks to nothing",
    ),
    Code(
        "shortcut-mismatch",
        r"cannot be added to its shortcut's",
        "a block whose output and shortcut differ",
    ),
    Code(
        "option-a-reduces",
        r"^.*shortcut option A pads new channels",
        "option A asked to reduce channels",
    ),
    Code("expect-unknown-key", r"^expect names", "an expect key that names no layer"),
    Code(
        "expect-mismatch",
        r"comes out .*, but expect says|which is not /\d+$|differ too, as a result",
        "an output size unlike the expected one",
    ),
    # commands
    Code("expand-too-large", r"^--expand would print", "summary --expand over its limit"),
    Code(
        "verify-too-large",
        r"^verify --target \w+ would build",
        "verify --target keras|flax over its limit of layers",
    ),
    Code("names-mismatch", r"^--names gives", "--names naming a different number of columns"),
    Code(
        "verify-difference",
        r"^verify( \((keras|flax)\))?:",
        "the model its framework builds differs from the compiler's",
    ),
    Code(
        "target-cannot-write",
        r"^the \w+ target cannot write",
        "a construct the chosen target has not been taught (torch writes every one)",
    ),
    Code("file-clash", r"^two specs compile to", "two specs that compile to one file"),
    Code(
        "output-leftover",
        r"left over by an interrupted resnetc run",
        "a staging file an interrupted run left",
    ),
    # pasted tables
    Code(
        "table-layout",
        r"header|model column|this row has|this cell spans|cannot find this table's columns|this column has no header",
        "a table whose columns cannot be lined up",
    ),
    Code(
        "table-symbol-unbound",
        r"^the table writes this cell in the symbol",
        "a cell written in a symbol (the Wide ResNet paper's k, N) that has no value",
    ),
    Code("table-duplicate-name", r"^two .* are named", "two stages or model columns of one name"),
    Code(
        "table-rows",
        r"^the table has no (conv1|stage)|no layer name|a second (pool line|conv1 cell|.* cell)|has no cell for|cell of this row is empty|a pool line after|^cannot read the number of classes|network name out of the column header|no pool line|no head row",
        "a table whose rows do not make a network",
    ),
    Code(
        "table-latex",
        r"never closed by \\end|^expected '\{' here|closes nothing|is never closed|macros (expand|nest)|^a macro takes|\\multicolumn must span",
        "LaTeX that cannot be read",
    ),
    # checkpoints
    Code(
        "checkpoint-unsafe",
        r"^refusing to (unpickle|read) this",
        "a checkpoint resnetc will not load",
    ),
    Code(
        "checkpoint-unreadable",
        r"neither a PyTorch checkpoint|truncated or corrupt|needs torch|needs the safetensors|holds no tensors|no tensors found|is empty \(0 bytes\)|holds an empty dict|^cannot decompile|^the file holds|optimizer's state|no state_dict found",
        "a file that holds no state_dict resnetc can read",
    ),
    Code(
        "checkpoint-not-resnet",
        r"^conv1\.weight is missing|^layer1\.0\.conv1\.weight is missing|entries are not part of",
        "a checkpoint of another family",
    ),
    Code(
        "checkpoint-option",
        r"^--input asks for|^--classes \d+, but|^--norm-groups \d+, but|^fc\.weight is missing: the checkpoint has no classifier",
        "an option the weights contradict",
    ),
    Code(
        "checkpoint-layout",
        r"(has shape|is missing|exists)(:|,)",
        "a key or shape that does not fit the layout",
    ),
)
"""Every kind of diagnostic that is not a lint, most specific first."""

_COMPILED = tuple((c.code, re.compile(c.pattern)) for c in CODES)


def code_of(d: Diagnostic) -> str:
    """The stable code of `d`: its own (a lint's name), or the first kind whose pattern its
    message matches, else `UNCLASSIFIED`."""
    if d.code is not None:
        return d.code
    for code, pattern in _COMPILED:
        if pattern.search(d.message):
            return code
    return UNCLASSIFIED


WARNINGS = {
    "table-no-pool-line": "a pasted table whose sizes halve before conv2_x with no pool line",
    "table-no-head-row": "a pasted table without its head row (1000 classes assumed)",
}
"""The warnings that are not lints (they cannot be silenced: they say what was assumed)."""


def catalogue() -> list[tuple[str, str, str]]:
    """(code, severity, what) for every kind: the lints, the other warnings, then the errors."""
    rows = [(name, "warning", what) for name, what in {**LINTS, **WARNINGS}.items()]
    return rows + [(c.code, "error", c.what) for c in CODES]
