"""Small modules and functions: every module under 600 lines, every function under 80."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "services", "models", "scheduler", "benchmarks")
MAX_MODULE = 600
MAX_FUNCTION = 80


def _modules() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_modules_are_under_600_lines() -> None:
    long = []
    for path in _modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines >= MAX_MODULE:
            long.append(f"  {path.relative_to(ROOT)}: {lines} lines")
    assert not long, "modules of 600 lines or more:\n" + "\n".join(long)


def test_functions_are_under_80_lines() -> None:
    long = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines >= MAX_FUNCTION:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    long.append(f"  {where} {node.name}: {lines} lines")
    assert not long, "functions of 80 lines or more:\n" + "\n".join(long)
