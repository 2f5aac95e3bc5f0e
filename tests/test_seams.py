"""The seams of docs/architecture.md hold: block kinds are definitions, every node kind has a shape
and a cost rule (and an unknown one is an error), and a target's source map is exact."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from resnetc.core import blocks, costs, ir, shapes
from resnetc.core.blocks.base import BlockDef, class_name, described, kind_rows
from resnetc.core.blocks.generic import Generic
from resnetc.pipeline import analyze, render, target
from resnetc.targets.pylayout import comment
from resnetc.targets.stagetext import stage_comment_text
from tests.conftest import SPEC_DIR

SPECS = sorted(SPEC_DIR.glob("*.yaml"))


class Mystery(BaseModel):
    """A node kind that no rule knows."""

    model_config = ConfigDict(frozen=True)

    name: str = "mystery"
    span: None = None
    output: ir.Shape | None = None


def _analysed(name: str = "resnet18") -> ir.Network:
    path = SPEC_DIR / f"{name}.yaml"
    return analyze(path.read_bytes(), str(path)).network


def test_the_last_block_kind_takes_any_cell() -> None:
    assert isinstance(blocks.DEFINITIONS[-1], Generic)
    assert [d.pattern for d in blocks.DEFINITIONS] == ["basic", "bottleneck", "generic"]


def test_every_node_kind_has_a_shape_rule_where_it_can_occur_and_a_cost_rule() -> None:
    assert set(ir.NODE_KINDS) == set(costs._RULES)
    assert {ir.Conv, ir.Norm} <= set(shapes._RULES)  # the kinds a block or shortcut holds


def test_an_unknown_node_kind_is_an_error_in_the_shape_pass_and_in_the_costs() -> None:
    net = _analysed()
    stage = net.stages[0]
    block = stage.blocks[0].model_copy(update={"layers": (*stage.blocks[0].layers, Mystery())})
    broken = net.model_copy(
        update={"stages": (stage.model_copy(update={"blocks": (block,)}), *net.stages[1:])}
    )
    with pytest.raises(TypeError, match="no rule for Mystery nodes"):
        shapes.annotate(broken)
    with pytest.raises(TypeError, match="no rule for Mystery nodes"):
        costs.layer_cost(Mystery(output=ir.Shape(1, 1, 1)))


def test_a_stage_holds_its_repeat_count_once() -> None:
    net = _analysed("resnet50")
    stage = net.stages[1]
    assert stage.repeats == 4 == sum(b.count for b in stage.blocks)
    assert stage.cell_text == "[[1x1,128],[3x3,128],[1x1,512]] x 4"
    with pytest.raises(ValueError, match="block runs must start at 0"):
        ir.Stage(**{**stage.model_dump(exclude={"blocks"}), "blocks": stage.blocks[1:]})


def test_a_pruned_stage_holds_its_cells_and_each_block_names_its_own() -> None:
    net = _analysed("ecaresnet50d_pruned")
    stage = net.stages[0]
    assert stage.pruned and len(stage.cells) == 3 == stage.repeats
    assert [b.cell for b in stage.blocks] == [0, 1, 2]
    assert [stage.cell_of(b).rows[0].filters for b in stage.blocks] == [47, 52, 64]
    fields = stage.model_dump(exclude={"blocks"})
    wrong = stage.blocks[1].model_copy(update={"cell": 2})
    with pytest.raises(ValueError, match="not inside its cell"):
        ir.Stage(**{**fields, "blocks": (stage.blocks[0], wrong, stage.blocks[2])})
    outside = stage.blocks[2].model_copy(update={"cell": 3})
    with pytest.raises(ValueError, match="its cell 3 is not one"):
        ir.Stage(**{**fields, "blocks": (*stage.blocks[:2], outside)})
    across = stage.blocks[1].model_copy(update={"count": 2})  # into the third cell
    with pytest.raises(ValueError, match="not inside its cell"):
        ir.Stage(**{**fields, "blocks": (stage.blocks[0], across)})


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_the_source_map_points_at_the_lines_that_implement_each_part(spec) -> None:
    analysis = analyze(spec.read_bytes(), str(spec))
    net = analysis.network
    rendered = render(analysis, str(spec))
    lines = rendered.lines
    assert target().file_name(net) == f"{net.name}.py"
    for stage in net.stages:
        init, forward, *shared = rendered.parts[stage.attr]
        said = [line.strip() for line in comment(stage_comment_text(stage, str(stage.output)), 8)]
        if not stage.pruned:
            assert said == [f"# {stage.name}: {stage.cell_text} -> {stage.output}"]
        at = init.start - 1
        assert [line.strip() for line in lines[at : at + len(said)]] == said
        assert lines[at + len(said)].strip().startswith(f"self.{stage.attr} = nn.Sequential(")
        assert lines[init.end - 1].strip() == ")"
        assert forward.start == forward.end
        assert lines[forward.start - 1].strip() == f"x = self.{stage.attr}(x)  # {stage.output}"
        for r in shared:
            kind, name = r.what.split()
            assert lines[r.start - 1].startswith(f"{kind} {name}(")
            assert r.end == len(lines) or not lines[r.end].strip()
    conv1_init, conv1_forward = rendered.parts["conv1"]
    assert lines[conv1_init.start - 1].strip().startswith("# conv1: ")
    assert lines[conv1_forward.start - 1].strip().startswith("x = self.conv1(x)")
    head_init, head_forward = rendered.parts["head"]
    assert (
        lines[head_init.end - 1].strip()
        == f"self.fc = nn.Linear({net.head.fc.in_features}, num_classes)"
    )
    assert lines[head_forward.end - 1].strip() == "return x"


class Inverted(BlockDef):
    """A block kind defined here, in a test, as docs/architecture.md's recipe says: an inverted
    bottleneck `[[1x1, 4w], [3x3, 4w], [1x1, w]]` (wide inside, narrow outside)."""

    pattern = "inverted"

    def match(self, rows) -> bool:
        return (
            tuple(r.kernel for r in rows) == (1, 3, 1)
            and all(r.groups == 1 for r in rows)
            and rows[0].filters == rows[1].filters == 4 * rows[2].filters
        )

    def kind(self, cells, layout, taken):
        return ir.BlockKind(
            class_name=class_name("InvertedBottleneck", layout),
            pattern=self.pattern,
            **described(
                "Inverted bottleneck: [[1x1, 4 * planes], [3x3, 4 * planes], [1x1, planes]].",
                (1, 3, 1),
                layout,
            ),
            params=(
                ir.Param("in_channels", "int"),
                ir.Param("planes", "int"),
                ir.Param("stride", "int", "1"),
            ),
            setup=("wide = 4 * planes",),
            rows=kind_rows(
                (1, 3, 1), layout, ["in_channels", "wide", "wide"], ["wide", "wide", "planes"]
            ),
            preact=layout.preact,
        )

    def args(self, block, kind):
        stride = (f"stride={block.stride}",) if block.stride != 1 else ()
        return (str(block.in_channels), str(block.widths[2]), *stride)


INVERTED = """name: inverted
input: 32x32x3
classes: 10
stem:
  conv1: 3x3, 16
stages:
  s1: "[[1x1,64],[3x3,64],[1x1,16]] x 2"
  s2: "[[1x1,128],[3x3,128],[1x1,32]] x 2"
"""


def test_a_block_kind_is_one_definition_and_a_registration(monkeypatch) -> None:
    """The recipe, done: define a kind, register it, and it compiles, verifies and explains."""
    pytest.importorskip("torch")
    from resnetc.targets.torch.verify import verify
    from resnetc.teach.markdown import markdown

    monkeypatch.setattr(blocks, "DEFINITIONS", (Inverted(), *blocks.DEFINITIONS))
    analysis = analyze(INVERTED, "inverted.yaml")
    net = analysis.network
    assert [k.class_name for k in net.block_kinds] == ["InvertedBottleneck"]
    text = render(analysis, "inverted.yaml").text
    assert "*(InvertedBottleneck(16, 16) for _ in range(2))," in text  # identity shortcuts
    assert "InvertedBottleneck(32, 32)," in text
    result = verify(net)
    assert result.ok, [d.message for d in result.diagnostics]
    model_params = result.params  # verify compared it with the torch model's, layer by layer
    assert model_params == sum(c.params for c in costs.layers(net))
    assert "InvertedBottleneck" in markdown(analysis)
