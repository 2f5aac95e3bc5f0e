"""The full three-framework battery (`pytest -m slow`; CI runs it): every shipped spec through
Keras on jax, Keras on torch and Flax gives PyTorch's logits and trainable parameter count, and
`resnetc verify --target keras|flax` holds for every shipped spec under its layer limit (all but
ecaresnet101d_pruned, tests/test_limits.py).

Each run is one process of its own (Keras chooses its backend when it is first imported) running
tests/frameworks_check.py over the shipped specs the targets write: a minute or two per run on 2
cores.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import FRAMEWORK_SPECS, ROOT
from tests.test_frameworks import assert_same_numbers, check
from tests.test_limits import OVER_FRAMEWORK_VERIFY_LAYERS

pytestmark = pytest.mark.slow

SPECS = FRAMEWORK_SPECS  # not the torch-only ones (tests/test_frameworks.py)
RUNS = [("keras", "jax"), ("keras", "torch"), ("flax", None)]


@pytest.mark.parametrize(("target", "backend"), RUNS, ids=["keras-jax", "keras-torch", "flax"])
def test_every_shipped_spec_gives_torchs_logits(target: str, backend: str | None) -> None:
    figures = check(target, SPECS, backend)
    assert [f["spec"] for f in figures] == [p.stem for p in SPECS]
    assert_same_numbers(figures)


@pytest.mark.parametrize(("target", "backend"), [("keras", "torch"), ("flax", None)])
def test_verify_holds_for_every_shipped_spec(target: str, backend: str | None) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    specs = [str(p.relative_to(ROOT)) for p in SPECS if p.stem not in OVER_FRAMEWORK_VERIFY_LAYERS]
    run = subprocess.run(
        [sys.executable, "-m", "resnetc", "verify", "--target", target, *specs],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert run.stdout.count(f"verified ({target})") == len(specs)
