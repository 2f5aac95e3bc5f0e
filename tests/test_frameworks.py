"""The Keras and Flax targets: what they write, where they refuse, and that they compute torch's
numbers.

Cheap checks run by default: every shipped spec's modules are the committed ones in
generated/frameworks/, deterministic, ruff-clean and typed; the source map points at the lines of
each part; every construct a target does not know (a node kind, a block pattern, a shortcut kind,
a field set on any node) is refused with a located diagnostic, by the API and by `resnetc
compile`; and two small networks that between them hold every construct the targets write
(option A, grouped bottlenecks, pre-activation, projections with and without BatchNorm, a padded
max pool with no ReLU before it, zero-init) give PyTorch's logits through Keras (torch backend)
and Flax. tests/test_frameworks_battery.py (`pytest -m slow`) runs every shipped spec through
Keras on jax and on torch and through Flax.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from resnetc.cli import main
from resnetc.core import ir
from resnetc.files.output import spec_label
from resnetc.front.diagnostics import CompileError
from resnetc.pipeline import analyze, render, target
from resnetc.targets import refusal
from tests.conftest import FRAMEWORK_SPECS, GENERATED_DIR, ROOT, SPEC_DIR, TORCH_ONLY_SPECS

SPECS = FRAMEWORK_SPECS
TARGETS = ("keras", "flax")
FRAMEWORKS = GENERATED_DIR / "frameworks"

TINY = {
    "tiny_a": """\
name: tiny_a
input: 32x32x3
classes: 10
stem:
  conv1: 3x3, 16
stages:
  conv2_x: "[[3x3,16],[3x3,16]] x 2"
  conv3_x:  # a pruned stage of two cells, option A padding the first block's shortcut
    - "[[3x3,32],[3x3,32]] x 1"
    - "[[3x3,20],[3x3,32]] x 1"
  conv4_x: "[[5x5,48],[3x3,48]] x 1"
options:
  shortcut: A
""",
    "tiny_preact": """\
name: tiny_preact
input: 40x40x3
classes: 7
stem:
  conv1: 5x5, 16, /2
  pool: 3x3 max, /2
stages:
  conv2_x: "[[1x1,8],[3x3,8,C=4],[1x1,32]] x 2"
  conv3_x: "[[1x1,16],[3x3,16,C=4],[1x1,64]] x 1"
options:
  preact: true
  zero_init_residual: true
""",
    "tiny_c": """\
name: tiny_c
input: 32x32x1
classes: 5
stem:
  conv1: 3x3, 8
  pool: 2x2 avg, /2
stages:
  conv2_x:  # a pruned stage: its second cell's blocks have widths of their own
    - "[[1x1,8],[3x3,8],[1x1,32]] x 1"
    - "[[1x1,6],[3x3,5],[1x1,32]] x 2"
  conv3_x: "[[3x3,16],[3x3,16]] x 1"
options:
  shortcut: C
  downsample_at: 1x1
""",
    "tiny_zoo": """\
name: tiny_zoo
input: 27x27x3
classes: 10
stem:  # a deep stem: 27 -> 14 -> 7 after the pool, so conv3_x's shortcut pools an odd map
  conv1: 3x3, 8, /2; 3x3, 8; 3x3, 16
  pool: 3x3 max, /2
stages:
  conv2_x: "[[1x1,8],[3x3,8],[1x1,32],[fc,[4,32]]] x 2"  # squeeze-and-excitation
  conv3_x: "[[3x3,64],[3x3,64],[eca,k=3]] x 2"  # ECA
  conv4_x: "[[3x3,128],[3x3,128]] x 1"
options:
  shortcut: D  # ResNet-D: conv2_x's pool an identity, conv3_x's and conv4_x's 2x2 /2
""",
    "tiny_preact_d": """\
name: tiny_preact_d
input: 29x29x3
classes: 6
stem:
  conv1: 3x3, 8, /2; 3x3, 16
stages:
  conv2_x: "[[3x3,16],[3x3,16]] x 1"
  conv3_x: "[[3x3,32],[3x3,32]] x 2"  # 15 -> 8: the shortcut's pool on an odd map
options:
  preact: true
  shortcut: D
""",
}


def _analysis(path: Path):
    return analyze(path.read_bytes(), str(path.relative_to(ROOT)))


@pytest.fixture(scope="module")
def tiny_specs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    where = tmp_path_factory.mktemp("tiny")
    paths = []
    for name, text in TINY.items():
        (where / f"{name}.yaml").write_text(text)
        paths.append(where / f"{name}.yaml")
    return paths


# ---------------------------------------------------------------- what the targets write


@pytest.mark.parametrize("name", TARGETS)
def test_the_committed_modules_are_what_the_specs_compile_to(name: str) -> None:
    found = sorted(p.name for p in FRAMEWORKS.glob(f"*_{name}.py"))
    assert found == sorted(f"{p.stem}_{name}.py" for p in SPECS)
    for spec in SPECS:
        analysis = _analysis(spec)
        text = render(analysis, str(spec.relative_to(ROOT)), name).text
        assert text == render(analysis, str(spec.relative_to(ROOT)), name).text  # deterministic
        assert text == (FRAMEWORKS / target(name).file_name(analysis.network)).read_text()
        assert "resnetc" not in "".join(
            line for line in text.splitlines() if line.startswith(("import", "from"))
        )


def test_the_modules_are_ruff_formatted_clean_and_typed(tmp_path: Path, tiny_specs) -> None:
    for i, spec in enumerate([*SPECS, *tiny_specs]):
        analysis = analyze(spec.read_bytes(), spec.name)
        for name in TARGETS:
            (tmp_path / f"m{i:03d}_{name}.py").write_text(render(analysis, spec.name, name).text)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    config = (GENERATED_DIR / "ruff.toml").read_text()
    (tmp_path / "ruff.toml").write_text(config.replace("../pyproject.toml", "pyproject.toml"))
    ruff = [sys.executable, "-m", "ruff"]
    run = subprocess.run(
        [*ruff, "format", "--check", "--diff", "--no-cache", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # ANN401 (no `Any`) aside: Keras has no tensor type common to its backends.
    select = "E,F,W,I,B,UP,SIM,RUF,C4,PIE,ANN"
    run = subprocess.run(
        [*ruff, "check", "--select", select, "--ignore", "ANN401", "--no-cache", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.slow
def test_the_modules_pass_mypy_strict_as_a_learner_checks_them(tmp_path: Path, tiny_specs) -> None:
    """Every module both targets write for the shipped specs and the small networks (which add
    the stem's average pool and grouped pre-activation blocks) passes `mypy --strict` with
    keras, jax and Flax installed and no configuration file, as in a learner's project; the
    Keras ones also where the configuration already skips untyped packages (the `type: ignore`
    on `import keras` is unused then, which its `unused-ignore` code allows). .ci/run checks
    generated/frameworks/ the same way."""
    for spec in [*SPECS, *tiny_specs]:
        analysis = analyze(spec.read_bytes(), spec.name)
        for name in TARGETS:
            (tmp_path / f"{spec.stem}_{name}.py").write_text(render(analysis, spec.name, name).text)
    mypy = [sys.executable, "-m", "mypy", "--strict", "--config-file=", "--cache-dir=.cache"]
    every = sorted(p.name for p in tmp_path.glob("*.py"))
    keras = [f for f in every if f.endswith("_keras.py")]
    for args in ([*mypy, *every], [*mypy, "--ignore-missing-imports", *keras]):
        run = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_the_source_map_points_at_each_part(name: str, spec: Path) -> None:
    analysis = _analysis(spec)
    net = analysis.network
    rendered = render(analysis, spec.name, name)
    lines = rendered.lines
    forward = "call" if name == "keras" else "__call__"
    sequential = "keras.Sequential(" if name == "keras" else "nnx.Sequential("
    for stage in net.stages:
        init, run, *shared = rendered.parts[stage.attr]
        out = stage.output
        assert (init.what, run.what) == (
            f"{net.class_name}.__init__",
            f"{net.class_name}.{forward}",
        )
        shown = stage.cell_text
        if stage.pruned:  # each cell is written above its blocks instead
            shown = (
                f"{len(stage.cells)} cells, {stage.repeats} blocks (a pruned stage: each cell's"
                " blocks have widths of their own)"
            )
        first = init.start - 1
        at = next(i for i in range(first, init.end) if lines[i].strip().startswith("self."))
        said = " ".join(line.strip().lstrip("#").strip() for line in lines[first:at])
        assert said == f"{stage.name}: {shown} -> {out.h}x{out.w}x{out.c}"
        assert lines[at].strip() == f"self.{stage.attr} = {sequential}"
        assert lines[init.end - 1].strip() == ")"
        assert (
            lines[run.start - 1].strip() == f"x = self.{stage.attr}(x)  # {out.h}x{out.w}x{out.c}"
        )
        assert {r.what for r in shared} >= {f"class {b.kind}" for b in stage.blocks}
        for r in shared:
            kind, what = r.what.split()
            assert lines[r.start - 1].startswith(f"{kind} {what}(")
            assert r.end == len(lines) or not lines[r.end].strip()
    conv1 = rendered.parts["conv1"]
    assert lines[conv1[0].start - 1].strip().startswith("# conv1: ")
    assert lines[conv1[1].start - 1].strip().startswith("x = self.conv1(x)")
    if net.stem.pool is not None:
        assert "pool: " in lines[rendered.parts["pool"][0].start - 1]
    assert lines[rendered.parts["head"][-1].end - 1].strip() == "return x"


def test_each_target_names_its_files_as_the_pipeline_says() -> None:
    from resnetc.pipeline import FILE_SUFFIXES, TARGET_NAMES

    net = _analysis(SPEC_DIR / "resnet18.yaml").network
    for name in TARGET_NAMES:
        assert target(name).suffix == FILE_SUFFIXES[name]
        assert target(name).file_name(net) == f"resnet18{FILE_SUFFIXES[name]}.py"


# ---------------------------------------------------------------- refusals


class Gate(BaseModel):
    """A node kind that the Keras and Flax targets have not been taught."""

    model_config = ConfigDict(frozen=True)

    name: str = "se"
    span: None = None
    output: ir.Shape | None = None


def _with_block(net: ir.Network, **update) -> ir.Network:
    stage = net.stages[1]
    block = stage.blocks[0].model_copy(update=update)
    stages = list(net.stages)
    stages[1] = stage.model_copy(update={"blocks": (block, *stage.blocks[1:])})
    return net.model_copy(update={"stages": tuple(stages)})


@pytest.mark.parametrize("name", TARGETS)
def test_an_unknown_node_kind_in_a_block_is_refused_at_the_block(name: str) -> None:
    net = _analysis(SPEC_DIR / "resnet18.yaml").network
    block = net.stages[1].blocks[0]
    broken = _with_block(net, layers=(*block.layers, Gate()))
    found = target(name).refusals(broken)
    messages = [d.message for d in found]
    assert f"the {name} target cannot write a Gate node" in messages
    assert all(d.span == block.span for d in found)
    with pytest.raises(CompileError):
        target(name).render(broken, "x.yaml")


@pytest.mark.parametrize("name", TARGETS)
def test_a_block_pattern_or_shortcut_kind_it_does_not_know_is_refused(name: str) -> None:
    net = _analysis(SPEC_DIR / "resnet50.yaml").network
    kinds = (net.block_kinds[0].model_copy(update={"pattern": "se_bottleneck"}),)
    found = target(name).refusals(net.model_copy(update={"block_kinds": kinds}))
    assert [d.message for d in found] == [
        f"the {name} target cannot write a block of the 'se_bottleneck' pattern (Bottleneck)"
    ]
    assert found[0].span == net.stages[0].blocks[0].span
    block = net.stages[1].blocks[0]
    pooled = ir.Shortcut.model_construct(**{**dict(block.shortcut), "kind": "avgpool"})
    found = target(name).refusals(_with_block(net, shortcut=pooled))
    assert [d.message for d in found] == [f"the {name} target cannot write a 'avgpool' shortcut"]


@pytest.mark.parametrize("name", TARGETS)
def test_a_field_it_does_not_know_is_refused_only_where_it_is_set(name: str) -> None:
    class DeepStem(ir.Stem):
        """A stem with a field of its own (as a tiered stem might have)."""

        extra: tuple[ir.Conv, ...] = ()

    net = _analysis(SPEC_DIR / "resnet50.yaml").network
    fields = {**refusal.IR_FIELDS, DeepStem: refusal.IR_FIELDS[ir.Stem]}
    knows = refusal.Knows(name, fields, frozenset({"bottleneck"}), frozenset(), frozenset())
    stem = DeepStem(**dict(net.stem))
    plain = refusal.refusals(net, knows)
    assert refusal.refusals(net.model_copy(update={"stem": stem}), knows) == plain
    deep = stem.model_copy(update={"extra": (net.stem.conv,)})
    found = refusal.refusals(net.model_copy(update={"stem": deep}), knows)
    assert any("cannot write `DeepStem.extra` ((Conv(" in d.message for d in found)


ZOO_REFUSALS = {
    "resnetrs50": ["an anti-aliased stem pool (`Stem.pool_layers`)"],
    "resnet50_gn": ["GroupNorm (`norm: GN`) in place of BatchNorm", "a GroupNorm (`Norm.groups`)"],
}
"""Some of what the Keras and Flax targets say of each zoo spec they have not been taught."""


@pytest.mark.parametrize("name", TARGETS)
def test_only_resnet_ds_own_average_pool_shortcut_is_written(name: str) -> None:
    """`avg_projection` writes timm's 2x2 pool /2 (Keras' padding="same" and the Flax module's
    `ceil_avg_pool` are torch's ceil mode only for it): a stage entered with stride 3 under
    `shortcut: D` is refused at its cell, and a ceil-mode pool in the stem (which no spec writes
    today) at the stem, not written wrong."""
    text = (
        "name: d3\ninput: 27x27x3\nclasses: 10\nstem:\n  conv1: 3x3, 16\nstages:\n"
        '  s1: "[[3x3,16],[3x3,16]] x 1"\n  s2:\n    cell: "[[3x3,32],[3x3,32]] x 1"\n'
        "    stride: 3\noptions:\n  shortcut: D\n"
    )
    net = analyze(text, "d3.yaml").network
    found = target(name).refusals(net)
    assert [(d.message, d.span.line) for d in found] == [
        (
            f"the {name} target cannot write an average-pool shortcut other than ResNet-D's"
            " (a 2x2 pool /2, a 1x1 conv)",
            9,
        )
    ]
    r50 = _analysis(SPEC_DIR / "resnet50.yaml").network
    pool = r50.stem.pool.model_copy(update={"ceil": True})
    stem = r50.stem.model_copy(update={"pool": pool})
    found = target(name).refusals(r50.model_copy(update={"stem": stem}))
    assert [d.message for d in found] == [
        f"the {name} target cannot write a stem pool in ceil mode or leaving the padding out of"
        " its count"
    ]


@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("spec", sorted(TORCH_ONLY_SPECS))
def test_the_zoo_specs_are_refused_located_in_words(
    spec: str, name: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    """Every shipped spec the targets do not write is one of timm's zoo, refused in words at
    the spec text of each tweak, and nothing is written."""
    assert {p.stem for p in SPEC_DIR.glob("*.yaml")} - {p.stem for p in SPECS} == TORCH_ONLY_SPECS
    monkeypatch.chdir(ROOT)
    path = f"spec/{spec}.yaml"
    found = target(name).refusals(_analysis(ROOT / path).network)
    assert found and all(d.span is not None and d.span.file == path for d in found)
    messages = " | ".join(d.message for d in found)
    for words in ZOO_REFUSALS[spec]:
        assert f"the {name} target cannot write {words}" in messages
    assert "(Conv(" not in messages and "Attention(" not in messages  # words, not reprs
    assert "Attention" not in messages and "SqueezeExcite" not in messages  # both are taught
    assert main(["compile", path, "-o", str(tmp_path / "out"), "--target", name]) == 1
    err = capsys.readouterr().err
    assert "resnetc: 1 of 1 spec refused; nothing written" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_compile_refuses_a_target_construct_located_and_writes_nothing(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    from resnetc.targets.keras import knows as keras_knows

    monkeypatch.setattr(
        keras_knows,
        "KNOWS",
        refusal.Knows(
            "keras",
            refusal.IR_FIELDS,
            frozenset({"bottleneck"}),
            frozenset({"identity"}),
            frozenset({"max"}),
        ),
    )
    out = tmp_path / "out"
    spec = "tests/specs/cifar_resnet8_a.yaml"
    monkeypatch.chdir(ROOT)
    code = main(["compile", spec, "-o", str(out), "--target", "torch", "--target", "keras"])
    err = capsys.readouterr().err
    assert code == 1
    assert not out.exists()
    assert (
        f"{spec}:10:12: error: the keras target cannot write a block of the 'basic' pattern" in err
    )
    assert f"{spec}:11:12: error: the keras target cannot write a 'zeropad' shortcut" in err
    assert "^" in err and "Traceback" not in err
    assert "resnetc: 1 of 1 spec refused; nothing written" in err
    args = ["compile", spec, "-o", str(out), "--target", "keras", "--diagnostics-format", "json"]
    assert main(args) == 1
    document = json.loads(capsys.readouterr().err)
    codes = {d["code"] for d in document["diagnostics"]}
    assert codes == {"target-cannot-write"}


def test_compile_writes_each_target_and_the_torch_file_is_unchanged(tmp_path: Path) -> None:
    spec = SPEC_DIR / "resnet34.yaml"
    code = main(
        [
            "compile",
            str(spec),
            "-o",
            str(tmp_path),
            "--target",
            "flax",
            "--target",
            "keras",
            "--target",
            "flax",
        ]
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resnet34_flax.py", "resnet34_keras.py"]
    assert main(["compile", str(spec), "-o", str(tmp_path)]) == 0
    analysis = _analysis(spec)
    label = spec_label(spec, tmp_path)  # spec/resnet34.yaml unless tmp and the repo share more
    assert (tmp_path / "resnet34.py").read_text() == render(analysis, label).text


# ---------------------------------------------------------------- the same numbers


def check(target_name: str, specs: list[Path], backend: str | None = None) -> list[dict]:
    """tests/frameworks_check.py's figures for `specs`, run in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    run = subprocess.run(
        [sys.executable, "-m", "tests.frameworks_check", target_name, *map(str, specs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return [json.loads(line) for line in run.stdout.splitlines()]


def assert_same_numbers(figures: list[dict]) -> None:
    """Every logit within max(1e-4, 1e-5 x the largest), and torch's trainable parameters."""
    for f in figures:
        bound = max(1e-4, 1e-5 * f["max_abs_logit"])
        assert f["max_abs_diff"] <= bound, f
        assert f["params"] == f["torch_params"], f


def test_small_networks_give_torchs_logits_in_keras_and_flax(tiny_specs) -> None:
    figures = check("keras,flax", tiny_specs, backend="torch")
    assert {(f["spec"], f["target"]) for f in figures} == {
        (p.stem, t) for p in tiny_specs for t in ("keras-torch", "flax")
    }
    assert_same_numbers(figures)
