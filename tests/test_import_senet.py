"""`resnetc import-table` reads the SENet paper's Table 1 as printed, LaTeX and web copy alike.

tests/tables/senet.tex and senet.md are Table 1 of Hu et al., "Squeeze-and-Excitation Networks",
typed in from the paper's structure: an output-size column and no layer-name column, `conv, 1 × 1,
64` rows, the squeeze-and-excitation row `fc, [16, 256]`, `C = 32` for SE-ResNeXt, and the
`global average pool, 1000-d fc, softmax` row. Each column becomes a spec; SE-ResNet-50 has
28,088,024 parameters and timm's seresnet50 state_dict, SE-ResNeXt-50 timm's seresnext50_32x4d's.
"""

from __future__ import annotations

import shutil

import pytest

from resnetc.cli import main
from resnetc.core import costs
from resnetc.pipeline import analyze
from tests.conftest import ROOT

TABLES = ROOT / "tests" / "tables"
COLUMNS = {"resnet50": 25_557_032, "se_resnet50": 28_088_024, "se_resnext50_32_x4d": 27_559_896}
SE_RESNET50 = [
    '  conv2_x: "[[1x1,64],[3x3,64],[1x1,256],[fc,[16,256]]] x 3"',
    '  conv3_x: "[[1x1,128],[3x3,128],[1x1,512],[fc,[32,512]]] x 4"',
    '  conv4_x: "[[1x1,256],[3x3,256],[1x1,1024],[fc,[64,1024]]] x 6"',
    '  conv5_x: "[[1x1,512],[3x3,512],[1x1,2048],[fc,[128,2048]]] x 3"',
]


def _imported(table: str, tmp_path, capsys, monkeypatch) -> dict[str, str]:
    (tmp_path / "tables").mkdir()
    shutil.copy(TABLES / table, tmp_path / "tables" / table)
    monkeypatch.chdir(tmp_path)
    code = main(["import-table", f"tables/{table}", "-o", "spec"])
    _, err = capsys.readouterr()
    assert code == 0, err
    return {p.stem: p.read_text() for p in sorted((tmp_path / "spec").iterdir())}


@pytest.fixture(scope="module")
def from_latex(tmp_path_factory) -> dict[str, str]:
    mp = pytest.MonkeyPatch()
    try:
        tmp = tmp_path_factory.mktemp("senet")
        (tmp / "tables").mkdir()
        shutil.copy(TABLES / "senet.tex", tmp / "tables" / "senet.tex")
        mp.chdir(tmp)
        assert main(["import-table", "tables/senet.tex", "-o", "spec", "--force"]) == 0
        return {p.stem: p.read_text() for p in sorted((tmp / "spec").iterdir())}
    finally:
        mp.undo()


def test_one_spec_per_column_with_the_se_rows_as_printed(from_latex) -> None:
    assert sorted(from_latex) == sorted(COLUMNS)
    lines = from_latex["se_resnet50"].splitlines()
    assert [line for line in lines if line.startswith("  conv") and '"' in line] == SE_RESNET50
    assert "  conv1: 7x7, 64, /2" in lines and "  pool: 3x3 max, /2" in lines
    assert "C=32],[1x1,256],[fc,[16,256]]] x 3" in from_latex["se_resnext50_32_x4d"]
    for name, params in COLUMNS.items():
        net = analyze(from_latex[name].encode(), f"{name}.yaml").network
        assert costs.totals(net)[0] == params, name


def test_the_web_copy_reads_the_same(from_latex, tmp_path, capsys, monkeypatch) -> None:
    web = _imported("senet.md", tmp_path, capsys, monkeypatch)

    def body(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    assert {k: body(v) for k, v in web.items()} == {k: body(v) for k, v in from_latex.items()}


def test_se_resnet50_loads_timms_seresnet50_strictly(from_latex) -> None:
    torch = pytest.importorskip("torch")
    from resnetc.targets.torch.emit import render
    from resnetc.targets.torch.verify import load_module
    from tests.zoo import timm

    lib = timm()
    for name, theirs in (
        ("se_resnet50", "seresnet50"),
        ("se_resnext50_32_x4d", "seresnext50_32x4d"),
    ):
        net = analyze(from_latex[name].encode(), f"{name}.yaml").network
        with torch.device("meta"):
            mine = getattr(load_module(name, render(net, f"{name}.yaml")), name)()
            ref = lib.create_model(theirs, pretrained=False)
        mine.load_state_dict(ref.state_dict(), strict=True, assign=True)
        assert sum(p.numel() for p in ref.parameters()) == COLUMNS[name]
