"""`resnetc import-table FILE -o DIR`: a pasted Table 1 -> DIR/<name>.yaml for each model column."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..front import limits
from ..front.diagnostics import CompileError
from ..front.notation import BY
from ..front.source import printable
from . import reporting
from ._common import ascii_digits, positive_number, read_bytes
from .writing import add_force, exists, is_directory, output_name, write

HELP = "turn a pasted Table 1 (LaTeX or a web copy) into one spec per model column"
DESCRIPTION = """\
Read the paper's Table 1 as it circulates: its LaTeX source (tabular, \\multicolumn, bmatrix
cells, the paper's own macros) or a copy from a web page (cells separated by tabs, '|' as in
markdown, or '&'). Take the layer-name and output-size columns and write one spec per model column
(18-layer -> DIR/resnet18.yaml), with the expect block filled from the output-size column. Every
spec is compiled and checked before anything is written; if any column fails, nothing is written.
A file is replaced only if resnetc wrote it and it was not edited since (its first line says so),
unless --force is given. FILE may be '-' for stdin."""


def _input_size(text: str) -> str:
    number, by = r"[0-9]{1,9}", rf"\s*{BY}\s*"
    if not re.fullmatch(rf"\s*{number}{by}{number}{by}{number}\s*", ascii_digits(text)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 224x224x3 (H x W x C)")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc import-table`."""
    parser.add_argument("table", metavar="FILE", help="the pasted table ('-' reads stdin)")
    parser.add_argument(
        "-o", "--output", required=True, metavar="DIR", type=output_name, help="output directory"
    )
    add_force(parser, "spec files")
    parser.add_argument(
        "--names",
        metavar="A,B,...",
        help="network names for the model columns, left to right (default: from the header,"
        " 18-layer -> resnet18)",
    )
    parser.add_argument(
        "--input",
        type=_input_size,
        metavar="HxWxC",
        help="input size (default: the table's input row, else 224x224x3)",
    )
    parser.add_argument(
        "--shortcut",
        choices=("A", "B", "C"),
        help="the shortcut option, which tables do not print (default: B, 1x1 projections"
        " where a block changes shape; the paper's CIFAR-10 networks use A)",
    )
    parser.add_argument(
        "--bind",
        metavar="S=V,...",
        help="values of the symbols a table's cells are written in (the Wide ResNet paper's"
        " k and N: --bind k=10,N=4; a column named like wrn_28_10 binds them itself)",
    )
    parser.add_argument(
        "--classes",
        type=positive_number,
        metavar="N",
        help="the classes of a table without an fc row (default 1000; CIFAR-10's tables: 10)",
    )
    reporting.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Import the table; write every spec, or nothing; 0, or 1 if the table was refused."""
    from ..files import output
    from ..files.markers import stamp
    from ..tables import importer as importtable

    out_dir = Path(args.output)
    if exists(out_dir) and not is_directory(out_dir):
        print(f"resnetc: error: -o {printable(args.output)} is not a directory", file=sys.stderr)
        return 2
    reporter = args.reporter
    try:
        data, name, label = _read(args.table, out_dir)
        source = importtable.decode_table(data, name)
        specs, warnings = importtable.import_table(
            source, label, args.names, args.input, args.shortcut, args.bind, args.classes
        )
        if reporter.werror and warnings:
            raise CompileError(reporter.strict(warnings), source)
    except CompileError as exc:
        reporter.refused(exc)
        reporter.say("resnetc: the table was refused; nothing written")
        return 1
    reporter.report(warnings, source)
    files = [
        output.Target(
            output.target_path(out_dir, s.name, ".yaml"),
            stamp("yaml", s.text, "import-table", label),
            label,
            "yaml",
        )
        for s in specs
    ]
    changed = write(files, args.force)  # all or nothing
    if changed is None:
        return 1
    for file, s in zip(files, specs, strict=True):
        verb = "wrote" if file in changed else "unchanged"
        short = s.shortcut.split(" (", 1)[0]
        print(f"{verb} {printable(str(file.path))} ({printable(s.title)} column, {short})")
    hints = {s.hint for s in specs if s.hint}
    for hint in sorted(hints):
        print(f"note: {hint}")
    return 0


def _read(table: str, out_dir: Path) -> tuple[bytes, str, str]:
    """The table's bytes, its name in diagnostics, and its name in the written specs' header."""
    from ..files.output import spec_label

    if table == "-":
        return sys.stdin.buffer.read(limits.MAX_SPEC_BYTES + 1), "<stdin>", "<stdin>"
    return read_bytes(table), table, spec_label(table, out_dir)
