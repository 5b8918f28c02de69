"""Print the HTML report to PDF with the machine's headless Chromium (via Playwright).

mscreg never downloads a browser: it drives the system Chromium (Debian package
``chromium``, ``/usr/bin/chromium``, or ``$MSCREG_CHROMIUM``) with network and update
services switched off. Without it, :func:`html_to_pdf` raises a
:class:`~mscreg.errors.MscregError` that says what to install.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mscreg.errors import MscregError

__all__ = ["CHROMIUM_ARGS", "chromium_path", "html_to_pdf", "launch_chromium"]

#: Default location of the system Chromium (Debian/Ubuntu package ``chromium``).
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: Command-line switches: no sandbox (containers), no GPU, nothing that phones home.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)


def chromium_path() -> Path:
    """The Chromium executable to use: ``$MSCREG_CHROMIUM`` or ``/usr/bin/chromium``.

    Raises
    ------
    MscregError
        When no executable is found there (the message says how to install one).

    Examples
    --------
    >>> import os
    >>> os.environ["MSCREG_CHROMIUM"] = "/nonexistent/chromium"
    >>> try:
    ...     chromium_path()
    ... except Exception as error:
    ...     print(str(error)[:43])
    Chromium not found at /nonexistent/chromium
    >>> del os.environ["MSCREG_CHROMIUM"]
    """
    path = Path(os.environ.get("MSCREG_CHROMIUM", DEFAULT_CHROMIUM))
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise MscregError(
            f"Chromium not found at {path}: PDF output prints the HTML report with a headless Chromium. "
            "Install the system package (Debian/Ubuntu: `apt-get install chromium`) or set MSCREG_CHROMIUM to its "
            "executable; or leave out --pdf to get the self-contained HTML report."
        )
    return path


def launch_chromium(playwright: Any) -> Any:
    """Launch the system Chromium headless through a running Playwright (sync API).

    Examples
    --------
    >>> from playwright.sync_api import sync_playwright
    >>> with sync_playwright() as p:
    ...     browser = launch_chromium(p)
    ...     print(browser.version.split(".")[0].isdigit())
    ...     browser.close()
    True
    """
    return playwright.chromium.launch(executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS), headless=True)


def html_to_pdf(html_file: Path, pdf_file: Path) -> None:
    """Print the HTML file ``html_file`` to ``pdf_file`` (A4, backgrounds printed).

    Any network request the page makes is refused (a self-contained report makes none).

    Raises
    ------
    MscregError
        Chromium is missing or printing failed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "r.html").write_text("<!DOCTYPE html><p>HbA1c</p>")
    >>> html_to_pdf(folder / "r.html", folder / "r.pdf")
    >>> (folder / "r.pdf").read_bytes()[:4]
    b'%PDF'
    """
    executable = chromium_path()
    from concurrent.futures import ThreadPoolExecutor

    from playwright.sync_api import Error as PlaywrightError

    # Playwright's sync API refuses to run inside a running asyncio loop (Jupyter, or another
    # Playwright session); a thread of its own has none.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mscreg-pdf") as pool:
        try:
            pool.submit(_print, Path(html_file), Path(pdf_file)).result()
        except PlaywrightError as error:
            raise MscregError(f"printing the report to PDF with {executable} failed: {error}") from None


def _print(html_file: Path, pdf_file: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
            page.goto(html_file.resolve().as_uri(), wait_until="load")
            page.pdf(path=str(pdf_file), format="A4", print_background=True,
                     margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
        finally:
            browser.close()
