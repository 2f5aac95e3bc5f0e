"""`resnetc decompile CHECKPOINT -o SPEC.yaml`: read a ResNet checkpoint back into its table."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import reporting
from ._common import ascii_digits, positive_number
from .writing import add_force, blocked, exists, is_directory, output_name, write_file

if TYPE_CHECKING:
    from ..checkpoint.weights import StagedWeights

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
        size = parse_input(ascii_digits(text))
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


def _rate(text: str) -> float:
    try:
        value = float(ascii_digits(text))
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a rate from 0 up to 1, not {text!r}")
    return value


def _strides(text: str) -> tuple[int, ...]:
    parts = ascii_digits(text).split(",")
    if not all(re.fullmatch("[0-9]{1,2}", p.strip()) and 0 < int(p) <= 16 for p in parts):
        raise argparse.ArgumentTypeError(f"expected strides like 1,2,2,2, not {text!r}")
    return tuple(int(p) for p in parts)


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
        type=positive_number,
        metavar="N",
        help="conv1's stride (default: 2 for a 7x7 stem, 1 for a 3x3 one)",
    )
    parser.add_argument(
        "--classes",
        type=positive_number,
        metavar="N",
        help="give a checkpoint without fc (a headless backbone) an N-way classifier",
    )
    parser.add_argument(
        "--anti-alias",
        choices=("blur", "avg"),
        help="anti-aliased downsampling, which weights cannot show (timm's resnetblur*: blur,"
        " resnetaa*: avg)",
    )
    parser.add_argument(
        "--drop-path",
        type=_rate,
        metavar="RATE",
        help="stochastic depth rate (timm's drop_path_rate; training only, no weights)",
    )
    parser.add_argument(
        "--norm-groups",
        type=positive_number,
        metavar="G",
        help="the groups of a GroupNorm checkpoint's norms, which weights cannot show (default:"
        " timm's 32)",
    )
    parser.add_argument(
        "--strides",
        type=_strides,
        metavar="S,S,...",
        help="each stage's stride (default: 1 for the first, 2 after; HF's"
        " downsample_in_first_stage: 2,2,2,2)",
    )
    parser.add_argument(
        "--avg-down",
        action="store_true",
        help="a timm ResNetV2 whose projections average-pool first (resnetv2_*d: DownsampleAvg)",
    )
    parser.add_argument(
        "--weights-out",
        metavar="FILE",
        type=output_name,
        help="where the checkpoint's names differ from the generated module's (HF, timm's"
        " ResNetV2), write its tensors under the module's names (.pth or .safetensors)",
    )
    add_force(parser, "a SPEC.yaml (and the --weights-out file)")
    reporting.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Decompile, write the spec atomically, print what was recognised; 1 if refused."""
    from ..files import output
    from ..front.diagnostics import CompileError
    from ..front.source import printable

    to_stdout = args.output == "-"
    if not to_stdout and is_directory(args.output):
        print(
            f"resnetc: error: -o {printable(args.output)} is a directory; name the spec file",
            file=sys.stderr,
        )
        return 2
    target = output.Target(Path(args.output), "", printable(args.checkpoint), "yaml")
    if args.weights_out is not None:
        code = _weights_obstacle(args)
        if code:
            return code
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
    weights = _weights_out(args, result) if args.weights_out is not None else None
    if weights is not None and weights.code:
        return weights.code
    staged = weights.staged if weights is not None else None
    try:
        if to_stdout:
            sys.stdout.write(result.spec)
        else:
            code = write_file(
                result.spec, args.output, "yaml", "decompile", args.checkpoint, args.force, True
            )
            if code:
                if staged is not None:
                    staged.undo()  # the weights file is as it was: nothing written
                return code
    except BaseException:
        if staged is not None:
            staged.undo()
        raise
    if staged is not None:
        staged.done()
    print("\n".join(printable(line) for line in result.summary()), file=report)
    if weights is not None:
        print(weights.said, file=report)
    reporter.report(result.analysis.warnings, result.analysis.source)
    if not to_stdout:
        print(
            f"wrote {printable(args.output)}; compile it with: resnetc compile"
            f" {printable(args.output)} -o DIR",
            file=report,
        )
    return 0


def _weights_obstacle(args: argparse.Namespace) -> int:
    """Refuse, before any work, a `--weights-out` that names a directory or the spec file, or a
    file that exists (weights carry no mark of resnetc's, so only --force replaces one)."""
    from ..front.source import printable

    path, shown = Path(args.weights_out), printable(args.weights_out)
    if is_directory(path):  # '' is a usage error already (output_name)
        print(
            f"resnetc: error: --weights-out {shown} is a directory; name the weights"
            " file (.pth or .safetensors)",
            file=sys.stderr,
        )
        return 2
    if args.output != "-" and path.absolute() == Path(args.output).absolute():
        print(
            f"resnetc: error: --weights-out {shown} is the -o file; give the weights a file of"
            " their own",
            file=sys.stderr,
        )
        return 2
    from ..files.output import obstacle

    why = obstacle(path, force=True)  # even --force replaces only a regular file (or a link)
    if why is not None:
        print(
            f"{shown}: error: this file {why}; refusing to replace it with the weights of"
            f" {printable(args.checkpoint)}\n  = help: choose another --weights-out file\n"
            "resnetc: nothing written",
            file=sys.stderr,
        )
        return 1
    if exists(path) and not args.force:
        print(
            f"{shown}: error: this file exists; refusing to replace it with the weights of"
            f" {printable(args.checkpoint)}\n  = help: move it away or choose another"
            " --weights-out file, or pass --force to replace it\nresnetc: nothing written",
            file=sys.stderr,
        )
        return 1
    return 0


class _Weights(NamedTuple):
    """What `--weights-out` did: the exit code so far, the weights put in place (to be taken
    back if the spec cannot be written), the report."""

    code: int
    staged: StagedWeights | None
    said: str


def _weights_out(args: argparse.Namespace, result) -> _Weights:
    """The checkpoint's tensors under the generated module's names, in place before the spec is
    written (and taken back if it cannot be), or why none are needed."""
    from ..checkpoint.weights import stage_weights
    from ..front.source import printable

    renamed = result.renamed
    if renamed is None or not renamed.renamed:
        said = (
            f"--weights-out: {printable(args.checkpoint)} already has the generated module's"
            " names; it loads as it is, nothing written"
        )
        return _Weights(0, None, said)
    staged = None
    try:
        staged = stage_weights(args.checkpoint, renamed, args.weights_out)
        staged.put_in_place(args.force)
    except OSError as exc:
        if staged is not None:
            staged.undo()
        why = exc.strerror or str(exc)
        print(
            f"resnetc: error: cannot write {printable(args.weights_out)}: {printable(why)}\n"
            "resnetc: nothing written",
            file=sys.stderr,
        )
        return _Weights(1, None, "")
    said = (
        f"wrote {printable(args.weights_out)}: {staged.count} tensors under the generated"
        " module's names (load it with strict=True)"
    )
    return _Weights(0, staged, said)


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
        anti_alias=args.anti_alias,
        drop_path=args.drop_path,
        norm_groups=args.norm_groups,
        strides=args.strides,
        avg_down=True if args.avg_down else None,
        filename="<stdout>" if args.output == "-" else args.output,
    )
