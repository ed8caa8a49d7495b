"""What a report must say about the run: code commit, corpus, rules and cases fingerprints."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from assistant.audit import files_sha256 as tree_sha256
from assistant.config import PROJECT_ROOT, Settings


class RunMeta(BaseModel):
    started: str
    duration_s: float = 0.0
    git_commit: str
    git_dirty: bool | None
    corpus_dir: str
    corpus_sha256: str
    rules_path: str
    rules_sha256: str
    cases_path: str
    cases_sha256: str
    case_count: int
    k: int
    backend: str = ""
    split: str = "gate"  # the cases scored: "gate" (gated) or "dev" (calibration, not gated)
    dev_case_count: int = 0  # dev cases scored apart in a gate run
    cross_process: bool = False  # determinism compared with a run in another process


def _git(*args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
            [git, "-C", str(PROJECT_ROOT), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state() -> tuple[str, bool | None]:
    """(HEAD commit or "unknown", whether tracked files differ from it)."""
    commit = _git("rev-parse", "HEAD") or "unknown"
    status = _git("status", "--porcelain", "--untracked-files=no")
    return commit, (None if status is None else bool(status))


def run_meta(settings: Settings, cases_path: Path, case_count: int) -> RunMeta:
    commit, dirty = git_state()
    return RunMeta(
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        git_commit=commit,
        git_dirty=dirty,
        corpus_dir=str(settings.corpus_dir),
        corpus_sha256=tree_sha256(settings.corpus_dir, "*.md"),
        rules_path=str(settings.rules_path),
        rules_sha256=tree_sha256(settings.rules_path, "*"),
        cases_path=str(cases_path),
        cases_sha256=tree_sha256(cases_path, "*.y*ml"),
        case_count=case_count,
        k=settings.retrieval.k,
        backend=settings.llm.provider,
    )
