"""`resnetc schema [-o FILE]`: the JSON Schema of the spec format, for editors and validators."""

from __future__ import annotations

import argparse

from .writing import add_output, to_output

HELP = "print the JSON Schema of the spec format"
DESCRIPTION = """\
Print the JSON Schema (draft 2020-12) of resnetc's spec format, generated from the compiler's
own models: every key, its description, the options' choices. Point a YAML language server at
it (a `# yaml-language-server: $schema=resnetc.schema.json` first line) for completion and
checks while editing a spec."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc schema`."""
    add_output(parser, "the schema")


def run(args: argparse.Namespace) -> int:
    """Print or write the schema."""
    from ..front.schema import text

    return to_output(text(), args, "json", "schema", "")
