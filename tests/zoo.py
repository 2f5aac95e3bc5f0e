"""timm and HF transformers for the tests that compare resnetc with the zoos.

Both are test dependencies only (resnetc never imports them). timm imports torchvision at import
time, and its pinned install beside torch 2.13.0 is done without dependencies, as .ci/run does:

    pip install --no-deps timm==1.0.31 torchvision==0.28.0

On a CPU-only torch, PyPI's torchvision wheel cannot load its compiled operators, and its
`_meta_registrations` module then fails at import ("operator torchvision::nms does not exist").
timm's ResNets use none of those operators (only torchvision's pure-Python modules), so `timm()`
retries the import with that one module replaced by an empty one. Nothing else is patched.

Where timm or transformers is missing, the tests that need them are skipped, saying so; under CI
(CI=true) they fail instead, so that a missing install step cannot pass unseen.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import types

import pytest

TIMM_INSTALL = "pip install --no-deps timm==1.0.31 torchvision==0.28.0"


def _missing(what: str, how: str):
    message = f"{what} is not installed ({how})"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _torchvision() -> None:
    """Import torchvision, without its meta registrations where its operators cannot load."""
    if "torchvision" in sys.modules:
        return
    try:
        importlib.import_module("torchvision")
    except RuntimeError as exc:
        if "torchvision::" not in str(exc):
            raise
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType(
            "torchvision._meta_registrations"
        )
        importlib.import_module("torchvision")


def timm():
    """The timm package (pytest skips, or fails under CI, where it is not installed)."""
    try:
        _torchvision()
        return importlib.import_module("timm")
    except ImportError:
        _missing("timm", TIMM_INSTALL)


def transformers():
    """The transformers package (as `timm()`: skipped where missing, failing under CI)."""
    with contextlib.suppress(ImportError):  # transformers works without torchvision
        _torchvision()
    try:
        return importlib.import_module("transformers")
    except ImportError:
        _missing("transformers", "pip install -e '.[test]'")
