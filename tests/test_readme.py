"""The README's commands are the ones CI runs."""

from __future__ import annotations

from tests.conftest import REPO

TEST_COMMAND = "sh scripts/install-system-deps.sh && pip install -e '.[test]' && python -m pytest"


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND in readme
    assert TEST_COMMAND in ci.splitlines()
    assert "pip install . && mscreg" in readme
