"""Custom tables: anything sound builds, matches the shape pass layer by layer and counts exactly;
anything unsound is refused (the refusals are golden cases in tests/cases/bad_*).

Every table here is built on torch's meta device (no memory, no weights) and run once with hooks on
every module the IR names: each layer's output shape must equal the shape pass's, the parameter
count must equal torch's, and the multiply-adds must equal FlopCounterMode's flops / 2.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from resnetc.core import costs  # noqa: E402
from resnetc.pipeline import analyze, compile_spec  # noqa: E402
from tests.test_models import load_module  # noqa: E402

IMAGENET_STEM = "stem:\n  conv1: 7x7, 64, /2\n  pool: 3x3 max, /2\n"
SMALL_STEM = "stem:\n  conv1: 3x3, 16\n"


def table(name: str, input_: str, stages: dict[str, str], stem: str = SMALL_STEM, **options) -> str:
    """A spec with `stages` (name -> cell, or name -> 'cell | stride N') and `options`."""
    lines = [f"name: {name}", f"input: {input_}", "classes: 10", stem.rstrip(), "stages:"]
    for stage, cell in stages.items():
        if "|" in cell:
            cell, stride = (part.strip() for part in cell.split("|"))
            lines += [f"  {stage}:", f'    cell: "{cell}"', f"    {stride.replace(' ', ': ')}"]
        else:
            lines.append(f'  {stage}: "{cell}"')
    if options:
        lines += ["options:", *(f"  {k}: {v}" for k, v in options.items())]
    return "\n".join(lines) + "\n"


B3 = "[[3x3,{0}],[3x3,{0}],[3x3,{0}]]"  # three 3x3 rows
BOTTLENECK = "[[1x1,{0}],[3x3,{0}],[1x1,{1}]]"
FOUR = "[[1x1,{0}],[3x3,{0}],[3x3,{0}],[1x1,{1}]]"
AVG_STEM = "stem:\n  conv1: 5x5, 16, stride 2\n  pool: 2x2 avg, /2\n"

SOUND = {
    "three_rows_gray": table(
        "three_rows",
        "64x64x1",
        {"s1": B3.format(32) + " x 2", "s2": B3.format(64) + " x 2"},
    ),
    "four_rows_4ch": table(
        "four_rows",
        "64x64x4",
        {"s1": FOUR.format(16, 64) + " x 2", "s2": FOUR.format(32, 128) + " x 2"},
    ),
    "five_by_five": table(
        "k5", "40x40x3", {"s1": "[[5x5,16],[5x5,16]] x 2", "s2": "[[5x5,32],[5x5,32]] x 1"}
    ),
    "one_by_one_only": table(
        "pointwise",
        "32x32x3",
        {"s1": "[[1x1,16],[1x1,16]] x 3", "s2": "[[1x1,32],[1x1,32]] x 2"},
    ),
    "non_square_512x384": table(
        "wide_input",
        "512x384x3",
        {"c2": "[[3x3,8],[3x3,8]] x 1", "c3": "[[3x3,16],[3x3,16]] x 1"},
        stem=IMAGENET_STEM,
    ),
    "six_stages": table(
        "six", "128x128x3", {f"s{i}": f"[[3x3,{8 << i}],[3x3,{8 << i}]] x 1" for i in range(6)}
    ),
    "one_stage_one_block": table("single", "8x8x3", {"only": "[[3x3,16],[3x3,16]] x 1"}),
    "odd_input_33": table(
        "odd",
        "33x33x3",
        {f"s{i}": f"[[3x3,{16 << i}],[3x3,{16 << i}]] x {i + 1}" for i in range(3)},
    ),
    "stride_overrides": table(
        "strides",
        "64x64x3",
        {
            "s1": "[[3x3,16],[3x3,16]] x 2 | stride 2",
            "s2": "[[3x3,32],[3x3,32]] x 2 | stride 1",
            "s3": "[[3x3,64],[3x3,64]] x 1",
        },
    ),
    "mixed_expansions": table(
        "mixed",
        "32x32x3",
        {"s1": BOTTLENECK.format(16, 64) + " x 2", "s2": BOTTLENECK.format(32, 64) + " x 2"},
    ),
    "no_one_expansion": table(
        "odd",
        "32x32x3",
        {"s1": BOTTLENECK.format(6, 18) + " x 2", "s2": BOTTLENECK.format(5, 10) + " x 2"},
    ),
    "grouped_generic": table(
        "grouped",
        "32x32x3",
        {"s1": "[[3x3,32,C=4],[3x3,32,C=2]] x 2", "s2": "[[3x3,64,C=8],[3x3,64]] x 1"},
    ),
    "grouped_1x1": table("g1x1", "32x32x3", {"s1": "[[1x1,32,C=2],[3x3,32,C=4],[1x1,64,C=2]] x 2"}),
    "option_a_bottleneck": table(
        "a_bottleneck",
        "32x32x3",
        {"s1": BOTTLENECK.format(16, 64) + " x 2", "s2": BOTTLENECK.format(32, 128) + " x 2"},
        shortcut="A",
    ),
    "option_c_generic": table(
        "c_generic",
        "32x32x3",
        {"s1": B3.format(16) + " x 2", "s2": B3.format(32) + " x 2"},
        shortcut="C",
    ),
    "v1_generic": table(
        "v1",
        "32x32x3",
        {"s1": FOUR.format(16, 32) + " x 1", "s2": FOUR.format(32, 64) + " x 2"},
        downsample_at="1x1",
    ),
    "preact_generic": table(
        "pre_generic",
        "32x32x3",
        {"s1": B3.format(16) + " x 2", "s2": B3.format(32) + " x 2"},
        preact="true",
    ),
    "preact_imagenet_stem": table(
        "pre_imagenet",
        "96x96x3",
        {"c2": BOTTLENECK.format(16, 64) + " x 2", "c3": BOTTLENECK.format(32, 128) + " x 1"},
        stem=IMAGENET_STEM,
        preact="true",
    ),
    "avg_pool_stem": table("avgstem", "64x64x3", {"s1": "[[3x3,16],[3x3,16]] x 1"}, stem=AVG_STEM),
}


def modules_by_name(model) -> dict[str, object]:
    return dict(model.named_modules())


@pytest.mark.parametrize("case", sorted(SOUND))
def test_sound_table_builds_and_matches_the_analysis(case: str) -> None:
    text = SOUND[case]
    analysis = analyze(text, f"{case}.yaml")
    net = analysis.network
    module = load_module(net.name, compile_spec(text, f"{case}.yaml"))
    with torch.device("meta"):
        model = getattr(module, net.name)()
    named = modules_by_name(model)
    seen: dict[str, tuple[int, ...]] = {}
    expected = {c.name: tuple(c.output) for c in costs.layers(net)}
    for name in expected:
        assert name in named, f"{case}: the model has no {name}"
        named[name].register_forward_hook(
            lambda m, i, o, name=name: seen.__setitem__(name, tuple(o.shape[1:]))
        )
    with FlopCounterMode(display=False) as flops:
        model(torch.empty(1, *net.input, device="meta"))
    fc = seen.pop("fc")
    assert fc == (net.classes,)
    expected.pop("fc")
    assert seen == expected
    params, macs = costs.totals(net)
    assert sum(p.numel() for p in model.parameters()) == params
    assert flops.get_total_flops() == 2 * macs


def test_the_battery_covers_every_block_class() -> None:
    """The sound tables exercise basic, bottleneck and generic classes, pre-activated or not."""
    kinds = set()
    for case, text in SOUND.items():
        net = analyze(text, f"{case}.yaml").network
        kinds |= {(k.pattern, k.preact, k.grouped) for k in net.block_kinds}
    assert {
        ("basic", False, False),
        ("bottleneck", False, False),
        ("generic", False, True),
    } <= kinds
    assert {("generic", True, False), ("bottleneck", True, False)} <= kinds


def test_widths_of_their_own_share_torchvisions_bottleneck() -> None:
    """64 outputs from a 16- and a 32-wide 3x3: planes 16 and expansion 4 both times, as in
    torchvision; the second passes its own `width`, as ResNeXt and Wide ResNet do."""
    net = analyze(SOUND["mixed_expansions"], "mixed.yaml").network
    (kind,) = net.block_kinds
    assert (kind.pattern, kind.expansion) == ("bottleneck", 4)
    assert [b.args for b in net.stages[1].blocks] == [
        ("64", "16", "width=32", "stride=2"),
        ("64", "16", "width=32"),
    ]


def test_bottlenecks_no_one_expansion_fits_fall_back_to_a_generic_block() -> None:
    """18 = 3 x 6 and 10 = 2 x 5, neither divisible by 4: no one `expansion` holds both."""
    net = analyze(SOUND["no_one_expansion"], "odd.yaml").network
    assert [k.pattern for k in net.block_kinds] == ["generic"]
