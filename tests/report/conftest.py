"""Fixtures of the report tests: one seed report per session, written through the CLI."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mscreg.cli.app import app

#: Fast but complete: the same options go to analyze, audit and report.
FAST = ("--n-resamples", "999")

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="session")
def seed_report(tmp_path_factory) -> Path:
    """The seed study's HTML report, made by `mscreg report` once for the whole session."""
    out = tmp_path_factory.mktemp("report") / "seed.html"
    result = invoke("report", "--out", str(out), *FAST)
    assert result.exit_code == 0, result.output
    assert f"Report written to {out}" in result.output
    return out


@pytest.fixture(scope="session")
def seed_html(seed_report) -> str:
    return seed_report.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def payload(seed_html) -> dict:
    match = re.search(r'<script type="application/json" id="mscreg-data">(.*?)</script>', seed_html, re.S)
    assert match, "the report embeds its payload"
    return json.loads(match.group(1))


class _Tables(HTMLParser):
    """Collects every <table id=...> as a list of rows of cell texts (header row included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="session")
def tables(seed_html) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(seed_html)
    return parser.tables
