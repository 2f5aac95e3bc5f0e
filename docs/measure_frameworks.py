"""Measure how far the Keras and Flax modules' logits are from PyTorch's, for the shipped specs.

    python docs/measure_frameworks.py    # writes docs/frameworks.json (a few minutes on 2 cores)

Runs tests/frameworks_check.py for Keras on jax, Keras on torch and Flax, each in a process of its
own, over the shipped specs both targets write (not the zoo's that they refuse), and writes what
they print, with the versions used, to docs/frameworks.json; `python docs/build.py` turns that into
the table of docs/frameworks.md.
The slow test battery (tests/test_frameworks_battery.py) checks the same figures against the bound
on every CI run; this file records one run's figures for the manual.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = (("keras", "jax"), ("keras", "torch"), ("flax", None))


def measure(target: str, backend: str | None, specs: list[Path]) -> list[dict]:
    """tests/frameworks_check.py's figures for one target and backend."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    run = subprocess.run(
        [sys.executable, "-m", "tests.frameworks_check", target, *map(str, specs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in run.stdout.splitlines()]


def written(path: Path) -> bool:
    """Whether both the Keras and the Flax target write the spec at `path` (the zoo's deep stems,
    average-pool shortcuts and GroupNorm they refuse)."""
    from resnetc.pipeline import analyze, target

    net = analyze(path.read_bytes(), str(path.relative_to(ROOT))).network
    return not any(target(name).refusals(net) for name in ("keras", "flax"))


def main() -> int:
    """Measure every run and write docs/frameworks.json."""
    specs = [p for p in sorted((ROOT / "spec").glob("*.yaml")) if written(p)]
    figures = [f for target, backend in RUNS for f in measure(target, backend, specs)]
    for f in figures:  # timings vary from run to run; the manual shows the numbers only
        del f["torch_s"], f["target_s"]
    versions = {name: version(name) for name in ("torch", "keras", "jax", "flax")}
    data = {"versions": versions, "figures": figures}
    (ROOT / "docs" / "frameworks.json").write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote docs/frameworks.json ({len(figures)} figures)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
