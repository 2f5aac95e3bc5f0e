"""Building a generated model with each loop of identical blocks run once.

The emitted module writes a run of N identical blocks as a loop, `*(Bottleneck(256, 64) for _ in
range(N))`, so building the model costs N blocks: about 10 ms each on the meta device, which is a
quarter of an hour for a stage of 100,000. `build()` executes the network's own constructor with
two instruments in place:

- the module's `range` is one that records each loop's length N and yields only its first value,
  so the loop body, the emitted call, runs once and the stage's `nn.Sequential` holds that one
  block where the real model holds N copies of it;
- a torch module-registration hook sees every module the constructor builds, so each child of a
  stage is known to have been built inside a loop, and which one, or outside any.

`Group` then says which blocks of the stage each child stands for: block `first` and the
`count - 1` copies after it. Everything else about the model is the real one: the same classes,
the same constructor arguments, the same forward pass. What the instruments take on trust is that
the N iterations of an emitted loop build the same block (its body does not read the loop
variable), which is how the emitter writes every loop; verify checks the rest of what makes
copies interchangeable (the block gives the shape it is given, so each copy sees what the first
saw). A `range` of 0 or 1 values is passed through untouched.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

from ..verdict import module_range


@dataclass(frozen=True)
class Group:
    """A child of a stage's `nn.Sequential` and the blocks it stands for, `first` and on."""

    key: str
    first: int
    count: int = 1


@dataclass
class _Log:
    """What the constructor did: loop openings and closings, and when each module first built
    something (registered a submodule), in one sequence of events."""

    events: int = 0
    loops: list[tuple[int, int, int]] = field(default_factory=list)
    """(opened at, closed at, length) of each sampled loop."""
    built: dict[int, tuple[int, Any]] = field(default_factory=dict)
    """id(module) -> (event at which it registered its first submodule, the module)."""

    def tick(self) -> int:
        self.events += 1
        return self.events

    def sampled_range(self, *args: Any):
        """`range(*args)`, but a loop of several values yields its first one only."""
        values = builtins.range(*args)
        if len(values) <= 1:
            return iter(values)
        return self._first_of(values)

    def _first_of(self, values: range):
        opened = self.tick()
        yield values[0]
        self.loops.append((opened, self.tick(), len(values)))

    def registered(self, module: Any, name: str, submodule: Any) -> None:
        """The module-registration hook: note when `module` first registers a submodule."""
        self.built.setdefault(id(module), (self.tick(), module))

    def loop_of(self, module: Any) -> int:
        """How many blocks `module` stands for: the length of the outermost loop it was built in,
        or 1 if it was built outside every loop (or never registered a submodule)."""
        at = self.built.get(id(module), (None, None))[0]
        if at is None:
            return 1
        inside = [(opened, n) for opened, closed, n in self.loops if opened < at < closed]
        return min(inside)[1] if inside else 1


def build(torch: Any, module: Any, name: str, stages: list[str]) -> tuple[Any, dict]:
    """Build `module.<name>()` on the meta device with each loop run once; return the model and,
    for each stage attribute in `stages`, the `Group`s of its children in order."""
    from torch.nn.modules.module import register_module_module_registration_hook

    log = _Log()
    handle = register_module_module_registration_hook(log.registered)
    try:
        with module_range(module, log.sampled_range), torch.device("meta"):
            model = getattr(module, name)().eval()
    finally:
        handle.remove()
    groups = {attr: _groups(getattr(model, "_modules", {}).get(attr), log) for attr in stages}
    return model, groups


def _groups(stage: Any, log: _Log) -> list[Group]:
    """The children of a stage with a block number for a key, and the blocks each stands for."""
    if stage is None:
        return []
    found, first = [], 0
    for key, child in stage.named_children():
        if not key.isdigit():
            continue
        count = log.loop_of(child)
        found.append(Group(key, first, count))
        first += count
    return found
