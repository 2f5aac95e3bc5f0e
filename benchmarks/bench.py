"""resnetc's benchmark: compile cost against the interpreter floor, analysis time, growth with
depth, and the generated ResNet-50's speed against a flat `nn.Sequential` of the same layers.

Run from the repository root:  python benchmarks/bench.py   (about 5 minutes on 2 cores)
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
import shutil
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


def interleaved(
    cases: dict[str, Callable[[], object]],
    rounds: int,
    setup: dict[str, Callable[[], object]] | None = None,
) -> dict[str, list[float]]:
    """Run every case once per round, in turn, `rounds` times; the wall time of each run.
    A case's `setup`, if any, runs untimed just before it."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            if setup and name in setup:
                setup[name]()
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
        subprocess.run(
            argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    return go


def startup(rounds: int) -> list[str]:
    """`python -m resnetc compile SPEC -o DIR` per spec, cold and warm, against the floors."""
    # An installed package has its bytecode compiled; make that so here too (PYTHONDONTWRITEBYTECODE
    # may be set), or every run would also pay for compiling resnetc's own source.
    compileall.compile_dir(ROOT / "compiler", quiet=1)
    cache = Path(tempfile.mkdtemp(prefix="resnetc-bench-cache-"))
    env = {**_child_env(), "RESNETC_CACHE_DIR": str(cache)}
    out = Path(tempfile.mkdtemp(prefix="resnetc-bench-"))
    cases = {name: _run([sys.executable, "-c", code], env) for name, code in FLOORS.items()}
    setup: dict[str, Callable[[], object]] = {}
    forget = lambda: shutil.rmtree(cache / "compiled", ignore_errors=True)  # noqa: E731
    specs = [*SPECS, SCALE_SPECS / "resnet1202.yaml", SCALE_SPECS / "deep10k.yaml"]
    for spec in specs:
        argv = [sys.executable, "-m", "resnetc", "compile", str(spec), "-o", str(out)]
        cases[f"cold {spec.stem}"] = _run(argv, env)
        setup[f"cold {spec.stem}"] = forget  # untimed: the compile cache loses every result
        cases[f"warm {spec.stem}"] = _run(argv, env)
    cases["import only: python -c 'import resnetc.cli'"] = _run(
        [sys.executable, "-c", "import resnetc.cli"], env
    )
    for name, case in cases.items():  # warm the page cache and the template cache
        setup.get(name, lambda: None)()
        case()
    times = interleaved(cases, rounds, setup)
    floor = median_ms(times[list(FLOORS)[1]])
    width = max(len(n) for n in cases)
    lines = [f"{'command':<{width}}  median ms  / floor"]
    for name in [*FLOORS, list(cases)[-1]]:
        ms = median_ms(times[name])
        lines.append(f"{name:<{width}}  {ms:9.1f}  {ms / floor:7.2f}")
    lines += ["", f"{'resnetc compile SPEC -o DIR':<{width}}  cold ms  / floor  warm ms  / floor"]
    for spec in specs:
        cold, warm = median_ms(times[f"cold {spec.stem}"]), median_ms(times[f"warm {spec.stem}"])
        ratios = f"{cold:7.1f}  {cold / floor:7.2f}  {warm:7.1f}  {warm / floor:7.2f}"
        lines.append(f"{spec.stem:<{width}}  {ratios}")
    lines.append(
        f"({rounds} interleaved rounds; floor = python -c 'import yaml, pydantic, jinja2';"
        " cold: the compile cache emptied before each run, templates cached;"
        " warm: the spec compiled before)"
    )
    return lines


# ---------------------------------------------------------------- analysis and growth (in-process)


def _phases(path: Path) -> dict[str, Callable[[], object]]:
    from resnetc.pipeline import analyze
    from resnetc.targets.torch.emit import render
    from resnetc.teach.stage_table import stage_table

    data = path.read_bytes()
    net = analyze(data, str(path)).network
    return {
        "analyze": lambda: analyze(data, str(path)),
        "render": lambda: render(net, path.name),
        "table": lambda: stage_table(net),
    }


def analysis(rounds: int) -> list[str]:
    """In-process time of each stage of `resnetc compile` / `check`, after start-up."""
    from resnetc.pipeline import analyze
    from resnetc.targets.torch.emit import render

    paths = [*SPECS, SCALE_SPECS / "resnet1202.yaml", SCALE_SPECS / "deep10k.yaml"]
    lines = [
        "spec                 blocks  analyze ms  render ms  table ms  source lines  "
        "(analyze = parse + validate + lower + shape pass + costs)"
    ]
    for path in paths:
        phases = _phases(path)
        times = interleaved(phases, rounds * 5)
        net = analyze(path.read_bytes(), str(path)).network
        blocks = sum(stage.repeats for stage in net.stages)
        source = render(net, path.name)
        cells = "  ".join(
            f"{median_ms(times[k]):{w}.2f}"
            for k, w in (("analyze", 10), ("render", 9), ("table", 8))
        )
        lines.append(f"{path.stem:<19}  {blocks:6}  {cells}  {len(source.splitlines()):12}")
    lines.append(f"(medians of {rounds * 5} runs each, warm: imports and templates already loaded)")
    return lines


def growth(rounds: int) -> list[str]:
    """analyze + render + stage table, in-process, ResNet-18 -> ResNet-1202 -> 10,000 blocks."""
    from resnetc.pipeline import analyze

    paths = [ROOT / "spec" / "resnet18.yaml", *(SCALE_SPECS / n for n in GROWTH)]
    cases = {}
    for path in paths:
        phases = _phases(path)
        cases[path.stem] = lambda p=phases: [fn() for fn in p.values()]
    times = interleaved(cases, rounds * 5)
    base = median_ms(times["resnet18"])
    lines = ["spec         blocks  layers  analyze+render+table ms  / resnet18"]
    for path in paths:
        net = analyze(path.read_bytes(), str(path)).network
        blocks = sum(stage.repeats for stage in net.stages)
        layers = 2 + sum(b.count * len(b.convs) for stage in net.stages for b in stage.blocks)
        ms = median_ms(times[path.stem])
        lines.append(f"{path.stem:<11}  {blocks:6}  {layers:6}  {ms:23.2f}  {ms / base:9.2f}")
    lines.append("(interleaved, medians; the end-to-end subprocess figures are in `startup`)")
    return lines


GROWTH = ("resnet1202.yaml", "deep10k.yaml")


# ---------------------------------------------------------------- generated model vs flat baseline


def _residual_class():
    from torch import nn

    class Residual(nn.Module):
        """relu(body(x) + shortcut(x)): the least a residual block can be as a module."""

        def __init__(self, body: nn.Sequential, shortcut: nn.Module) -> None:
            super().__init__()
            self.body, self.shortcut, self.relu = body, shortcut, nn.ReLU(inplace=True)

        def forward(self, x):
            return self.relu(self.body(x) + self.shortcut(x))

    return Residual


def flat_baseline(model):
    """The same layer objects (shared weights) as one flat nn.Sequential, blocks as `Residual`."""
    from torch import nn

    residual = _residual_class()
    layers = [model.conv1, model.bn1, model.relu, model.maxpool]
    for name in ("layer1", "layer2", "layer3", "layer4"):
        for b in getattr(model, name):
            body = nn.Sequential(
                b.conv1,
                b.bn1,
                nn.ReLU(inplace=True),
                b.conv2,
                b.bn2,
                nn.ReLU(inplace=True),
                b.conv3,
                b.bn3,
            )
            layers.append(residual(body, b.downsample or nn.Identity()))
    layers += [model.avgpool, nn.Flatten(1), model.fc]
    return nn.Sequential(*layers)


def model_speed(rounds: int) -> list[str]:
    """Generated ResNet-50 against the flat baseline: forward and forward+backward."""
    import importlib.util

    import torch

    spec = importlib.util.spec_from_file_location("g_resnet50", ROOT / "generated" / "resnet50.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    lines = ["input         mode              generated ms  flat ms  generated / flat"]
    for shape, mode_rounds in (((1, 3, 64, 64), rounds), ((4, 3, 224, 224), max(3, rounds // 3))):
        for train in (False, True):
            model = module.resnet50().train(train)
            flat = flat_baseline(model)
            x = torch.randn(*shape)
            if not train:
                with torch.no_grad():
                    torch.testing.assert_close(flat(x), model(x), rtol=0, atol=0)

            def step(net, x=x, train=train):
                if train:
                    net(x).sum().backward()
                else:
                    with torch.no_grad():
                        net(x)

            for _ in range(2):  # warm-up: allocator, oneDNN primitives
                step(model), step(flat)
            cases = {"g": lambda m=model: step(m), "f": lambda m=flat: step(m)}
            times = interleaved(cases, mode_rounds)
            g, f = median_ms(times["g"]), median_ms(times["f"])
            what = "forward+backward" if train else "forward (eval)"
            size = "x".join(map(str, shape))
            lines.append(f"{size:<12}  {what:<16}  {g:12.1f}  {f:7.1f}  {g / f:16.3f}")
    lines.append(
        "(flat = the same layer objects in one nn.Sequential; each block a Residual module: "
        "relu(body(x) + shortcut(x)); medians of interleaved runs; outputs checked identical)"
    )
    return lines


# ---------------------------------------------------------------- main


SECTIONS = {
    "startup": startup,
    "analysis": analysis,
    "growth": growth,
    "model": model_speed,
}


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
