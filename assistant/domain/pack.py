"""Loading a pack's `domain.yaml`, or deriving a domain from its documents when there is none.

A pack with documents only still answers: its answer sections are its documents' own headings.
Every problem is a PackError naming the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.domain.model import Domain, Section
from assistant.text.tokens import Vocabulary

DOMAIN_FILE = "domain.yaml"
RULES_FILE = "rules.yaml"
_MAX_DOMAIN_BYTES = 1_000_000


class PackError(Exception):
    """A pack file cannot be used; the message names the file and the line."""


def load_domain(pack_dir: Path) -> Domain | None:
    """The pack's domain file, validated; None when the pack has none."""
    path = pack_dir / DOMAIN_FILE
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > _MAX_DOMAIN_BYTES:
            raise PackError(f"{path}: larger than {_MAX_DOMAIN_BYTES} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{path}: cannot read ({exc})") from exc
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise PackError(f"{path}{line}: malformed YAML").with_traceback(None) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PackError(f"{path}:1: the domain file must be a mapping of fields")
    try:
        return Domain.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{path}:{yaml_line(node, error['loc'])}: {_where(error['loc'])}: "
            f"{str(error['msg']).removeprefix('Value error, ')}"
            for error in exc.errors()
        ]
        raise PackError("\n".join(problems)) from exc


def pack_vocabulary(pack_dir: Path) -> Vocabulary:
    """The pack's spellings, shorthand and lay phrases (none without a domain file)."""
    domain = load_domain(pack_dir)
    if domain is None:
        return Vocabulary()
    return Vocabulary(domain.spellings, domain.abbreviations, domain.lay_phrases)


def derived_domain(headings: Iterable[str], name: str = "") -> Domain:
    """A domain for a pack without a domain file: one answer section per document heading."""
    sections: dict[str, Section] = {}
    for heading in headings:
        key = heading_key(heading)
        if key and key not in sections:
            sections[key] = Section(key=key, heading=heading)
    title = f"{name.replace('-', ' ').replace('_', ' ').strip().title()} Guideline Assistant"
    return Domain(title=title.strip(), sections=list(sections.values()), derived=True)


def heading_key(heading: str) -> str:
    """A section key from a heading: "Stage 2 hypertension" -> "stage-2-hypertension"."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")[:80]


def yaml_line(node: yaml.Node | None, loc: Sequence[int | str]) -> int:
    """The 1-based line of the YAML node a validation error points at (its parent's if absent)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in loc:
        child: Any = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    child = value_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            child = node.value[key] if key < len(node.value) else None
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _where(loc: Sequence[int | str]) -> str:
    parts = [f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc]
    return "".join(parts).lstrip(".") or "top level"
