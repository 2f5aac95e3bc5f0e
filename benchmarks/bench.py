"""resnetc's benchmark: compile cost against the interpreter floor, analysis time, growth with
depth, and the generated ResNet-50's speed against a flat `nn.Sequential` of the same layers.

Run from the repository root:  python benchmarks/bench.py   (about 2-3 minutes on 2 cores)
Options: --rounds N (subprocess rounds, default 21), --only startup,analysis,growth,model.

Every comparison is measured side by side in one run: the commands being compared are run
interleaved, round after round, and the median of each is reported, so that load from other
processes hits both sides alike. Ratios are what to read; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "spec").glob("*.yaml"))
SCALE_SPECS = ROOT / "benchmarks" / "specs"
FLOORS = {
    "python -c pass": "pass",
    "floor: import yaml, pydantic, jinja2": "import yaml, pydantic, jinja2",
    "floor + from pydantic import BaseModel": (
        "import yaml, pydantic, jinja2; from pydantic import BaseModel"
    ),
    "floor + one pydantic model, validated": (
        "import yaml, pydantic, jinja2\n"
        "from pydantic import BaseModel\n"
        "class M(BaseModel):\n    x: int\n"
        "M(x=1)"
    ),
}


def median_ms(samples: list[float]) -> float:
    """The median of `samples` (seconds), in milliseconds."""
    return 1000 * statistics.median(samples)


def interleaved(cases: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Run every case once per round, in turn, `rounds` times; the wall time of each run."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


# ---------------------------------------------------------------- machine


def machine() -> list[str]:
    """CPU model, cores, load, and the versions that matter."""
    import jinja2
    import pydantic
    import torch
    import yaml

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        f"date       {datetime.date.today().isoformat()}",
        f"cpu        {cpu}; {os.cpu_count()} logical cores, {usable} usable; load {load}",
        f"os         {platform.platform()}",
        f"python     {platform.python_version()} ({platform.python_implementation()})",
        f"torch      {torch.__version__} (threads: {torch.get_num_threads()}); "
        f"pydantic {pydantic.VERSION}; jinja2 {jinja2.__version__}; pyyaml {yaml.__version__}",
        "gpu        none lent to this run: CPU figures only",
    ]


# ---------------------------------------------------------------- start-up cost (subprocesses)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(argv: list[str], env: dict[str, str]) -> Callable[[], object]:
    def go() -> None:
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)

    return go


def startup(rounds: int) -> list[str]:
    """`python -m compiler compile SPEC -o DIR` per spec against the import floors."""
    # An installed package has its bytecode compiled; make that so here too (PYTHONDONTWRITEBYTECODE
    # may be set), or every run would also pay for compiling resnetc's own source.
    compileall.compile_dir(ROOT / "compiler", quiet=1)
    env = _child_env()
    out = Path(tempfile.mkdtemp(prefix="resnetc-bench-"))
    cases: dict[str, Callable[[], object]] = {
        name: _run([sys.executable, "-c", code], env) for name, code in FLOORS.items()
    }
    specs = [*SPECS, SCALE_SPECS / "resnet1202.yaml", SCALE_SPECS / "deep10k.yaml"]
    for spec in specs:
        argv = [sys.executable, "-m", "compiler", "compile", str(spec), "-o", str(out)]
        cases[f"resnetc compile {spec.relative_to(ROOT)}"] = _run(argv, env)
    r152 = str(ROOT / "spec" / "resnet152.yaml")
    argv = [sys.executable, "-m", "compiler", "compile", r152, "-o", str(out)]
    cases["  resnet152, template cache off (RESNETC_CACHE_DIR=)"] = _run(
        argv, {**env, "RESNETC_CACHE_DIR": ""}
    )
    cases["  same, import only: python -c 'import compiler.cli'"] = _run(
        [sys.executable, "-c", "import compiler.cli"], env
    )
    for case in cases.values():  # warm the page cache
        case()
    times = interleaved(cases, rounds)
    floor = median_ms(times[list(FLOORS)[1]])
    pyd = median_ms(times[list(FLOORS)[-1]])
    width = max(len(n) for n in cases)
    lines = [f"{'command':<{width}}  median ms  / floor  / pydantic floor"]
    for name, samples in times.items():
        ms = median_ms(samples)
        lines.append(f"{name:<{width}}  {ms:9.1f}  {ms / floor:7.2f}  {ms / pyd:15.2f}")
    lines.append(f"({rounds} interleaved rounds; -o is reused: files are unchanged after round 1)")
    return lines


# ---------------------------------------------------------------- main


SECTIONS = {"startup": startup}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="subprocess rounds (default 21)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    args = parser.parse_args(argv)
    print("\n".join(machine()))
    for name in args.only.split(","):
        print(f"\n== {name}")
        print("\n".join(SECTIONS[name](args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
