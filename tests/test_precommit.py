"""The pre-commit hooks of .pre-commit-hooks.yaml, tried as a user's repository would use them:
`pre-commit try-repo` this repository in a fresh git repository holding a spec (`pytest -m slow`:
pre-commit installs resnetc in an environment of its own, from the package index)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import GENERATED_DIR, ROOT, SPEC_DIR

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def test_the_hooks_are_declared_as_documented() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}
    assert set(hooks) == {"resnetc-check", "resnetc-compile-check"}
    assert hooks["resnetc-check"]["entry"] == "resnetc check"
    assert hooks["resnetc-compile-check"]["entry"] == "resnetc compile --check"
    assert hooks["resnetc-compile-check"]["args"] == ["-o", "generated/"]
    docs = (ROOT / "docs" / "pre-commit.md").read_text()
    assert all(f"`{name}`" in docs for name in hooks)
    assert "docs/pre-commit.md" in (ROOT / "README.md").read_text()


def _git(where: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=where, env=env, check=True, capture_output=True)


def _try(where: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    pre_commit = [sys.executable, "-m", "pre_commit"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [*pre_commit, "try-repo", str(ROOT), hook, "--all-files", "--verbose"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_pre_commit_try_repo_runs_both_hooks(tmp_path: Path) -> None:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":  # the test extra installs it: CI must not skip
            pytest.fail("pre-commit is not installed (pip install -e '.[test]')")
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    user, home = tmp_path / "user", tmp_path / "pre-commit-home"
    (user / "spec").mkdir(parents=True)
    (user / "generated").mkdir()
    shutil.copy(SPEC_DIR / "resnet18.yaml", user / "spec" / "resnet18.yaml")
    shutil.copy(GENERATED_DIR / "resnet18.py", user / "generated" / "resnet18.py")
    _git(user, "init", "-q")
    _git(user, "add", ".")
    _git(user, "commit", "-q", "-m", "a spec and its module")

    for hook in ("resnetc-check", "resnetc-compile-check"):
        run = _try(user, hook, home)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Passed" in run.stdout

    # a stale module and a broken spec: each hook fails, saying where
    module = user / "generated" / "resnet18.py"
    module.write_text(module.read_text().replace("# conv2_x", "# conv2_x (edited)", 1))
    run = _try(user, "resnetc-compile-check", home)
    assert run.returncode == 1 and "Failed" in run.stdout, run.stdout + run.stderr
    assert "generated/resnet18.py" in run.stdout
    spec = user / "spec" / "resnet18.yaml"
    spec.write_text(spec.read_text().replace("[3x3,64]", "[4x4,64]", 1))
    run = _try(user, "resnetc-check", home)
    assert run.returncode == 1 and "Failed" in run.stdout, run.stdout + run.stderr
    assert "spec/resnet18.yaml:" in run.stdout and "error:" in run.stdout
