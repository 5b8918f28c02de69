"""Imports only go down the layers of ../shared/DESIGN.md (checked on the source, not at runtime)."""

from __future__ import annotations

import ast

from tests.conftest import REPO

PACKAGE = REPO / "src" / "mscreg"

#: Layer rank: a module may import modules of its own layer or of a lower rank.
#: (design and audit share a rank but are separate layers: neither imports the other.)
RANK = {
    "errors": 0,
    "datasets": 1,
    "domain": 2,
    "store": 3,
    "io": 3,
    "cohort": 4,
    "stats": 5,
    "design": 6,
    "audit": 6,
    "report": 7,
    "app": 8,
    "cli": 9,
    "web": 9,
    "__main__": 10,
    "__init__": 10,
}
SEPARATE = {("design", "audit"), ("audit", "design")}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mscreg"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("mscreg")]
    return found


def test_imports_only_go_down():
    offences = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        own = _layer(".".join(relative.parts))
        if own.endswith(".py"):
            own = own[:-3]
        for module in _imports(path):
            target = _layer(module)
            if target == own:
                continue
            if RANK.get(target, 99) > RANK.get(own, -1) or (own, target) in SEPARATE:
                offences.append(f"{relative}: imports {module} ({own} → {target})")
    assert not offences, "\n".join(offences)


def test_every_layer_is_ranked():
    layers = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if not p.name.startswith("_") or p.name == "__main__.py"}
    layers.discard("py.typed")
    assert layers <= set(RANK), layers - set(RANK)
