"""`resnetc summary`: one row per layer, exact against torch, and the same numbers as `check`.

Every spec in spec/ (a glob: specs added later are covered) and the analysis specs in tests/specs/
(grouped ResNeXt, Wide ResNet, a CIFAR net with option A shortcuts) are counted with torch itself:
parameters with `numel()`, multiply-adds with `FlopCounterMode` on the meta device (flops / 2),
layer by layer and in total.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from resnetc.cli import main
from resnetc.core import costs
from resnetc.pipeline import analyze, compile_spec
from resnetc.teach.layer_summary import FORMATS, as_data, render, summarize
from tests.conftest import REFERENCE, ROOT, SPEC_DIR

SPECS = sorted(SPEC_DIR.glob("*.yaml"))
EXTRA = sorted((ROOT / "tests" / "specs").glob("*.yaml"))
ALL = SPECS + EXTRA
GOLDEN = ROOT / "tests" / "golden" / "summary"
REF = json.loads(REFERENCE.read_text())


def _label(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _net(path: Path):
    return analyze(path.read_bytes(), _label(path)).network


def test_there_are_specs_of_every_kind() -> None:
    nets = [_net(p) for p in ALL]
    assert len(SPECS) >= 5
    assert any(n.options.shortcut == "A" for n in nets)
    assert any(c.groups > 1 for n in nets for c in _convs(n))


def _convs(net):
    return [
        c
        for s in net.stages
        for b in s.blocks
        for c in (*b.layers, *b.shortcut.layers)
        if c.__class__.__name__ == "Conv"
    ]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_rows_add_up_to_the_subtotals_and_the_totals(path: Path) -> None:
    net = _net(path)
    summary = summarize(net)
    for part in summary.parts:
        assert sum(x.params for x in part.layers) == part.params, part.name
        assert sum(x.macs for x in part.layers) == part.macs, part.name
    assert (summary.params, summary.macs) == costs.totals(net)
    assert sum(x.params for x in summary.layers) == summary.params
    assert sum(x.macs for x in summary.layers) == summary.macs
    assert [x.name for x in summary.layers] == [x.name for x in costs.layers(net)]
    assert [p.name for p in summary.parts] == ["stem", *(s.name for s in net.stages), "head"]


def _check_rows(path: Path, capsys) -> dict[str, tuple[int, int]]:
    """`resnetc check`'s stage table as {row: (params, MACs)}, parsed from its output."""
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()[2:]
    rows = {}
    for line in out:
        if line.startswith(" "):  # a pruned stage's next cell, under its first (no numbers)
            continue
        name, *_, params, macs = re.split(r"\s{2,}", line)
        rows[name] = (int(params.replace(",", "")), int(macs.replace(",", "")))
    return rows


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_subtotals_and_totals_are_what_check_prints(path: Path, capsys) -> None:
    checked = _check_rows(path, capsys)
    assert main(["summary", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    stem, *stages, head = data["stages"]
    pool = checked.get("pool", (0, 0))
    assert (checked["conv1"][0] + pool[0], checked["conv1"][1] + pool[1]) == (
        stem["params"],
        stem["macs"],
    )
    for stage in stages:
        assert checked[stage["name"]] == (stage["params"], stage["macs"])
    assert checked["head"] == (head["params"], head["macs"])
    assert checked["total"] == (data["params"], data["macs"])


def _build(path: Path, text: str | None = None):
    import torch

    from resnetc.targets.torch.verify import load_module

    net = _net(path)
    source = text or compile_spec(path.read_bytes(), _label(path))
    with torch.device("meta"):
        model = getattr(load_module(net.name, source), net.name)().eval()
    return net, model


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_every_number_equals_what_torch_counts(path: Path) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    net, model = _build(path)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.empty(1, *net.input, device="meta"))
    flops = counter.get_flop_counts()
    prefix = type(model).__name__ + "."
    modules = dict(model.named_modules())
    summary = summarize(net)
    for layer in summary.layers:
        module = modules[layer.name]
        # an attention module (`se`) is one row holding its fcs' (or its conv's) parameters
        assert sum(p.numel() for p in module.parameters()) == layer.params, layer.name
        measured = sum(flops.get(prefix + layer.name, {}).values())
        assert measured == 2 * layer.macs, layer.name
    assert summary.params == sum(p.numel() for p in model.parameters())
    assert summary.macs == counter.get_total_flops() // 2
    assert counter.get_total_flops() == 2 * summary.macs
    # Every parameter of the state_dict belongs to a row, under the row's dotted name (inside
    # it for an attention module: `layer1.0.se.fc1.weight` is the row `layer1.0.se`'s).
    rows = {x.name for x in summary.layers if x.params}
    owners = set()
    for key, _ in model.named_parameters():
        parts = key.split(".")[:-1]
        owners.add(next(".".join(parts[:i]) for i in range(len(parts), 0, -1)
                        if ".".join(parts[:i]) in rows))  # fmt: skip
    assert owners == rows


@pytest.mark.parametrize(
    "name",
    [
        "resnet18",
        "resnet34",
        "resnet50",
        "resnet101",
        "resnet152",
        "resnext50_32x4d",
        "wide_resnet50_2",
    ],
)
def test_equal_to_torchvision(name: str) -> None:
    path = SPEC_DIR / f"{name}.yaml"
    if not path.exists():
        path = ROOT / "tests" / "specs" / f"{name}.yaml"
    summary = summarize(_net(path))
    assert summary.params == REF[name]["params"]
    assert summary.macs == REF[name]["macs_conv_fc"]
    with_params = {x.name for x in summary.layers if x.params}
    state = {k.rsplit(".", 1)[0] for k in REF[name]["state_dict"] if k.endswith(".weight")}
    assert with_params == state


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_golden_resnet50(fmt: str, golden, capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["summary", "spec/resnet50.yaml", "--format", fmt]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    suffix = {"table": "txt", "json": "json", "markdown": "md"}[fmt]
    golden(GOLDEN / f"resnet50.{suffix}", out)


def test_option_a_shortcuts_have_no_rows() -> None:
    net = _net(ROOT / "tests" / "specs" / "cifar_resnet8_a.yaml")
    names = [x.name for x in summarize(net).layers]
    assert not any("downsample" in n for n in names)
    assert names[:2] == ["conv1", "bn1"] and names[-2:] == ["avgpool", "fc"]
    assert len(names) == 2 + 3 * 4 + 2


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_table_fits_an_80_column_terminal(path: Path) -> None:
    summary = summarize(_net(path))
    text = render(summary, _label(path), "table")
    lines = text.splitlines()
    assert max(len(line) for line in lines[2:]) <= 80
    # A ruled subtotal line after every part, named as in the spec.
    for part in summary.parts:
        at = next(i for i, line in enumerate(lines) if line.startswith(part.name + " "))
        assert set(lines[at - 1]) == {"-"}
        assert f"{part.params:,}" in lines[at] and f"{part.macs:,}" in lines[at]
    total = next(i for i, line in enumerate(lines) if line.startswith("total "))
    assert set(lines[total - 1]) == {"="} and lines[total + 2].startswith("MACs: ")


def test_resnet152_table_shows_each_run_once_and_expands_to_every_layer() -> None:
    net = _net(SPEC_DIR / "resnet152.yaml")
    text = render(summarize(net), "spec/resnet152.yaml", "table")
    rows = [line for line in text.splitlines() if line.startswith("layer")]
    # the header, then per stage the entry block (bottleneck + projection: 8) and one run (6)
    assert len(rows) == 1 + 4 * (8 + 6)
    assert [r.split()[0] for r in rows if r.endswith(" x35")] == [
        f"layer3.[1-35].{name}" for name in ("conv1", "bn1", "conv2", "bn2", "conv3", "bn3")
    ]
    expanded = render(summarize(net, expand=True), "spec/resnet152.yaml", "table")
    rows = [line for line in expanded.splitlines() if line.startswith("layer")]
    assert len(rows) == 1 + 308  # the header, then every block layer
    assert "xN" not in expanded and not any(r.endswith(" x35") for r in rows)


def test_runs_expand_to_the_layers_in_execution_order() -> None:
    net = _net(SPEC_DIR / "resnet50.yaml")
    summary = summarize(net)
    runs = [row for row in summary.rows if row.count > 1]
    assert [r.label for r in runs[:2]] == ["layer1.[1-2].conv1", "layer1.[1-2].bn1"]
    expanded = summarize(net, expand=True)
    assert all(row.count == 1 for row in expanded.rows)
    assert [x.name for x in expanded.layers] == [x.name for x in summary.layers]
    assert [row.layer for row in expanded.rows] == list(costs.layers(net))


def test_json_has_the_documented_shape() -> None:
    net = _net(SPEC_DIR / "resnet50.yaml")
    text = render(summarize(net), "spec/resnet50.yaml", "json")
    data = json.loads(text)
    assert data == as_data(summarize(net))
    assert list(data)[:4] == ["name", "class_name", "input", "classes"]
    assert data["input"] == [3, 224, 224] and data["name"] == "resnet50"
    assert data["params"] == 25_557_032 and data["macs"] == 4_089_184_256
    assert data["flops"] == 2 * data["macs"]
    assert data["options"] == {
        "downsample_at": "3x3",
        "shortcut": "B",
        "preact": False,
        "zero_init_residual": False,
    }
    assert data["stages"][1] == {
        "name": "conv2_x",
        "module": "layer1",
        "blocks": 3,
        "output": [256, 56, 56],
        "params": 215_808,
        "macs": 667_942_912,
    }
    assert data["layers"][0] == {
        "name": "conv1",
        "count": 1,
        "op": "conv 7x7/2",
        "kind": "conv",
        "stage": "stem",
        "output": [64, 112, 112],
        "params": 9408,
        "macs": 118_013_952,
    }
    assert data["layers"][-1]["output"] == [1000] and data["stages"][-1]["output"] == [1000]
    run = next(x for x in data["layers"] if x["count"] > 1)
    assert run == {
        "name": "layer1.1.conv1",
        "count": 2,
        "op": "conv 1x1",
        "kind": "conv",
        "stage": "conv2_x",
        "output": [64, 56, 56],
        "params": 16_384,
        "macs": 51_380_224,
        "blocks": [1, 2],
        "names": "layer1.[1-2].conv1",
    }
    for part in data["stages"]:  # each entry's numbers are each layer's: times its count
        rows = [x for x in data["layers"] if x["stage"] == part["name"]]
        assert sum(x["params"] * x["count"] for x in rows) == part["params"]
        assert sum(x["macs"] * x["count"] for x in rows) == part["macs"]
    ops = {x["op"] for x in data["layers"]}
    assert {"conv 1x1", "conv 3x3/2", "conv 1x1/2", "bn", "maxpool 3x3/2", "avgpool", "fc"} <= ops


def test_grouped_ops_name_their_groups() -> None:
    net = _net(ROOT / "tests" / "specs" / "resnext50_32x4d.yaml")
    ops = {x.name: x.op for x in summarize(net).layers}
    assert ops["layer1.0.conv2"] == "conv 3x3 C=32"
    assert ops["layer2.0.conv2"] == "conv 3x3/2 C=32"


def test_the_command_offers_exactly_the_formats(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["summary", "spec/resnet50.yaml", "--format", "yaml"])
    err = capsys.readouterr().err
    assert all(f"'{f}'" in err for f in FORMATS)
    with pytest.raises(ValueError):
        render(summarize(_net(SPEC_DIR / "resnet18.yaml")), "x", "yaml")


def test_a_refused_spec_prints_its_diagnostics_and_nothing_else(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    spec = "tests/cases/bad_shape_errors/spec.yaml"
    assert main(["summary", spec]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"{spec}:") and "Traceback" not in err


def test_summary_never_imports_torch(tmp_path: Path) -> None:
    from tests.test_startup import _imported

    for fmt in FORMATS:
        names = _imported(tmp_path, ["summary", str(SPEC_DIR / "resnet152.yaml"), "--format", fmt])
        assert "resnetc.teach.layer_summary" in names
        assert not [n for n in names if n.split(".")[0] in {"torch", "numpy", "sympy"}]


def test_a_pruned_stage_lists_each_cells_blocks() -> None:
    """A stage of 3 cells (widths of their own in each): its runs never span two cells, the
    grouped form shows each once and --expand every block, both adding up to costs.stages()."""
    path = ROOT / "tests" / "specs" / "pruned_eca.yaml"
    net = _net(path)
    text = render(summarize(net), _label(path), "table")
    rows = [line.split() for line in text.splitlines() if line.startswith("layer1.")]
    assert [r[0] for r in rows if r[0].endswith(".conv2")] == [
        "layer1.0.conv2",
        "layer1.1.conv2",
        "layer1.[2-3].conv2",
    ]
    widths = {r[0]: r[3] for r in rows if r[0].endswith(".conv2")}  # layer, conv, 3x3, output
    assert widths == {
        "layer1.0.conv2": "18x56x56",
        "layer1.1.conv2": "22x56x56",
        "layer1.[2-3].conv2": "35x56x56",
    }
    assert next(r for r in rows if r[0] == "layer1.[2-3].conv2")[-1] == "x2"
    assert "conv2_x                layer1 x4      19x56x56" in text
    expanded = summarize(net, expand=True)
    names = [x.name for x in expanded.layers if x.name.endswith(".conv2")]
    assert names[:4] == [f"layer1.{i}.conv2" for i in range(4)]
    stage = next(p for p in expanded.parts if p.name == "conv2_x")
    layers = list(stage.layers)
    assert (sum(x.params for x in layers), sum(x.macs for x in layers)) == (
        stage.params,
        stage.macs,
    )
    assert (stage.params, stage.macs) == (68_848, 213_135_484)
    assert [row.layer for row in expanded.rows] == list(costs.layers(net))
