"""Load the rules file: read, validate (shape, then whole-file and corpus checks), cache.

Every problem becomes a RulesError whose message names the file and the rule, band or
conclusion at fault; nothing else escapes `load_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from labtool.corpus_index import CorpusDocument, CorpusError, corpus_signature, read_corpus
from labtool.report import SourceRef
from labtool.rules_checks import check_rules
from labtool.rules_model import Analyte, ConclusionRule, RulesFile, SourceSpec

__all__ = ["RuleSet", "RulesError", "load_rules"]

_MAX_RULES_BYTES = 5_000_000  # a rules file is a few kB; refuse anything absurd


class RulesError(Exception):
    """The rules file cannot be used. The message names the file and what is wrong."""


@dataclass(frozen=True)
class RuleSet:
    """A validated rules file plus the titles of the documents it cites."""

    path: Path
    analytes: Mapping[str, Analyte]
    conclusions: tuple[ConclusionRule, ...]
    doc_titles: Mapping[str, str] = field(default_factory=dict)

    def source_ref(self, source: SourceSpec) -> SourceRef:
        title = self.doc_titles.get(source.doc_id, source.doc_id)
        return SourceRef(doc_id=source.doc_id, title=title, section=source.section)


# --- loading -------------------------------------------------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > _MAX_RULES_BYTES:
            raise RulesError(f"{path}: rules file is larger than {_MAX_RULES_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read rules file ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: malformed YAML ({exc})".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise RulesError(f"{path}: the rules file must be a mapping with 'version' and 'analytes'")
    return data


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    """Turn a pydantic error location into 'analyte b12, rule b12-nice-ng239, band 2'."""
    parts: list[str] = []
    node = data
    keys = list(loc)
    index = 0
    while index < len(keys):
        key = keys[index]
        child = node.get(key) if isinstance(node, dict) else None
        following = keys[index + 1] if index + 1 < len(keys) else None
        if key in ("analytes", "scales") and following is not None and isinstance(child, dict):
            label = "analyte" if key == "analytes" else "scale"
            parts.append(f"{label} '{following}'")
            node = child.get(following)
            index += 2
            continue
        if (
            key in ("rules", "conclusions")
            and isinstance(following, int)
            and isinstance(child, list)
        ):
            item = child[following] if following < len(child) else None
            ident = item.get("id") if isinstance(item, dict) else None
            label = "rule" if key == "rules" else "conclusion"
            parts.append(f"{label} '{ident}'" if ident else f"{label} #{following + 1}")
            node = item
            index += 2
            continue
        if isinstance(key, int) and isinstance(node, list):
            parts.append(f"band {key + 1}")
            node = node[key] if key < len(node) else None
            index += 1
            continue
        parts.append(f"'{key}'")
        node = child
        index += 1
    return ", ".join(parts) if parts else "top level"


def _format_validation(path: Path, exc: ValidationError, data: Any) -> str:
    lines = []
    for error in exc.errors()[:10]:
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{path}: {_where(tuple(error['loc']), data)}: {message}")
    extra = exc.error_count() - 10
    if extra > 0:
        lines.append(f"{path}: ... and {extra} more problems")
    return "\n".join(lines)


_CACHE: dict[tuple[object, ...], RuleSet] = {}


def load_rules(path: Path | str, corpus_dir: Path | str | None = None) -> RuleSet:
    """Load and validate a rules file; with corpus_dir, also check every cited section.

    Cached by the file's and the corpus's modification times, so calling it per request
    is cheap and an edited file is picked up.
    """
    rules_path = Path(path)
    corpus_path = Path(corpus_dir) if corpus_dir is not None else None
    try:
        stat = rules_path.stat()
    except OSError as exc:
        raise RulesError(f"{rules_path}: cannot read rules file ({exc})") from exc
    key = (
        str(rules_path.resolve()),
        stat.st_mtime_ns,
        stat.st_size,
        str(corpus_path.resolve()) if corpus_path else None,
        corpus_signature(corpus_path) if corpus_path else None,
    )
    cached = _CACHE.get(key)
    if cached is not None:
        return cached

    data = _read_yaml(rules_path)
    try:
        parsed = RulesFile.model_validate(data)
    except ValidationError as exc:
        raise RulesError(_format_validation(rules_path, exc, data)) from exc

    documents: dict[str, CorpusDocument] | None = None
    if corpus_path is not None:
        try:
            documents = read_corpus(corpus_path)
        except CorpusError as exc:
            raise RulesError(f"{rules_path}: cannot check citations: {exc}") from exc

    problems = check_rules(parsed, documents)
    if problems:
        raise RulesError("\n".join(f"{rules_path}: {problem}" for problem in problems))

    ruleset = RuleSet(
        path=rules_path,
        analytes=dict(parsed.analytes),
        conclusions=tuple(parsed.conclusions),
        doc_titles={doc_id: doc.title for doc_id, doc in (documents or {}).items()},
    )
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = ruleset
    return ruleset
