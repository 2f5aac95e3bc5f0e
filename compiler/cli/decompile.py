"""`resnetc decompile CHECKPOINT -o SPEC.yaml`: read a ResNet checkpoint back into its table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import reporting
from .writing import add_force, blocked, output_name, write_file

HELP = "read a ResNet checkpoint (.pt, .pth, .safetensors) back into a spec"
DESCRIPTION = """\
Read the names and shapes of CHECKPOINT's tensors (never its values, and never by running its
code: pickles are loaded with torch.load(weights_only=True), safetensors files from their header)
and write the network they describe as a spec in the ResNet paper's notation. The weights fix
every kernel, width, group count, repeat and shortcut, the input channels and the classes; what
they cannot tell (strides, the pool, the input size) follows the convention the stem points to,
and each such line of the spec says so and names the option that changes it. `resnetc compile`
then turns the spec into a module that loads the checkpoint with strict=True. Exits 1, writing
nothing, if the checkpoint is not a ResNet that resnetc can describe."""


def _size(text: str) -> tuple[int, ...]:
    from ..checkpoint.decompiler import parse_input
    from ..front import limits

    try:
        size = parse_input(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not all(1 <= v <= limits.MAX_INPUT_SIZE for v in size):
        raise argparse.ArgumentTypeError(
            f"{text!r}: each size may be from 1 to {limits.MAX_INPUT_SIZE:,} (MAX_INPUT_SIZE)"
        )
    return size


def _name(text: str) -> str:
    from ..checkpoint.decompiler import check_name

    try:
        return check_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 1 << 20:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc decompile`."""
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help=".pt, .pth or .safetensors file")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="SPEC.yaml",
        type=output_name,
        help="the spec to write ('-': print)",
    )
    parser.add_argument("--name", type=_name, help="the network's name (default: from its table)")
    parser.add_argument(
        "--input",
        type=_size,
        metavar="HxW[xC]",
        help="input size (default: 224x224 for a 7x7 stem, 32x32 for a 3x3 one)",
    )
    parser.add_argument(
        "--downsample-at",
        choices=("3x3", "1x1"),
        help="where a bottleneck's stride sits (default 3x3, torchvision's v1.5; 1x1: the paper)",
    )
    parser.add_argument(
        "--no-pool", action="store_true", help="no 3x3 max pool after a 7x7 stem's conv1"
    )
    parser.add_argument(
        "--stem-stride",
        type=_positive,
        metavar="N",
        help="conv1's stride (default: 2 for a 7x7 stem, 1 for a 3x3 one)",
    )
    parser.add_argument(
        "--classes",
        type=_positive,
        metavar="N",
        help="give a checkpoint without fc (a headless backbone) an N-way classifier",
    )
    add_force(parser, "a SPEC.yaml")
    reporting.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Decompile, write the spec atomically, print what was recognised; 1 if refused."""
    from ..files import output
    from ..front.diagnostics import CompileError
    from ..front.source import printable

    to_stdout = args.output == "-"
    if not to_stdout and Path(args.output).is_dir():
        print(
            f"resnetc: error: -o {printable(args.output)} is a directory; name the spec file",
            file=sys.stderr,
        )
        return 2
    target = output.Target(Path(args.output), "", printable(args.checkpoint), "yaml")
    if not to_stdout and blocked([target], args.force, "-o file"):  # before the work, as after it
        print("resnetc: nothing written", file=sys.stderr)
        return 1
    reporter = args.reporter
    try:
        result = _decompile(args)
        if reporter.werror and result.analysis.warnings:
            raise CompileError(reporter.strict(result.analysis.warnings), result.analysis.source)
    except CompileError as exc:
        reporter.refused(exc)
        reporter.say("resnetc: nothing written")
        return 1
    report = sys.stderr if to_stdout else sys.stdout
    if to_stdout:
        sys.stdout.write(result.spec)
    else:
        code = write_file(
            result.spec, args.output, "yaml", "decompile", args.checkpoint, args.force, quiet=True
        )
        if code:
            return code
    print("\n".join(printable(line) for line in result.summary()), file=report)
    reporter.report(result.analysis.warnings, result.analysis.source)
    if not to_stdout:
        print(
            f"wrote {printable(args.output)}; compile it with: resnetc compile"
            f" {printable(args.output)} -o DIR",
            file=report,
        )
    return 0


def _decompile(args: argparse.Namespace):
    from ..checkpoint.decompiler import decompile

    return decompile(
        args.checkpoint,
        name=args.name,
        input=args.input,
        downsample_at=args.downsample_at,
        pool=False if args.no_pool else None,
        stem_stride=args.stem_stride,
        classes=args.classes,
        filename="<stdout>" if args.output == "-" else args.output,
    )
