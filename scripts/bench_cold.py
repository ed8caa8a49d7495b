"""Cold start to first answer, and peak memory, in a fresh process.

Run by the benchmark as `python -m scripts.bench_cold QUESTION [MORE ...]` with ASSISTANT_*
variables pointing at an existing index: prints one JSON line with the time from the parent's
launch to the first answer, the import time, and the process's peak resident memory after
answering every question. `cold_start` is the parent side.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_STARTED_ENV = "BENCH_LAUNCHED_AT"


def cold_start(env: dict[str, str], questions: list[str], cwd: Path) -> dict[str, Any]:
    """Launch a fresh interpreter that answers `questions`; its figures, wall time included."""
    launched = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench_cold", *questions],
        env={**env, _STARTED_ENV: repr(launched)},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold-start process failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_wall_s"] = round(time.time() - launched, 2)
    return figures


def _status_kib(field: str) -> int | None:
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return None


def _peak_rss_kib() -> int:
    """This process's peak resident memory. Not ru_maxrss: on Linux a child inherits its
    parent's value across fork and exec, so it would report the benchmark's own peak."""
    peak = _status_kib("VmHWM")
    return peak if peak is not None else int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


def main(questions: list[str]) -> int:
    launched = float(os.environ.get(_STARTED_ENV, repr(time.time())))
    started = time.time()
    from assistant import Assistant

    assistant = Assistant()
    imported = time.time()
    assistant.resources.vocabulary()  # opens the store, loads the index's files and vocabulary
    loaded = time.time()
    first = assistant.ask(questions[0])
    answered = time.time()
    for question in questions[1:]:
        assistant.ask(question)
    peak_kib = _peak_rss_kib()
    print(
        json.dumps(
            {
                "interpreter_start_s": round(started - launched, 2),
                "import_s": round(imported - started, 2),
                "index_open_s": round(loaded - imported, 2),
                "first_ask_s": round(answered - loaded, 2),
                "first_answer_s": round(answered - launched, 2),
                "first_answer_refused": first.refused,
                "questions": len(questions),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                # Now: memory of its own, and pages of mapped files (the index's files, the
                # model) that the kernel can drop and read again
                "rss_anon_mib": _mib(_status_kib("RssAnon")),
                "rss_file_mib": _mib(_status_kib("RssFile")),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
