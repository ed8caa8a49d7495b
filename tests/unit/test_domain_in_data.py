"""The code knows no clinical field: every test name, alias and subject term lives in a pack.

Scans the Python source of the product (assistant/ and tools/, not tests, not the packs' data)
for every analyte key and alias, declared patient attribute and uncovered test of every shipped
pack's rules file and every subject term of its domain file. String literals and identifiers
count; comments and docstrings (examples for readers) do not.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest
import yaml

from assistant.config import PROJECT_ROOT

PACKS = sorted(p for p in (PROJECT_ROOT / "corpus").iterdir() if p.is_dir())
SOURCE_ROOTS = (PROJECT_ROOT / "assistant", PROJECT_ROOT / "tools")
MAX_MODULE_LINES = 400
# f-string parts are tokens of their own from Python 3.12.
_STRING_TOKENS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def _terms(pack: Path) -> dict[str, re.Pattern[str]]:
    """term as written -> a whole-word, case-insensitive pattern for it."""
    terms: dict[str, re.Pattern[str]] = {}

    def add(term: str, *, regex: bool = False) -> None:
        body = term if regex else re.escape(term)
        terms[term] = re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])", re.IGNORECASE)

    rules = pack / "rules.yaml"
    if rules.exists():
        data = yaml.safe_load(rules.read_text(encoding="utf-8"))
        for key, spec in data["analytes"].items():
            add(key)
            for alias in spec.get("aliases") or []:
                add(str(alias))
        for name in data.get("attributes") or {}:
            add(name)
        for item in data.get("not_covered") or []:
            for name in [item["name"], *(item.get("aliases") or [])]:
                add(str(name))
    domain = pack / "domain.yaml"
    if domain.exists():
        data = yaml.safe_load(domain.read_text(encoding="utf-8")) or {}
        for subject in data.get("subjects") or []:
            for term in subject["terms"]:
                add(term, regex=True)
    return terms


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                first = body[0]
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def _code_texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal and identifier word outside docstrings."""
    source = path.read_text(encoding="utf-8")
    docstrings = _docstring_lines(ast.parse(source))
    found: list[tuple[int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        line = token.start[0]
        if line in docstrings:
            continue
        if token.type in _STRING_TOKENS:
            found.append((line, token.string))
        elif token.type == tokenize.NAME:
            found.extend((line, word) for word in token.string.split("_") if word)
    return found


def _sources() -> list[Path]:
    return sorted(path for root in SOURCE_ROOTS for path in root.rglob("*.py"))


def test_packs_are_shipped() -> None:
    assert {pack.name for pack in PACKS} >= {"b12", "diabetes"}


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_no_pack_term_in_the_code(pack: Path) -> None:
    terms = _terms(pack)
    assert len(terms) > 10, "the scan would prove nothing without the pack's terms"
    hits = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: {term!r} in {text[:60]!r}"
        for path in _sources()
        for line, text in _code_texts(path)
        for term, pattern in terms.items()
        if pattern.search(text)
    ]
    assert not hits, "domain knowledge in Python:\n" + "\n".join(hits)


def test_the_scan_finds_a_planted_term(tmp_path: Path) -> None:
    module = tmp_path / "planted.py"
    module.write_text('"""Docstrings may say B12."""\nNAMES = ("vitamin B12",)\nhb_level = 1\n')
    texts = [text for _, text in _code_texts(module)]
    pattern = _terms(PROJECT_ROOT / "corpus" / "b12")
    assert any(pattern["vitamin B12"].search(t) for t in texts)
    assert any(pattern["hb"].search(t) for t in texts)
    assert not any(pattern["B12"].search(t) for t in texts if "Docstrings" in t)


def test_no_module_over_400_lines() -> None:
    long = [
        f"{path.relative_to(PROJECT_ROOT)}: {count} lines"
        for path in _sources()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, "\n".join(long)
