"""Opt-in audit trail: one JSON line per answer, appended, never rewritten.

Nothing is written unless `settings.audit_log` (ASSISTANT_AUDIT_LOG) names a file. Each entry
holds what a reviewer needs to reconstruct an answer: the time, the question (and the earlier
questions a follow-up was resolved from), the answer with its citations, the lab tool's input
and output, the corpus and rules fingerprints, and the backend that wrote it.

The log holds patient data, so the file is created readable by its owner only (0600, in a
folder created 0700; an existing file's permissions are tightened; a symbolic link is refused).
Each entry is one `write` of the whole line on a descriptor opened with O_APPEND, under a thread
lock and an flock, so entries from concurrent sessions and processes never interleave; it is
written whole or not at all (a short write on a full disk is cut back off), a partial last line
left by a crash is cut off before the next entry, and each entry is fsynced. Writing fails loudly
(AuditError): an answer that was meant to be audited is not given unaudited. Reading reports a
bad line (with its number) and reads on.

The feedback file (assistant.app.feedback) is written and read with the same functions.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import stat
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from labtool.report import LabReport
from pydantic import BaseModel, Field, ValidationError

from assistant.config import Settings
from assistant.schema import AnswerResult, Audience, Citation

FILE_MODE = 0o600  # owner read/write only: entries contain questions about patients
FOLDER_MODE = 0o700
logger = logging.getLogger(__name__)
Record = TypeVar("Record", bound=BaseModel)


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
            fd = open_private(self.path, AuditError, "the audit log")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                append_record(fd, data, self.path, AuditError, "the audit log")
            finally:
                os.close(fd)  # also releases the flock


def read_audit_log(path: Path) -> list[AuditEntry]:
    """Every readable entry of an audit log, oldest first ([] when there is no log yet); a bad
    line is logged with its number and skipped (scan_audit_log returns them)."""
    reading = scan_audit_log(path)
    for problem in reading.problems:
        logger.warning("%s", problem)
    return reading.entries


def scan_audit_log(path: Path) -> LogReading[AuditEntry]:
    return scan_records(path, AuditEntry)


# -- private, append-only JSONL files (the audit log and the feedback file) ------------------


@dataclass(frozen=True)
class BadLine:
    """A line that is not a record: where it is and why it cannot be read."""

    path: Path
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}"


@dataclass
class LogReading(Generic[Record]):
    entries: list[Record] = field(default_factory=list)
    problems: list[BadLine] = field(default_factory=list)


def scan_records(path: Path, model: type[Record]) -> LogReading[Record]:
    """Every record of a JSONL file, oldest first, and every line that is none (never fatal)."""
    reading: LogReading[Record] = LogReading()
    if not path.exists():
        return reading
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                reading.entries.append(model.model_validate_json(raw.decode("utf-8")))
            except UnicodeDecodeError as exc:
                reading.problems.append(BadLine(path, number, f"not UTF-8 (byte {exc.start})"))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(map(str, first["loc"]))
                problem = f"not a {model.__name__} record: {where + ': ' if where else ''}"
                reading.problems.append(BadLine(path, number, problem + first["msg"]))
    return reading


def open_private(
    path: Path, error: type[Exception], what: str, *, private_folder: bool = False
) -> int:
    """A descriptor for appending to `path`, readable by its owner only.

    A missing folder is created 0700 (with `private_folder`, an existing one is tightened to
    0700 too); the file is created 0600 and an existing file's permissions are tightened; a
    symbolic link or anything but a regular file is refused. Raises `error` naming the file.
    """
    try:
        _folder(path.parent, tighten=private_folder)
        fd = os.open(
            path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
        )
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(f"{what} {path} is a symbolic link; refusing to write through it") from exc
        raise error(f"cannot open {what} {path}: {exc}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"cannot open {what} {path}: not a regular file")
        if stat.S_IMODE(info.st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except OSError as exc:
        os.close(fd)
        raise error(f"cannot secure {what} {path}: {exc}") from exc
    except BaseException:
        os.close(fd)
        raise
    return fd


def _folder(folder: Path, *, tighten: bool) -> None:
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        return
    if tighten:
        info = folder.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
            folder.chmod(stat.S_IMODE(info.st_mode) & ~0o077)


def append_record(fd: int, data: bytes, path: Path, error: type[Exception], what: str) -> None:
    """Append one whole line (the caller holds the flock): a partial last line left by a crash
    is cut off first; a short or failed write is cut back off; the record is fsynced."""
    size = _cut_partial_tail(fd, path)
    try:
        written = os.write(fd, data)
    except OSError as exc:
        _truncate(fd, size)
        raise error(f"cannot write {what} {path}: {exc.strerror or exc}") from exc
    if written != len(data):
        _truncate(fd, size)
        raise error(
            f"cannot write {what} {path}: only {written} of {len(data)} bytes fit (disk full or "
            "file size limit); nothing was written"
        )
    try:
        os.fsync(fd)
    except OSError as exc:
        raise error(f"cannot write {what} {path} to disk: {exc.strerror or exc}") from exc


def _cut_partial_tail(fd: int, path: Path) -> int:
    """The file's size once a last line without its newline (an interrupted write) is removed."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    keep, end = 0, size
    while end > 0:  # back to the last newline
        start = max(0, end - 65_536)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        end = start
    logger.warning("%s: cut off an incomplete last line (%d bytes)", path, size - keep)
    os.ftruncate(fd, keep)
    return keep


def _truncate(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
    except OSError:
        logger.exception("cannot cut a partial record off")
