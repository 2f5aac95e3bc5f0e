"""Inputs that are not what they seem: line breaks YAML counts, files that are not files, text from
inputs on the terminal and in markdown. Each case is one finding of issue 14.
"""

from __future__ import annotations

import yaml

from resnetc.front.source import Source


def test_source_counts_the_line_breaks_yaml_counts() -> None:
    """NEL, U+2028 and U+2029 end a line for PyYAML, so they end one for `Source` too."""
    text = "a: 1 # x\u2028b: 2 # y\x85c: 3 # z\u2029d: 4\r\ne: 5\rf: [\n"
    source = Source("t.yaml", text)
    try:
        yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
    else:  # pragma: no cover - the text ends inside a flow list
        raise AssertionError("PyYAML accepted an unclosed flow list")
    assert source.position(mark.index) == (mark.line + 1, mark.column + 1)
    assert [source.line_text(n) for n in range(1, source.line_count + 1)] == [
        "a: 1 # x",
        "b: 2 # y",
        "c: 3 # z",
        "d: 4",
        "e: 5",
        "f: [",
        "",
    ]
    for key in "abcdef":
        index = text.index(f"{key}:")
        loader = yaml.SafeLoader(text)
        while True:
            token = loader.get_token()
            if getattr(token, "value", None) == key:
                break
        assert source.position(index) == (token.start_mark.line + 1, token.start_mark.column + 1)
