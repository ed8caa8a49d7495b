"""Opt-in audit trail: one JSON line per answer, appended, never rewritten.

Nothing is written unless `settings.audit_log` (ASSISTANT_AUDIT_LOG) names a file. Each entry
holds what a reviewer needs to reconstruct an answer: the time, the question (and the earlier
questions a follow-up was resolved from), the answer with its citations, the lab tool's input
and output, the corpus and rules fingerprints, and the backend that wrote it.

The log holds patient data, so the file is created readable by its owner only. Each entry is
one `write` on a descriptor opened with O_APPEND, under a thread lock and an flock, so entries
from concurrent sessions and processes never interleave. Writing fails loudly (AuditError):
an answer that was meant to be audited is not given unaudited.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labtool.report import LabReport
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.schema import AnswerResult, Audience, Citation

FILE_MODE = 0o600  # owner read/write only: entries contain questions about patients


class AuditError(Exception):
    """The audit log cannot be written; the message names the file."""


class ToolCall(BaseModel):
    """What the deterministic lab tool was given and what it returned."""

    input: str
    output: LabReport


class AuditEntry(BaseModel):
    time: datetime
    question: str
    earlier_questions: list[str] = Field(
        default_factory=list, description="The user's previous messages (follow-up context)"
    )
    audience: Audience
    answer: str
    refused: bool
    citations: list[Citation]
    removed: list[str] = Field(
        default_factory=list, description="Sentences the numeric guard took out"
    )
    tool: ToolCall | None
    backend: str
    corpus_sha256: str
    rules_sha256: str


def files_sha256(path: Path, pattern: str) -> str:
    """Hash of the names and bytes of the matching files (a single file: just its bytes).

    The same fingerprint the evaluation reports carry, so an audit entry and an evaluation
    run can be matched to the same corpus and rules.
    """
    digest = hashlib.sha256()
    files = sorted(path.glob(pattern)) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


class AuditLog:
    """Append-only JSONL file; one instance per assistant, safe across threads and processes."""

    def __init__(self, path: Path, *, corpus_sha256: str, rules_sha256: str) -> None:
        self.path = path
        self.corpus_sha256 = corpus_sha256
        self.rules_sha256 = rules_sha256
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> AuditLog | None:
        """The configured log, or None when auditing is off (the default).

        The corpus and rules are fingerprinted now, once: the assistant loads them once per
        process, so this is the version every later answer of this process is based on.
        """
        if settings.audit_log is None:
            return None
        try:
            corpus = files_sha256(settings.corpus_dir, "*.md")
            rules = files_sha256(settings.rules_path, "*")
        except OSError as exc:
            raise AuditError(
                f"cannot fingerprint the corpus or rules for the audit log: {exc}"
            ) from exc
        return cls(Path(settings.audit_log), corpus_sha256=corpus, rules_sha256=rules)

    def entry(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None,
        audience: Audience,
        result: AnswerResult,
        tool_input: str | None,
    ) -> AuditEntry:
        tool = None
        if result.labs is not None and tool_input is not None:
            tool = ToolCall(input=tool_input, output=result.labs)
        return AuditEntry(
            time=datetime.now(UTC),
            question=question,
            earlier_questions=[
                str(message.get("content", ""))
                for message in history or []
                if message.get("role") == "user"
            ],
            audience=audience,
            answer=result.answer,
            refused=result.refused,
            citations=result.citations,
            removed=result.removed,
            tool=tool,
            backend=result.backend,
            corpus_sha256=self.corpus_sha256,
            rules_sha256=self.rules_sha256,
        )

    def write(self, entry: AuditEntry) -> None:
        data = (entry.model_dump_json() + "\n").encode("utf-8")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            except OSError as exc:
                raise AuditError(f"cannot open the audit log {self.path}: {exc}") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                written = os.write(fd, data)
                if written != len(data):
                    raise AuditError(f"audit log {self.path}: short write ({written} bytes)")
            except OSError as exc:
                raise AuditError(f"cannot write the audit log {self.path}: {exc}") from exc
            finally:
                os.close(fd)  # also releases the flock


def read_audit_log(path: Path) -> list[AuditEntry]:
    """Every entry of an audit log, oldest first ([] when there is no log yet)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [AuditEntry.model_validate_json(line) for line in handle if line.strip()]
