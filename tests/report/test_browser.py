"""The report in a real headless Chromium: no errors, no requests, every figure visible; PDF."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mscreg.report.pdf import CHROMIUM_ARGS, DEFAULT_CHROMIUM
from tests.report.conftest import FAST, invoke


def _require_chromium() -> None:
    path = Path(os.environ.get("MSCREG_CHROMIUM", DEFAULT_CHROMIUM))
    if path.is_file():
        return
    message = f"Chromium not found at {path}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=os.environ.get("MSCREG_CHROMIUM", DEFAULT_CHROMIUM),
                                              args=list(CHROMIUM_ARGS), headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def opened(browser, seed_report):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(seed_report.resolve().as_uri(), wait_until="load")
    yield page, errors, requests
    page.close()


def test_no_console_errors_and_no_requests_but_the_file(opened, seed_report):
    page, errors, requests = opened
    assert errors == []
    assert requests == [seed_report.resolve().as_uri()]


def test_every_figure_is_visible(opened):
    page = opened[0]
    figures = page.locator("figure svg")
    assert figures.count() == 7
    for i in range(figures.count()):
        box = figures.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, f"figure {i}: {box}"


def test_payload_parses_in_the_browser(opened):
    page = opened[0]
    n = page.evaluate("JSON.parse(document.getElementById('mscreg-data').textContent).analyze.paper.overall.n")
    assert n == 58


def test_pdf_is_written(tmp_path):
    _require_chromium()
    out = tmp_path / "seed.pdf"
    result = invoke("report", "--pdf", "--out", str(out), *FAST)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 50_000
    assert [p.name for p in tmp_path.iterdir()] == ["seed.pdf"]


def test_pdf_without_chromium_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MSCREG_CHROMIUM", str(tmp_path / "no-chromium"))
    result = invoke("report", "--pdf", "--out", str(tmp_path / "r.pdf"), *FAST)
    assert result.exit_code == 1
    assert "Chromium not found" in result.output and "apt-get install chromium" in result.output
    assert list(tmp_path.iterdir()) == []
