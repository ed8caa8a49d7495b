"""Load the rules file: read, validate (shape, then whole-file and corpus checks), cache.

Every problem becomes a RulesError whose message names the file and the rule, band,
attribute or conclusion at fault; nothing else escapes `load_rules`. A pack without a
rules file uses `RuleSet.empty()`: every lab value then gets a clear "no rules" error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

from labtool.analytes import Named, NameMatcher
from labtool.compiled import Tables
from labtool.corpus_index import CorpusDocument, CorpusError, corpus_signature, read_corpus
from labtool.cues import AttributeCues
from labtool.report import SourceRef
from labtool.rules_checks import check_rules
from labtool.rules_model import (
    Analyte,
    Attribute,
    ConclusionRule,
    NotCovered,
    PairedReading,
    RulesFile,
    SourceSpec,
)

__all__ = ["AnalyteNames", "RuleSet", "RulesError", "empty_ruleset", "load_rules"]

RULES_VERSION = 2
_V1_MESSAGE = (
    "rules file version 1 is no longer read; convert it to version 2: set 'version: 2', give "
    "each analyte under 'analytes' an 'aliases:' list (every name a result may be written "
    "after, e.g. its abbreviation and its full name), and declare every population key other "
    "than sex, pregnant, trimester, age_min_years and age_max_years under 'attributes:' "
    "(see docs/rules-format.md)"
)

_MAX_RULES_BYTES = 5_000_000  # a rules file is a few kB; refuse anything absurd


class RulesError(Exception):
    """The rules file cannot be used. The message names the file and what is wrong."""


class AnalyteNames(NamedTuple):
    key: str
    name: str
    aliases: tuple[str, ...]  # the key first, then the file's aliases
    context: bool  # read only to set patient attributes, never classified


@dataclass(frozen=True, eq=False)
class RuleSet:
    """A validated rules file plus the titles of the documents it cites."""

    path: Path
    analytes: Mapping[str, Analyte]
    conclusions: tuple[ConclusionRule, ...]
    doc_titles: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    paired_readings: tuple[PairedReading, ...] = ()
    not_covered: tuple[NotCovered, ...] = ()
    doc_names: Mapping[str, str] = field(default_factory=dict)  # doc id -> short name

    @classmethod
    def empty(cls, path: Path | str = "") -> RuleSet:
        """The rule set of a pack without a rules file: nothing is classified."""
        return cls(path=Path(path), analytes={}, conclusions=())

    @property
    def is_empty(self) -> bool:
        return not self.analytes

    def source_ref(self, source: SourceSpec) -> SourceRef:
        return self.tables.memo(
            ("source", source.doc_id, source.section),
            lambda: SourceRef(
                doc_id=source.doc_id,
                title=self.doc_titles.get(source.doc_id, source.doc_id),
                section=source.section,
            ),
        )

    def source_name(self, source: SourceSpec) -> str:
        """The cited document's short name ("NICE 2024"; labtool.corpus_index.short_name)."""
        return self.doc_names.get(source.doc_id) or self.doc_titles.get(
            source.doc_id, source.doc_id
        )

    @cached_property
    def tables(self) -> Tables:
        """Bands, conversions and windows compiled to floats (labtool.compiled)."""
        return Tables(dict(self.analytes))

    def aliases(self) -> tuple[AnalyteNames, ...]:
        """Every analyte with its name and every name it may be written as, in file order."""
        return tuple(
            AnalyteNames(
                key=key,
                name=analyte.name,
                aliases=tuple(dict.fromkeys([key, *analyte.aliases])),
                context=not analyte.classified,
            )
            for key, analyte in self.analytes.items()
        )

    def attribute_words(self) -> tuple[str, ...]:
        """The cue words of every declared attribute (words_true, then words_false)."""
        words = (word for attribute in self.attributes.values() for word in attribute.words)
        return tuple(dict.fromkeys(words))

    @property
    def classified(self) -> dict[str, Analyte]:
        return {key: analyte for key, analyte in self.analytes.items() if analyte.classified}

    def covered_names(self) -> str:
        names = [analyte.name for analyte in self.classified.values()]
        return ", ".join(names) if names else "none"

    @cached_property
    def matcher(self) -> NameMatcher:
        """The name matcher, compiled once per rule set."""
        names: list[tuple[str, Named]] = []
        for entry in self.aliases():
            named = Named(kind="analyte", keys=(entry.key,), label=entry.name)
            names.extend((alias, named) for alias in entry.aliases)
        for pair in self.paired_readings:
            named = Named(kind="paired", keys=tuple(pair.analytes), label=pair.aliases[0])
            names.extend((alias, named) for alias in pair.aliases)
        for item in self.not_covered:
            named = Named(kind="not_covered", keys=(), label=item.name)
            names.extend((alias, named) for alias in item.aliases)
        return NameMatcher(names)

    @cached_property
    def cues(self) -> AttributeCues:
        """The cue words of the declared attributes, compiled once per rule set."""
        return AttributeCues(self.attributes)

    @cached_property
    def stop_words(self) -> frozenset[str]:
        """Words that describe the patient and never name a test: one-word cues, and the words
        of a longer cue before its last ("low" of "low platelets": "platelets" may name a
        test the pack does not cover)."""
        found: set[str] = set()
        for cue in self.attribute_words():
            parts = cue.lower().split()
            found.update(parts[:-1] if len(parts) > 1 else parts)
        return frozenset(found)

    @cached_property
    def result_attributes(self) -> dict[str, tuple[str, ...]]:
        """Analyte key -> the attributes its results decide."""
        found: dict[str, list[str]] = {}
        for name, attribute in self.attributes.items():
            for cue in attribute.from_results:
                found.setdefault(cue.analyte, []).append(name)
        return {key: tuple(names) for key, names in found.items()}


def empty_ruleset(path: Path | str = "") -> RuleSet:
    return RuleSet.empty(path)


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


_MAPPING_LABELS = {"analytes": "analyte", "scales": "scale", "attributes": "attribute"}
_LIST_LABELS = {
    "rules": "rule",
    "conclusions": "conclusion",
    "paired_readings": "paired reading",
    "not_covered": "not_covered",
    "from_results": "result",
}


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    """Turn a pydantic error location into 'analyte ft4, rule ft4-lab, band 2'."""
    parts: list[str] = []
    node = data
    keys = list(loc)
    index = 0
    while index < len(keys):
        key = keys[index]
        child = node.get(key) if isinstance(node, dict) else None
        following = keys[index + 1] if index + 1 < len(keys) else None
        if key in _MAPPING_LABELS and following is not None and isinstance(child, dict):
            if not (key == "attributes" and parts and parts[-1] == "'population'"):
                parts.append(f"{_MAPPING_LABELS[str(key)]} '{following}'")
                node = child.get(following)
                index += 2
                continue
            index += 1  # a population's declared attributes: name the key itself
            node = child
            continue
        if key in _LIST_LABELS and isinstance(following, int) and isinstance(child, list):
            item = child[following] if following < len(child) else None
            ident = item.get("id") if isinstance(item, dict) else None
            ident = ident or (item.get("analyte") if isinstance(item, dict) else None)
            label = _LIST_LABELS[str(key)]
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


def load_rules(
    path: Path | str,
    corpus_dir: Path | str | None = None,
    extra_documents: Mapping[str, CorpusDocument] | None = None,
) -> RuleSet:
    """Load and validate a rules file; with corpus_dir, also check every cited section.

    The tool reads the Markdown documents of corpus_dir itself; documents in other formats
    (PDF, HTML, text), read by the caller, are given as `extra_documents` (id -> document).
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
        tuple(sorted((k, d.sections) for k, d in (extra_documents or {}).items())),
    )
    cached = _CACHE.get(key)
    if cached is not None:
        return cached

    data = _read_yaml(rules_path)
    if data.get("version") == 1:
        raise RulesError(f"{rules_path}: {_V1_MESSAGE}")
    if data.get("version") != RULES_VERSION:
        raise RulesError(
            f"{rules_path}: 'version' must be {RULES_VERSION} (found {data.get('version')!r})"
        )
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
    if extra_documents:
        documents = {**dict(extra_documents), **(documents or {})}

    problems = check_rules(parsed, documents)
    if problems:
        raise RulesError("\n".join(f"{rules_path}: {problem}" for problem in problems))

    ruleset = RuleSet(
        path=rules_path,
        analytes=dict(parsed.analytes),
        conclusions=tuple(parsed.conclusions),
        doc_titles={doc_id: doc.title for doc_id, doc in (documents or {}).items()},
        attributes=dict(parsed.attributes),
        paired_readings=tuple(parsed.paired_readings),
        not_covered=tuple(parsed.not_covered),
        doc_names={doc_id: doc.short_name for doc_id, doc in (documents or {}).items()},
    )
    ruleset.tables.compile()
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = ruleset
    return ruleset
