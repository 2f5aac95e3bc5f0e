"""`resnetc schema`: the JSON Schema of the spec format is complete, correct and deterministic.

Validation uses the `jsonschema` package (in the test extra): checking draft 2020-12 keywords
(`anyOf`, `propertyNames`, `$ref` into `$defs`, `additionalProperties` schemas) by hand would test
a second validator instead of the schema. Specs are read with PyYAML's safe loader, as an editor's
YAML language server reads them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from resnetc.front import spec
from resnetc.front.diagnostics import CompileError
from resnetc.front.lintnames import LINTS
from resnetc.front.schema import schema, text
from resnetc.pipeline import analyze
from tests.conftest import ROOT, unmarked

GOOD = sorted(
    [
        *ROOT.glob("spec/*.yaml"),
        *ROOT.glob("tests/explain/*.yaml"),
        *ROOT.glob("benchmarks/specs/*"),
    ]
    + [p for p in ROOT.glob("tests/cases/*/spec.yaml") if (p.parent / "expected.py").exists()]
)
RESNET18 = (ROOT / "spec" / "resnet18.yaml").read_text()


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


def test_there_are_specs() -> None:
    assert len(GOOD) >= 10


@pytest.mark.parametrize("path", GOOD, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_spec_validates(path: Path, validator) -> None:
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


BAD = {
    "unknown top-level key": RESNET18 + "layers: 18\n",
    "unknown option": RESNET18 + "options:\n  shortcut_kind: B\n",
    "shortcut not A/B/C/D": RESNET18 + "options:\n  shortcut: E\n",
    "anti_alias not none/blur/avg": RESNET18 + "options:\n  anti_alias: gauss\n",
    "drop_path not below 1": RESNET18 + "options:\n  drop_path: 1.5\n",
    "downsample_at not 3x3/1x1": RESNET18 + "options:\n  downsample_at: 5x5\n",
    "flag not a boolean": RESNET18 + "options:\n  zero_init_residual: maybe\n",
    "stage cell a number": RESNET18.replace('conv2_x: "[[3x3,64],[3x3,64]] x 2"', "conv2_x: 3"),
    "stage cell a list of numbers": RESNET18.replace(
        'conv2_x: "[[3x3,64],[3x3,64]] x 2"', "conv2_x: [3, 64]"
    ),
    "stage mapping without cell": RESNET18.replace(
        'conv2_x: "[[3x3,64],[3x3,64]] x 2"', "conv2_x: {stride: 1}"
    ),
    "stage mapping with an unknown key": RESNET18.replace(
        'conv2_x: "[[3x3,64],[3x3,64]] x 2"', 'conv2_x: {cell: "[[3x3,64]] x 2", pad: 1}'
    ),
    "stride over the limit": RESNET18.replace(
        'conv2_x: "[[3x3,64],[3x3,64]] x 2"', 'conv2_x: {cell: "[[3x3,64]] x 2", stride: 17}'
    ),
    "stage name not an identifier": RESNET18.replace("conv2_x:", "2nd-stage:"),
    "no stages": RESNET18.split("stages:")[0] + "stages: {}\n",
    "missing stem": RESNET18.replace("stem:\n  conv1: 7x7, 64, /2\n  pool: 3x3 max, /2\n", ""),
    "missing classes": RESNET18.replace("classes: 1000\n", ""),
    "classes zero": RESNET18.replace("classes: 1000", "classes: 0"),
    "input without channels": RESNET18.replace("224x224x3", "224x224"),
    "name with a dash": RESNET18.replace("name: resnet18", "name: resnet-18"),
    "expected size not a size": RESNET18.replace("conv2_x: 56x56", "conv2_x: big"),
    "stem with a third key": RESNET18.replace(
        "  pool: 3x3 max, /2\n", "  pool: 3x3 max, /2\n  bn: on\n"
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_specs_do_not_validate_and_the_compiler_refuses_them_too(case: str, validator) -> None:
    text_ = BAD[case]
    assert text_ != RESNET18
    assert list(validator.iter_errors(yaml.safe_load(text_))), case
    with pytest.raises(CompileError):
        analyze(text_, "bad.yaml")


def test_an_unquoted_list_cell_is_valid_as_the_compiler_reads_it(validator) -> None:
    """`conv2_x: [[3x3,64],[3x3,64]]` (no repeat count) is one block; both accept it."""
    text_ = RESNET18.replace('conv2_x: "[[3x3,64],[3x3,64]] x 2"', "conv2_x: [[3x3,64],[3x3,64]]")
    assert list(validator.iter_errors(yaml.safe_load(text_))) == []
    assert analyze(text_, "list.yaml").network.stages[0].repeats == 1


def _walk(node, path=""):
    """Every (path, property schema) under `properties` in the schema."""
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            yield f"{path}.{key}", value
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def test_every_key_is_there_and_described() -> None:
    s = schema()
    properties = list(_walk(s))
    assert properties
    for where, prop in properties:
        assert prop.get("description"), f"{where} has no description"
    assert set(s["properties"]) == set(spec.Spec.model_fields)
    assert set(s["$defs"]["Stem"]["properties"]) == set(spec.Stem.model_fields)
    assert set(s["$defs"]["Options"]["properties"]) == set(spec.Options.model_fields)
    stage = s["properties"]["stages"]["additionalProperties"]["anyOf"][1]
    assert set(stage["properties"]) == set(spec.Stage.model_fields) - {"name"}
    assert set(s["properties"]["expect"]["properties"]) == {"downsample"}
    assert s["properties"]["expect"]["additionalProperties"]["description"]
    assert set(s["required"]) == {"name", "input", "classes", "stem", "stages"}


def test_options_list_their_choices_and_defaults() -> None:
    options = schema()["$defs"]["Options"]["properties"]
    assert options["shortcut"]["enum"] == ["A", "B", "C", "D"]
    assert options["shortcut"]["default"] == "B"
    assert options["anti_alias"]["enum"] == ["none", "blur", "avg"]
    assert options["downsample_at"]["enum"] == ["3x3", "1x1"]
    assert options["downsample_at"]["default"] == "3x3"
    assert options["zero_init_residual"] == {**options["zero_init_residual"], "type": "boolean"}
    assert options["preact"]["default"] is False
    assert options["allow"]["items"]["enum"] == list(LINTS)
    assert schema()["properties"]["options"]["default"] == {
        "downsample_at": "3x3",
        "shortcut": "B",
        "zero_init_residual": False,
        "allow": [],
        "anti_alias": "none",
        "drop_path": 0.0,
        "preact": False,
        "shortcut_kernel": "1x1",
        "norm": "BN",
    }


def test_text_is_deterministic_json_and_the_cli_writes_it(tmp_path: Path) -> None:
    assert text() == text()
    assert json.loads(text()) == schema()
    out = tmp_path / "resnetc.schema.json"
    run = subprocess.run(
        [sys.executable, "-m", "resnetc", "schema", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert unmarked(out.read_text(encoding="utf-8")) == text()
    assert json.loads(out.read_text(encoding="utf-8"))["$comment"] == (
        "Generated by resnetc schema. Do not edit."
    )
    stdout = subprocess.run(
        [sys.executable, "-m", "resnetc", "schema"], cwd=ROOT, capture_output=True, timeout=60
    )
    assert stdout.stdout.decode("utf-8") == text()
