"""analyze, audit, report and design straight from the registry (--db) give the direct path's numbers."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mscreg.cli.app import app
from mscreg.datasets import seed_claims_path, seed_table_path

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    return result


@pytest.fixture
def seeded(db_url):
    assert run("db", "init", "--db", db_url).exit_code == 0
    imported = run("import", "analysis-table", str(seed_table_path()), "--db", db_url, "--user", "test", "--reason", "seed")
    assert imported.exit_code == 0, imported.output
    return db_url


def test_analyze_from_registry_equals_direct(seeded):
    direct = json.loads(run("analyze", "--format", "json", "--n-resamples", "999").output)
    registry = json.loads(run("analyze", "--db", seeded, "--format", "json", "--n-resamples", "999").output)
    assert registry["paper"] == direct["paper"]
    assert registry["estimates"] == direct["estimates"]
    assert registry["data"]["source"].startswith("registry")
    head = json.loads(run("db", "verify", "--db", seeded, "--format", "json").output)["head"]
    assert registry["data"]["source"].endswith(f"; audit trail head {head})")  # an anchor for a later verify


def test_audit_and_design_from_registry(seeded):
    direct = json.loads(run("audit", "--format", "json").output)
    registry = json.loads(run("audit", "--db", seeded, "--claims", str(seed_claims_path()), "--format", "json").output)
    assert [(c["id"], c["verdict"], c["recomputed"], c["convention"]) for c in registry["claims"]] == \
        [(c["id"], c["verdict"], c["recomputed"], c["convention"]) for c in direct["claims"]]
    design_direct = json.loads(run("design", "--format", "json").output)
    design_registry = json.loads(run("design", "--db", seeded, "--format", "json").output)
    assert design_registry["cohort"] == design_direct["cohort"]


def test_report_from_registry(seeded, tmp_path):
    out = tmp_path / "r.html"
    result = run("report", "--db", seeded, "--claims", str(seed_claims_path()), "--out", str(out), "--n-resamples", "999")
    assert result.exit_code == 0, result.output
    head = json.loads(run("db", "verify", "--db", seeded, "--format", "json").output)["head"]
    assert f"audit trail head {head}" in out.read_text(encoding="utf-8")


def test_source_errors(seeded, tmp_path):
    both = run("analyze", "--db", seeded, "--data", str(seed_table_path()))
    assert both.exit_code == 65 and "not both" in both.output
    no_claims = run("audit", "--db", seeded)
    assert no_claims.exit_code == 65 and "--claims" in no_claims.output
    bad_visit = run("analyze", "--db", seeded, "--follow-up", "M7")
    assert bad_visit.exit_code == 64 and "M7" in bad_visit.output
