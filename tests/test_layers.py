"""The layering README's "How data flows" describes, checked on the source itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The CLI defers its imports so that `duban --help` answers at once (see bot/cli.py).
# CLI commands import what they run when they run, so `duban --help` stays quick.
LAZY_IMPORTS_ALLOWED = {
    "bot/cli.py",
    "bot/cli_calendar.py",
    "bot/cli_stats.py",
    # matplotlib and openpyxl take seconds to import: a restart after a crash (owed messages
    # waiting) must not wait for libraries only /stats and the monthly reports use.
    "services/stats/chart.py",
    "services/stats/workbook.py",
}


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _imported_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_scheduler_and_services_do_not_import_telegram() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules("scheduler", "services")
        if any(
            name == "telegram" or name.startswith("telegram.")
            for name in _imported_names(ast.parse(path.read_text(encoding="utf-8")))
        )
    ]
    assert offenders == []


def test_the_sweep_loads_without_telegram() -> None:
    """Not even indirectly: the sweep and its steps run without python-telegram-bot."""
    probe = (
        "import sys, scheduler.sweeps, scheduler.steps; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'telegram'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_no_imports_inside_functions() -> None:
    """Imports at the top show a module's dependencies; none hides a circular import."""
    found = []
    for path in _modules("bot", "services", "scheduler", "handlers"):
        relative = str(path.relative_to(ROOT))
        if relative in LAZY_IMPORTS_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found += [
                    f"{relative}:{inner.lineno} in {node.name}()"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                ]
    assert found == []
