"""The layers of DESIGN.md: a module imports only from its own layer or the layers before it (no arrow back up).
The mission, which scores with `evals`, lives in `api/` for that reason."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tts_interp"
ORDER = ("core", "data", "tracing", "models", "codecs", "interventions", "evals", "api", "suites", "report", "cli")
KNOWN_UPWARD: dict[str, set[str]] = {}  # module -> the higher layers it imports: none (keep it so)


def _imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        layers |= {n.split(".")[1] for n in names if n.startswith("tts_interp.") and n.count(".") >= 1}
    return layers & set(ORDER)


def upward_imports() -> dict[str, set[str]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        layer = relative.split("/")[0]
        if layer not in ORDER:
            continue
        higher = {other for other in _imported_layers(path) if ORDER.index(other) > ORDER.index(layer)}
        if higher:
            found[relative] = higher
    return found


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports() == KNOWN_UPWARD
