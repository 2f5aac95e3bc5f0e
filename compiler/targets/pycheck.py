"""What a generated Python module may contain, checked on its parsed source before it is returned.

Importing a generated module must do nothing but define the network. So its top level may hold
only the docstring, the imports its target allows (`Allowed.imports`), assignments of literals,
and class and function definitions; a definition may have no decorator, class keywords or computed
defaults, and a class body only its docstring, literal attributes and methods. Anywhere in the
module, a name must be one the module binds itself, one its imports bind, or one of the builtins
its target allows, and no attribute may be a dunder its target does not allow (`__init__`,
`__call__`): no spec value can reach `exec`, `open`, `os` or `().__class__`. Any breach is an
`InternalError` (a bug in resnetc). Each target that writes Python states what it allows and
calls `check`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass


class InternalError(Exception):
    """Emission produced something other than a module that only defines the network."""


@dataclass(frozen=True)
class Allowed:
    """What one target's modules may import and call.

    `imports` are the `import X` / `import X as Y` statements allowed, as (X, Y or None);
    `from_imports` the `from M import a, b` ones, by module; `builtins` the builtins the code may
    name.
    """

    imports: frozenset[tuple[str, str | None]]
    from_imports: Mapping[str, frozenset[str]]
    builtins: frozenset[str]
    dunders: frozenset[str] = frozenset({"__init__", "__call__"})
    """The dunder attributes the code may use (Flax and Keras call `__call__`)."""

    def bound(self) -> set[str]:
        """The names the allowed imports bind."""
        names = {alias or module.split(".")[0] for module, alias in self.imports}
        return names | {n for group in self.from_imports.values() for n in group}


def check(text: str, allowed: Allowed) -> None:
    """Parse emitted source back and check that importing it can only define the network."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise InternalError(f"emitted source does not parse: {exc}") from None
    for i, node in enumerate(tree.body):
        if i == 0 and _is_docstring(node):
            continue
        _check_top(node, allowed)
    _check_names(tree, allowed)


def _refuse(node: ast.AST, what: str) -> InternalError:
    return InternalError(f"emitted source has {what} at line {getattr(node, 'lineno', '?')}")


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_literal(node: ast.expr | None) -> bool:
    if node is None:
        return False
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


def _check_top(node: ast.stmt, allowed: Allowed) -> None:
    """One statement of the module's top level."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if (alias.name, alias.asname) not in allowed.imports:
                raise _refuse(node, f"an import of {alias.name}, which its target does not allow,")
    elif isinstance(node, ast.ImportFrom):
        names = {a.name for a in node.names if a.asname is None}
        permitted = allowed.from_imports.get(node.module or "", frozenset())
        if node.level or len(names) < len(node.names) or not names <= permitted:
            raise _refuse(node, f"an import from {node.module}, which its target does not allow,")
    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
        _check_assignment(node)
    elif isinstance(node, ast.FunctionDef):
        _check_function(node)
    elif isinstance(node, ast.ClassDef):
        _check_class(node)
    else:
        raise _refuse(node, f"a top-level {type(node).__name__}")


def _check_assignment(node: ast.Assign | ast.AnnAssign) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not all(isinstance(t, ast.Name) for t in targets) or not _is_literal(node.value):
        raise _refuse(node, "an assignment of something other than a literal to a name")
    if isinstance(node, ast.AnnAssign) and not _is_type(node.annotation):
        raise _refuse(node, "an annotation that is not a type")


def _is_type(node: ast.expr | None) -> bool:
    """`int`, `nn.Module | None`, `tuple[int, int]`: names, attributes, subscripts, `|`."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, ast.Attribute):
        return _is_type(node.value)
    if isinstance(node, ast.Subscript):
        return _is_type(node.value) and _is_type(node.slice)
    if isinstance(node, ast.Tuple):
        return all(_is_type(e) for e in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_type(node.left) and _is_type(node.right)
    return False


def _check_function(node: ast.stmt) -> None:
    """A definition whose `def` line evaluates nothing but types and literal defaults."""
    if not isinstance(node, ast.FunctionDef) or node.decorator_list:
        raise _refuse(node, "a decorated or asynchronous function")
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    annotations = [a.annotation for a in every if a is not None and a.annotation is not None]
    if node.returns is not None:
        annotations.append(node.returns)
    if not all(_is_type(a) for a in annotations):
        raise _refuse(node, f"an annotation of {node.name} that is not a type")
    defaults = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
    if not all(_is_literal(d) for d in defaults):
        raise _refuse(node, f"a default of {node.name} that is not a literal")


def _check_class(node: ast.ClassDef) -> None:
    """A class with plain bases whose body holds a docstring, literal attributes and methods."""
    if node.decorator_list or node.keywords:
        raise _refuse(node, f"a decorated class or class keywords on {node.name}")
    if not all(isinstance(b, (ast.Name, ast.Attribute)) and _is_type(b) for b in node.bases):
        raise _refuse(node, f"a computed base class of {node.name}")
    for i, item in enumerate(node.body):
        if i == 0 and _is_docstring(item):
            continue
        if isinstance(item, (ast.Assign, ast.AnnAssign)):
            _check_assignment(item)
        elif isinstance(item, ast.FunctionDef):
            _check_function(item)
        else:
            raise _refuse(item, f"a {type(item).__name__} in the body of class {node.name}")


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds: definitions, parameters, assignment and loop targets."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    return bound


_FORBIDDEN = (ast.Global, ast.Nonlocal, ast.Lambda, ast.Import, ast.ImportFrom, ast.Delete)


def _check_names(tree: ast.Module, allowed: Allowed) -> None:
    """Names only from the module, its imports or its builtins; no dunder attribute but
    `__init__` and `__call__`."""
    names = _bound_names(tree) | allowed.bound() | allowed.builtins
    top_imports = {id(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names:
            raise _refuse(node, f"a reference to {node.id!r}, which it does not define")
        if isinstance(node, ast.Attribute) and (
            _dunder(node.attr) and node.attr not in allowed.dunders
        ):
            raise _refuse(node, f"an access to the attribute {node.attr!r}")
        if isinstance(node, _FORBIDDEN) and id(node) not in top_imports:
            raise _refuse(node, f"a {type(node).__name__} statement or expression")


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")
