"""The network itself: the IR, lowering a spec into it, the shape pass and the costs."""
