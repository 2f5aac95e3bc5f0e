"""`resnetc explain`: the walk through a network, golden for six tables, and its parts checked
against the IR, the shape pass and the generated module.

Regenerate the golden walks with `pytest --regen-golden` after an intended change.
"""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resnetc.core.shapes import out_size
from resnetc.pipeline import analyze
from resnetc.targets.torch.emit import render
from resnetc.teach.explanation import explain
from resnetc.teach.markdown import markdown
from resnetc.teach.size_formula import out_size_formula, out_size_text
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "explain"
WALKS = {
    "resnet34": "spec/resnet34.yaml",
    "resnet50": "spec/resnet50.yaml",
    "resnet50_v1": "tests/cases/t1_resnet50_v1/spec.yaml",
    "cifar_resnet20_a": "tests/explain/cifar_resnet20_a.yaml",
    "resnext50_32x4d": "tests/explain/resnext50_32x4d.yaml",
    "warn_design_rules": "tests/cases/warn_design_rules/spec.yaml",
    "pruned_eca": "tests/specs/pruned_eca.yaml",
}
SPECS = sorted(
    [str(p.relative_to(ROOT)) for p in ROOT.glob("spec/*.yaml")]
    + [str(p.relative_to(ROOT)) for p in GOLDEN.glob("*.yaml")]
    + [
        str(p.relative_to(ROOT))
        for p in ROOT.glob("tests/cases/*/spec.yaml")
        if (p.parent / "expected.py").exists()
    ]
    + ["tests/specs/pruned_eca.yaml"]
)
PRUNED = "tests/specs/pruned_eca.yaml"
"""A stage written as a list of 3 cells, the manner of timm's ecaresnet50d_pruned."""


def analysis(spec: str):
    return analyze((ROOT / spec).read_bytes(), spec)


def said(exp) -> str:
    """Every sentence and worked size of an explanation, one per line (unwrapped)."""
    lines = [w for p in exp.parts for w in p.words]
    lines += [f"{s.layer}  {s.op}  {s.text}" for p in exp.parts for s in p.steps]
    lines += [*exp.size_chain, *exp.size_words, exp.depth, *exp.cost_words, *exp.cost_table]
    lines += [f"{rendered}\n{words}" for rendered, words in exp.warnings]
    return "\n".join(lines)


@pytest.mark.parametrize("name", sorted(WALKS))
def test_golden_walk(name: str, golden) -> None:
    golden(GOLDEN / f"{name}.md", markdown(analysis(WALKS[name])))


@pytest.mark.parametrize("spec", SPECS)
def test_walk_fits_a_terminal(spec: str) -> None:
    text = markdown(analysis(spec))
    assert text.endswith("\n") and "\x1b" not in text and "\t" not in text
    wide = [line for line in text.splitlines() if len(line) > 100]
    assert wide == []


def test_the_paper_example_in_words() -> None:
    text = said(explain(analysis("spec/resnet50.yaml")))
    assert "`x 4` means 4 blocks, `layer2.0` to `layer2.3`" in text
    assert (
        "The first block, `layer2.0`, takes 256x56x56, enters with stride 2 and has a 1x1"
        " projection shortcut (`downsample`: conv 1x1/2 + BatchNorm) because 256->512 channels"
        " and 56->28." in text
    )
    assert "The other 3, `layer2.1` to `layer2.3`, take 512x28x28, keep the shape and add" in text
    assert "The stride sits on the 3x3, `layer2.0.conv2`" in text
    assert "conv1  7x7 conv, stride 2, padding 3  floor((224 + 2*3 - 7) / 2) + 1 = 112" in text
    assert "layer2.0.downsample.0  1x1 conv, stride 2, padding 0  floor((56 + 2*0 - 1)" in text
    assert "224 / 7 = 32 = 2 x 2 x 2 x 2 x 2" in text
    assert "Most parameters are in conv5_x (59%), then conv4_x (28%)" in text


def test_v1_puts_the_stride_on_the_first_1x1() -> None:
    text = said(explain(analysis("tests/cases/t1_resnet50_v1/spec.yaml")))
    assert "The stride sits on the first 1x1, `layer2.0.conv1`" in text
    step = "layer2.0.conv1  1x1 conv, stride 2, padding 0  floor((56 + 2*0 - 1) / 2) + 1 = 28"
    assert step in text


def test_option_a_and_groups_are_explained() -> None:
    cifar = said(explain(analysis("tests/explain/cifar_resnet20_a.yaml")))
    assert "parameter-free shortcut (option A, `ZeroPadShortcut`) because 16->32" in cifar
    assert "x[:, :, ::2, ::2]" in cifar and "32 / 8 = 4 = 2 x 2" in cifar
    resnext = said(explain(analysis("tests/explain/resnext50_32x4d.yaml")))
    assert "grouped convolution (C=32" in resnext and "32 groups of 4" in resnext


@given(st.integers(1, 4096), st.integers(1, 31), st.integers(1, 16), st.integers(0, 15))
def test_arithmetic_is_out_size_itself(size: int, kernel: int, stride: int, padding: int) -> None:
    text = out_size_text(size, kernel, stride, padding)
    expression, result = text.split(" = ")
    assert int(result) == out_size(size, kernel, stride, padding)
    assert re.fullmatch(r"[\d+\-*/() floor]+", expression)
    python = expression.replace("floor", "").replace(" / ", " // ")
    assert eval(python, {"__builtins__": {}}) == int(result)  # only digits and operators


def test_the_formula_is_read_from_out_size() -> None:
    assert out_size_formula() == "floor((size + 2*padding - kernel) / stride) + 1"


@pytest.mark.parametrize("spec", SPECS)
def test_each_stage_quotes_its_own_lines(spec: str) -> None:
    """The quoted lines are the stage's comment, its nn.Sequential and its forward call."""
    exp = explain(analysis(spec))
    net = exp.network
    lines = exp.module_lines
    assert exp.module == render(net, spec)
    tree = ast.parse(exp.module)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for part, stage in zip(exp.parts[-1 - len(net.stages) : -1], net.stages, strict=True):
        init, forward, *shared = part.code
        assert lines[init.start - 1].strip().startswith(f"# {stage.name}: ")
        assert lines[init.end - 1].strip() == ")"
        assert f"self.{stage.attr} = nn.Sequential(" in "\n".join(lines[init.start - 1 : init.end])
        assert lines[forward.start - 1].strip().startswith(f"x = self.{stage.attr}(x)")
        for r in shared:
            kind, name = r.what.split(" ")
            if kind == "class":
                assert (r.start, r.end) == (classes[name].lineno, classes[name].end_lineno)
        assert {r.what for r in shared} >= {f"class {b.kind}" for b in stage.blocks}


@pytest.mark.parametrize("spec", SPECS)
def test_the_size_steps_agree_with_the_shape_pass(spec: str) -> None:
    exp = explain(analysis(spec))
    for part in exp.parts:
        for step in part.steps:
            assert step.text.endswith(f" = {step.after.w}")
            assert f" = {step.after.h}" in step.text
    costs = sum(p.params for p in exp.parts), sum(p.macs for p in exp.parts)
    from resnetc.core.costs import totals

    assert costs == totals(exp.network)


def test_a_stride_of_four_is_explained() -> None:
    spec = (ROOT / "spec/resnet18.yaml").read_text()
    spec = spec.replace(
        'conv3_x: "[[3x3,128],[3x3,128]] x 2"',
        'conv3_x: {cell: "[[3x3,128],[3x3,128]] x 2", stride: 4}',
    )
    assert "stride: 4" in spec
    text = said(explain(analyze(spec.split("expect:")[0], "wide_stride.yaml")))
    assert "warning: conv3_x enters with stride 4" in text
    assert "1 of every 4 rows and columns is never read" in text
    assert "Its stride, 4, is set in the spec (`stride: 4`)." in text


def test_odd_sizes_and_rectangles() -> None:
    spec = (ROOT / "spec/resnet18.yaml").read_text().replace("224x224x3", "225x193x3")
    text = said(explain(analyze(spec.split("expect:")[0], "odd.yaml")))
    assert "225 / 8 is not a product of whole factors" in text
    assert "H: floor((225 + 2*3 - 7) / 2) + 1 = 113; W: floor((193 + 2*3 - 7) / 2) + 1 = 97" in text
    assert "The width goes the same way: 193 -> 7." in text


def test_no_downsampling_at_all() -> None:
    spec = """\
name: flat
input: 16x16x1
classes: 2
stem:
  conv1: 3x3, 8
stages:
  stage1: "[[3x3,8],[3x3,8]] x 1"
  stage2: {cell: "[[3x3,8],[3x3,8]] x 1", stride: 1}
"""
    text = said(explain(analyze(spec, "flat.yaml")))
    assert "No layer changes the map size: the last map is 16x16, as the input." in text
    assert "`x 1` means 1 block, `layer1.0`: 1 x 2 = 2 convolutions" in text


def test_a_deep_table_explains_in_the_size_of_its_table() -> None:
    spec = "benchmarks/specs/deep10k.yaml"
    text = markdown(analysis(spec))
    assert len(text) < 60_000
    assert "`layer1.1` to `layer1." in text


def _zoo_said(options: str, conv2: str = "[[1x1,64],[3x3,64],[1x1,256],[fc,[16,256]]] x 3") -> str:
    spec = (ROOT / "spec/seresnet50.yaml").read_text()
    spec = spec.replace("[[1x1,64],[3x3,64],[1x1,256],[fc,[16,256]]] x 3", conv2)
    assert conv2 in spec
    return said(explain(analyze((spec + options).encode(), "zoo.yaml")))


def test_the_zoo_rows_and_options_are_explained() -> None:
    eca = said(explain(analysis("spec/ecaresnet50d.yaml")))
    assert "the deep stem of \"Bag of Tricks\"' ResNet-C; timm's `stem_type='deep'`" in eca
    assert "efficient channel attention (Wang et al., ECA-Net)" in eca
    assert "one 1-d convolution of 5 taps slides along the 256 averages" in eca
    assert (
        "has an average-pool projection shortcut (`downsample`: 2x2 average pool /2, then conv"
        " 1x1 + BatchNorm; ResNet-D, `shortcut: D`) because 256->512 channels and 56->28" in eca
    )
    # conv2_x keeps its map: ResNet-D has nothing to average there, and says so
    assert "pools only where the map shrinks, and this block keeps it) because 64->256" in eca
    rs = said(explain(analysis("spec/resnetrs50.yaml")))
    assert "in place of the max pool (ResNet-RS, timm's `replace_stem_pool`)" in rs
    tiered = said(explain(analysis("spec/resnet26t.yaml")))
    assert "the tiered stem, timm's `stem_type='deep_tiered'`" in tiered
    se = _zoo_said("options:\n  drop_path: 0.05\n  anti_alias: blur\n")
    assert "is squeeze-and-excitation (Hu et al., SENet's Table 1 writes it so)" in se
    assert "Stochastic depth (`drop_path: 0.05`)" in se
    assert "Anti-aliasing (`anti_alias: blur`) does not touch this stage" in se  # conv2_x
    assert "The stride sits on `layer2.0.aa`, the anti-aliasing layer (blurpool 3x3/2)" in se
    reduced = _zoo_said("", conv2="[[1x1,32],[3x3,64],[1x1,256],[fc,[16,256]]] x 3")
    assert "first 1x1 is narrower than its 3x3 (32 filters, not 64; timm's" in reduced
    assert "`block_reduce_first=2`, as in SENet-154)" in reduced


def test_a_pruned_stage_in_words() -> None:
    """A stage of several cells: the list, each cell's blocks and rows, the one width and why,
    the class, and the shortcuts; no `x 4` that the spec does not write."""
    exp = explain(analysis(PRUNED))
    part = next(p for p in exp.parts if p.key == "layer1")
    assert part.pruned and len(part.cells) == 3
    words = "\n".join(part.words)
    assert "The stage is written as a list of 3 cells, not one" in words
    assert "timm's `ecaresnet50d_pruned`" in words
    for cell, blocks in (
        ("Cell 1 of 3, `[[1x1,47],[3x3,18],[1x1,19],[eca,k=5]] x 1`", "1 block, `layer1.0`,"),
        ("Cell 2 of 3, `[[1x1,52],[3x3,22],[1x1,19],[eca,k=5]] x 1`", "1 block, `layer1.1`,"),
        ("Cell 3 of 3, `[[1x1,64],[3x3,35],[1x1,19],[eca,k=5]] x 2`", "2 blocks, `layer1.2` to"),
    ):
        line = next(w for w in part.words if w.startswith(cell))
        assert blocks in line
    assert "each with the rows `1x1, 64; 3x3, 35; 1x1, 19` (2 x 3 = 6 convolutions)" in words
    assert "with the rows `1x1, 47; 3x3, 18; 1x1, 19` (3 convolutions)" in words
    assert (
        "All 3 cells end at 19 channels, as the cells of one stage must: every block after the"
        " stage's first adds its input to its output through an identity shortcut" in words
    )
    assert "One class builds the blocks of every cell: `ECAThreeConvBlock`" in words
    assert "The row `eca, k=5` of every cell is efficient channel attention" in words
    assert "1 + 1 + 2 = 4 blocks, `layer1.0` to `layer1.3`: 4 x 3 = 12 convolutions" in words
    assert "`x 4`" not in words
    assert (
        "The first block, `layer1.0` (cell 1), takes 64x56x56 and has a 1x1 projection shortcut"
        in words
    )
    assert "because 64->19 channels" in words
    assert (
        "The other 3, `layer1.1` to `layer1.3` (cells 2 and 3), take 19x56x56, keep the shape and"
        " add the identity" in words
    )
    assert "Only the first block changes the shape" in words
    text = markdown(analysis(PRUNED))
    assert "Read as a list of 3 cells (one per item above) -> 19x56x56." in text
    # without the spec's lines to point at, the cells are listed
    from dataclasses import replace

    from resnetc.teach.markdown import _read_as

    assert _read_as(replace(part, written=())) == (
        "a list of 3 cells, `[[1x1,47],[3x3,18],[1x1,19],[eca,k=5]] x 1`,"
        " `[[1x1,52],[3x3,22],[1x1,19],[eca,k=5]] x 1` and"
        " `[[1x1,64],[3x3,35],[1x1,19],[eca,k=5]] x 2`"
    )
    assert "None: the table follows the paper's design rules; its pruned stages, whose" in text
    assert "from stage to stage (a pruned network only roughly: its widths are what" in text
    # the stage table: one line per cell, the numbers on the first
    assert "conv2_x  [[1x1,47],[3x3,18],[1x1,19],[eca,k=5]] x 1     19x56x56  " in text
    assert "\n         [[1x1,64],[3x3,35],[1x1,19],[eca,k=5]] x 2\n" in text
    # an ordinary stage of the same network still reads as one
    conv3 = "\n".join(next(p for p in exp.parts if p.key == "layer2").words)
    assert "`x 2` means 2 blocks, `layer2.0` to `layer2.1`" in conv3 and "cell" not in conv3


MIXED = """\
name: mixed_pruned
input: 224x224x3
classes: 10
stem:
  conv1: 7x7, 64, /2
  pool: 3x3 max, /2
stages:
  conv2_x:
    - "[[3x3,64],[3x3,64]] x 2"
    - "[[3x3,40],[3x3,64]] x 1"
  conv3_x:
    - "[[1x1,128],[3x3,128],[1x1,512],[fc,[32,512]]] x 2"
    - "[[1x1,90],[3x3,100,C=2],[1x1,512],[fc,[16,512]]] x 1"
    - "[[1x1,60],[3x3,60],[1x1,512],[fc,[16,512]]] x 1"
    - "[[1x1,50],[3x3,70],[1x1,512],[fc,[16,512]]] x 1"
    - "[[1x1,30],[3x3,30],[1x1,512],[fc,[16,512]]] x 3"
  conv4_x:
    - "[[3x3,256],[3x3,512]] x 1"
    - "[[1x1,128],[3x3,128],[1x1,512]] x 1"
options:
  shortcut: C
"""
"""Pruned stages whose cells are of different classes, attention rows and numbers of rows."""


def test_pruned_stages_of_several_classes_in_words() -> None:
    exp = explain(analyze(MIXED, "mixed_pruned.yaml"))
    words = {p.key: "\n".join(p.words) for p in exp.parts}
    assert "Both cells end at 64 channels" in words["layer1"]
    assert (
        "The cells' blocks are of 2 classes: `BasicBlock` (cell 1) is the paper's basic block"
        in words["layer1"]
    )
    assert "`TwoConvBlock` (cell 2) is a block of 2 convolutions" in words["layer1"]
    conv3 = words["layer2"]
    assert "`SEBottleneck` (cells 1, 3 and 5) is the paper's bottleneck block" in conv3
    assert "`SEThreeConvBlock` (cells 2 and 4)" in conv3
    assert "Cell 2's row 2 is a grouped convolution (C=2" in conv3
    assert "The row `fc, [32, 512]` of cell 1 is squeeze-and-excitation" in conv3
    assert "The row `fc, [16, 512]` of cells 2, 3, 4 and 5 is squeeze-and-excitation" in conv3
    # option C projects in every block: the one width is still explained, and said to hold
    assert "here (`shortcut: C`) the later blocks project instead" in conv3
    assert (
        "The other 7, `layer2.1` to `layer2.7` (cells 1 to 5), take 512x28x28 and keep the shape"
        " but still have a 1x1 projection shortcut" in conv3
    )
    assert (
        "Each cell is one block (`x 1`): 2 blocks, `layer3.0` to `layer3.1`: 1 x 2 + 1 x 3 = 5"
        " convolutions" in words["layer3"]
    )
    # the depth counts each cell's rows: 2 x 3 + 3 x 8 + 2 x 1 + 3 x 1
    assert (
        "1 (conv1) + 2 x 3 + 3 x 8 + 2 x 1 + 3 x 1 (the stages) + 1 (fc) = 37 layers" in exp.depth
    )
    from resnetc.core.lints import depth

    assert depth(exp.network) == 37


def test_timms_pruned_ecaresnet_in_words() -> None:
    """spec/ecaresnet50d_pruned.yaml: every cell one block (timm's pruned blocks each differ)."""
    exp = explain(analysis("spec/ecaresnet50d_pruned.yaml"))
    words = {p.key: "\n".join(p.words) for p in exp.parts}
    assert "The stage is written as a list of 6 cells, not one" in words["layer3"]
    assert "All 6 cells end at 818 channels" in words["layer3"]
    assert (
        "Each cell is one block (`x 1`): 6 blocks, `layer3.0` to `layer3.5`: 6 x 3 = 18"
        " convolutions in the main path." in words["layer3"]
    )
    assert (
        "The other 5, `layer3.1` to `layer3.5` (cells 2 to 6), take 818x14x14, keep the shape"
        in words["layer3"]
    )
    assert "1 (conv1) + 3 x (3 + 4 + 6 + 3) (the stages) + 1 (fc) = 50 layers" in exp.depth
