"""Render a :class:`~mscreg.report.model.ReportDocument` as one self-contained HTML page.

The page loads nothing: CSS is inline, figures are inline SVG, there are no scripts
except the inert ``application/json`` payload block, no fonts and no links to fetch. It
opens offline and can be e-mailed as a single file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mscreg.report.model import Figure, Flow, Paragraph, ReportDocument, Table

__all__ = ["PAYLOAD_ELEMENT_ID", "payload_json", "render_html"]

#: id of the ``<script type="application/json">`` element holding the payload.
PAYLOAD_ELEMENT_ID = "mscreg-data"

_TEMPLATES = Path(__file__).parent / "templates"
_POWER = re.compile(r"10\^(−\d+)")


def payload_json(data: dict[str, Any]) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element (``<``, ``>``, ``&`` escaped).

    Examples
    --------
    >>> payload_json({"a": "</script>"})
    '{"a": "\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _environment() -> Any:
    import jinja2
    from markupsafe import Markup, escape

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )

    def rich(text: str) -> Markup:
        """Escape, then show '10^−6' as a superscript power."""
        return Markup(_POWER.sub(r"10<sup>\1</sup>", str(escape(text))))

    env.filters["rich"] = rich
    env.tests["table"] = lambda block: isinstance(block, Table)
    env.tests["figure"] = lambda block: isinstance(block, Figure)
    env.tests["paragraph"] = lambda block: isinstance(block, Paragraph)
    env.tests["flow"] = lambda block: isinstance(block, Flow)
    return env


def render_html(document: ReportDocument) -> str:
    """The document as a complete HTML page (a string).

    Examples
    --------
    >>> from mscreg.report.model import ReportDocument, Section, Paragraph
    >>> doc = ReportDocument(title="T", subtitle="", findings=("HbA1c fell.",),
    ...                      sections=(Section(id="s", title="S", blocks=(Paragraph(text="p < 10^−6"),)),))
    >>> page = render_html(doc)
    >>> page.startswith("<!DOCTYPE html>"), "10<sup>−6</sup>" in page, "http" in page
    (True, True, False)
    """
    from markupsafe import Markup

    env = _environment()
    template = env.get_template("report.html.j2")
    return template.render(doc=document, payload=Markup(payload_json(document.data)), payload_id=PAYLOAD_ELEMENT_ID)
