"""Where each part of the network lives in its generated module: line ranges found with `ast`.

The module is rendered by `compiler.emit.render` and parsed back; nothing here depends on the
templates' exact layout. A part (conv1, pool, a stage, the head) maps to the statements of the
network's `__init__` that assign its attributes (with the comment lines just above them), the lines
of `forward` that call them, and the block classes and shortcut helpers its blocks use.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..core import ir


@dataclass(frozen=True)
class CodeRange:
    """Lines `start`..`end` (1-based, inclusive) of the generated module, and what they are."""

    what: str
    start: int
    end: int

    def lines(self, text_lines: list[str]) -> list[tuple[int, str]]:
        """(line number, text) for every line of the range."""
        return [(n, text_lines[n - 1]) for n in range(self.start, self.end + 1)]


def part_attributes(net: ir.Network) -> dict[str, tuple[str, ...]]:
    """The attributes of the network class that implement each part.

    Parts are keyed `conv1`, `pool`, each stage's attribute (`layer1`...) and `head`: unique
    whatever the spec names its stages.
    """
    stem = [net.stem.conv.name]
    if net.stem.norm is not None:
        stem.append(net.stem.norm.name)
    stem.append("relu")
    parts: dict[str, tuple[str, ...]] = {"conv1": tuple(stem)}
    if net.stem.pool is not None:
        parts["pool"] = (net.stem.pool.name,)
    for stage in net.stages:
        parts[stage.attr] = (stage.attr,)
    head = [net.head.norm.name] if net.head.norm is not None else []
    parts["head"] = (*head, "avgpool", net.head.fc.name)
    return parts


def _self_attr(stmt: ast.stmt) -> str | None:
    """`NAME` for `self.NAME = ...` in `__init__`."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            return target.attr if target.value.id == "self" else None
    return None


def _called_attr(stmt: ast.stmt) -> str | None:
    """`NAME` for `x = self.NAME(x)` in forward."""
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return func.attr if func.value.id == "self" else None
    return None


def _with_comments(start: int, lines: list[str]) -> int:
    """`start` moved up over the comment lines directly above it."""
    while start > 1 and lines[start - 2].lstrip().startswith("#"):
        start -= 1
    return start


def _find(tree: ast.Module, kind: type, name: str):
    return next((n for n in tree.body if isinstance(n, kind) and n.name == name), None)


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef:
    found = _find(ast.Module(body=cls.body, type_ignores=[]), ast.FunctionDef, name)
    if found is None:  # pragma: no cover - emission always writes both methods
        raise ValueError(f"generated class {cls.name} has no {name}()")
    return found


def _group(statements: list[ast.stmt], owner: dict[str, str], attr_of, join: bool) -> dict:
    """The statements of each part; one naming no part joins the part before if `join`."""
    out: dict[str, list[ast.stmt]] = {}
    current = None
    for stmt in statements:
        attr = attr_of(stmt)
        if attr is not None:
            current = owner.get(attr)
        elif not join:
            current = None
        if current is not None:
            out.setdefault(current, []).append(stmt)
    return out


def _span(what: str, stmts: list[ast.stmt], lines: list[str], comments: bool) -> CodeRange:
    start = stmts[0].lineno
    if comments:
        start = _with_comments(start, lines)
    return CodeRange(what, start, max(s.end_lineno or s.lineno for s in stmts))


def locate(net: ir.Network, module: str) -> dict[str, tuple[CodeRange, ...]]:
    """For each part of `net` (see `part_attributes`): its lines in `module`."""
    tree = ast.parse(module)
    lines = module.splitlines()
    cls = _find(tree, ast.ClassDef, net.class_name)
    if cls is None:  # pragma: no cover - emission always writes the network class
        raise ValueError(f"the generated module has no class {net.class_name}")
    attrs = part_attributes(net)
    owner = {attr: part for part, names in attrs.items() for attr in names}
    init = _group(_method(cls, "__init__").body, owner, _self_attr, join=False)
    forward = _group(_method(cls, "forward").body, owner, _called_attr, join=True)
    found: dict[str, list[CodeRange]] = {part: [] for part in attrs}
    for part in attrs:
        if part in init:
            found[part].append(_span(f"{net.class_name}.__init__", init[part], lines, True))
        if part in forward:
            found[part].append(_span(f"{net.class_name}.forward", forward[part], lines, False))
    for stage in net.stages:
        for name in _helpers(stage):
            node = _find(tree, ast.ClassDef, name) or _find(tree, ast.FunctionDef, name)
            if node is not None:
                kind = "class" if isinstance(node, ast.ClassDef) else "def"
                found[stage.attr].append(
                    CodeRange(f"{kind} {name}", node.lineno, node.end_lineno or node.lineno)
                )
    return {part: tuple(ranges) for part, ranges in found.items()}


def _helpers(stage: ir.Stage) -> list[str]:
    """The block classes, then the shortcut helpers, that a stage's blocks use, in order."""
    names = list(dict.fromkeys(block.kind for block in stage.blocks))
    kinds = {block.shortcut.kind for block in stage.blocks}
    if "projection" in kinds:
        names.append("projection")
    if "zeropad" in kinds:
        names.append("ZeroPadShortcut")
    return names
