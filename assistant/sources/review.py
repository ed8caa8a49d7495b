"""Review records: who reviewed a document, when, and whether its text changed since.

A document's front matter may carry

    reviewed:
      by: Dr A. Reviewer
      date: 2026-12-03
      sha256: <hash of the body as reviewed>

The hash covers the body only (the text after the front matter, line endings normalised), so
recording a review or changing `review_status` never changes it, while any edit of the text
does. `record_review` rewrites that block (and optionally `review_status`) and leaves every
other byte of the file as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import get_args

import yaml
from labtool.markdown import FrontMatterError, split_front_matter

from assistant.schema import ReviewState, ReviewStatus

REVIEW_STATES: tuple[str, ...] = get_args(ReviewState)
REVIEW_KEY = "reviewed"
STATUS_KEY = "review_status"
_STATUSES: tuple[str, ...] = get_args(ReviewStatus)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DELIMITER = re.compile(r"-{3,}[ \t]*")
_BOM = "\ufeff"


class ReviewError(ValueError):
    """A review that cannot be read or recorded; the message names the file and the problem."""


@dataclass(frozen=True)
class ReviewRecord:
    """The `reviewed` block of one document, as written in its front matter."""

    by: str
    date: str  # ISO date
    sha256: str


# --- the body and its hash ------------------------------------------------------------------


def body_of(text: str) -> str:
    """The text after the front matter (the whole text if there is none), with CRLF and CR
    line endings turned into LF and blank lines at either end dropped, so that an editor's
    line-ending or final-newline habits do not count as a change."""
    parts = _split_lines(text)
    body = parts[2] if parts is not None else text.removeprefix(_BOM)
    return body.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"


def body_hash(text: str) -> str:
    """SHA-256 (hex) of `body_of(text)`, UTF-8 encoded."""
    return hashlib.sha256(body_of(text).encode("utf-8")).hexdigest()


# --- reading a record -----------------------------------------------------------------------


def parse_record(value: object) -> ReviewRecord:
    """The `reviewed` front-matter value as a record; ValueError says what is wrong."""
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping with by, date and sha256")
    missing = [key for key in ("by", "date", "sha256") if key not in value]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    by = value["by"]
    if not isinstance(by, str) or not by.strip():
        raise ValueError("by: must name the reviewer")
    when = value["date"]
    if isinstance(when, date):
        when = when.isoformat()
    try:
        day = date.fromisoformat(str(when))
    except ValueError:
        raise ValueError(f"date: {when!r} is not an ISO date (YYYY-MM-DD)") from None
    digest = str(value["sha256"]).strip().lower()
    if not _HEX64.fullmatch(digest):
        raise ValueError("sha256: must be 64 hexadecimal digits")
    unknown = sorted(set(map(str, value)) - {"by", "date", "sha256"})
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}")
    return ReviewRecord(by=by.strip(), date=day.isoformat(), sha256=digest)


def state_for(record: ReviewRecord | None, current_hash: str) -> ReviewState:
    """The review state of a body whose hash is `current_hash`."""
    if record is None:
        return "never reviewed"
    return "reviewed" if record.sha256 == current_hash else "changed since review"


def review_fields(front: Mapping[str, object], current_hash: str) -> dict[str, str | None]:
    """`reviewed_by`, `reviewed_on` and `review_state` for a document's metadata.

    Raises ValueError (naming the problem) for a malformed `reviewed` block."""
    raw = front.get(REVIEW_KEY)
    record = None if raw is None else parse_record(raw)
    return {
        "reviewed_by": record.by if record else None,
        "reviewed_on": record.date if record else None,
        "review_state": state_for(record, current_hash),
    }


def review_state(document: Path | str) -> ReviewState:
    """The state ("never reviewed", "reviewed" or "changed since review") of a file (Path) or the
    full text of one (str, front matter included)."""
    text = _read(document) if isinstance(document, Path) else document
    shown = str(document) if isinstance(document, Path) else "document"
    try:
        front, _ = split_front_matter(text)
    except FrontMatterError as exc:
        raise ReviewError(f"{shown}: {exc}") from exc
    raw = (front or {}).get(REVIEW_KEY)
    try:
        record = None if raw is None else parse_record(raw)
    except ValueError as exc:
        raise ReviewError(f"{shown}: {REVIEW_KEY}: {exc}") from exc
    return state_for(record, body_hash(text))


# --- recording a review ---------------------------------------------------------------------


def record_review(path: Path, by: str, today: date, *, status: str | None = None) -> ReviewRecord:
    """Write `reviewed: {by, date: today, sha256: <body hash>}` into the file's front matter,
    replacing any earlier record, and set `review_status` when `status` is given.

    Only the front matter's `reviewed` block (and the `review_status` line) change: every
    other byte of the file, the body included, stays as it was. A file without front matter
    is refused with ReviewError."""
    by = " ".join(by.split())
    if not by:
        raise ReviewError("the reviewer's name is empty (--by NAME)")
    if status is not None and status not in _STATUSES:
        raise ReviewError(f"status must be one of {', '.join(_STATUSES)}, not {status!r}")
    text = _read(path)
    parts = _split_lines(text)
    if parts is None:
        raise ReviewError(
            f"{path}: no front matter (a '---' block with id, title, kind and review_status "
            "at the top of the file); add one before recording a review"
        )
    head, front_lines, body = parts
    try:
        front = yaml.safe_load("".join(front_lines)) or {}
    except yaml.YAMLError as exc:
        raise ReviewError(f"{path}: front matter is not valid YAML") from exc
    if not isinstance(front, dict):
        raise ReviewError(f"{path}: front matter must be a mapping of fields")
    newline = "\r\n" if head[0].endswith("\r\n") else "\n"
    record = ReviewRecord(by=by, date=today.isoformat(), sha256=body_hash(text))
    lines = _without_block(front_lines, REVIEW_KEY)
    at = _insert_position(lines, front_lines)
    block = [
        f"{REVIEW_KEY}:{newline}",
        f"  by: {_yaml_scalar(record.by)}{newline}",
        f"  date: {record.date}{newline}",
        f"  sha256: {record.sha256}{newline}",
    ]
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline  # the last field had no line ending before the closing '---'
    lines[at:at] = block
    if status is not None:
        lines = _with_status(lines, status, newline)
    updated = head[0] + "".join(lines) + head[1] + body
    _check(updated, path, record, status)
    _write(path, updated)
    return record


def _split_lines(text: str) -> tuple[tuple[str, str], list[str], str] | None:
    """((opening line, closing line), front-matter lines, body) exactly as written, or None
    when the text has no front matter. The opening line keeps a byte-order mark."""
    lines = text.splitlines(keepends=True)
    if not lines or not _DELIMITER.fullmatch(lines[0].removeprefix(_BOM).rstrip("\r\n")):
        return None
    for index in range(1, len(lines)):
        if _DELIMITER.fullmatch(lines[index].rstrip("\r\n")):
            return (lines[0], lines[index]), lines[1:index], "".join(lines[index + 1 :])
    return None


def _top_key(line: str) -> str | None:
    match = re.match(r"([A-Za-z_][\w-]*)\s*:", line)
    return match.group(1) if match else None


def _without_block(lines: list[str], key: str) -> list[str]:
    """The lines without `key:` and the indented (or blank) lines that belong to it."""
    kept: list[str] = []
    inside = False
    for line in lines:
        if _top_key(line) == key:
            inside = True
            continue
        if inside and (not line.strip() or line[:1] in (" ", "\t")):
            continue
        inside = False
        kept.append(line)
    return kept


def _insert_position(lines: list[str], original: list[str]) -> int:
    """Where the old block was; else right after `review_status`; else at the end."""
    for index, line in enumerate(original):
        if _top_key(line) == REVIEW_KEY:
            before = sum(1 for earlier in original[:index] if earlier in lines)
            return min(before, len(lines))
    for index, line in enumerate(lines):
        if _top_key(line) == STATUS_KEY:
            return index + 1
    return len(lines)


def _with_status(lines: list[str], status: str, newline: str) -> list[str]:
    for index, line in enumerate(lines):
        if _top_key(line) == STATUS_KEY:
            ending = line[len(line.rstrip("\r\n")) :] or newline
            comment = re.search(r"\s+#.*$", line.rstrip("\r\n"))
            lines[index] = f"{STATUS_KEY}: {status}{comment.group(0) if comment else ''}{ending}"
            return lines
    at = next(i for i, line in enumerate(lines) if _top_key(line) == REVIEW_KEY)
    return [*lines[:at], f"{STATUS_KEY}: {status}{newline}", *lines[at:]]


def _yaml_scalar(value: str) -> str:
    """A plain YAML scalar when it reads back unchanged, else a double-quoted one."""
    try:
        if yaml.safe_load(f"k: {value}") == {"k": value}:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


def _check(updated: str, path: Path, record: ReviewRecord, status: str | None) -> None:
    """The rewritten front matter reads back as intended (never write a broken file)."""
    try:
        front, _ = split_front_matter(updated)
        written = parse_record((front or {}).get(REVIEW_KEY))
    except (FrontMatterError, ValueError) as exc:
        raise ReviewError(f"{path}: could not rewrite the front matter safely ({exc})") from exc
    if written != record or (status is not None and (front or {}).get(STATUS_KEY) != status):
        raise ReviewError(f"{path}: could not rewrite the front matter safely")


def _read(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except OSError as exc:
        raise ReviewError(f"{path}: unreadable ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ReviewError(f"{path}: not UTF-8 text") from exc


def _write(path: Path, text: str) -> None:
    """Replace the file in one step, keeping its permissions."""
    mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
