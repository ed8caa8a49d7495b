"""Determinism across processes: the cases answered again in a fresh Python process.

A second run in the same process shares the loaded model, the query-vector cache and the hash
seed with the first, so it cannot see an answer that depends on any of them. The runner
therefore answers each case once in its own process and once here, in a child process with
cold caches and another hash seed, and compares the two signatures (answer, citations, lab
output, retrieved ids).

    python -m assistant.evaluation.replay --settings FILE --cases PATH --ids FILE --out FILE
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.cases import load_cases
from assistant.evaluation.metrics import signature
from assistant.evaluation.scoring import run_case
from assistant.evaluation.systems import (
    PipelineSystem,
    default_answerer,
    default_searcher,
    load_answerer,
)

REPLAY_TIMEOUT_S = 3600


class ReplayError(RuntimeError):
    """The replay process failed: its exit code and the end of its error output."""


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment with another hash seed: a fixed PYTHONHASHSEED moves by one,
    an unset or random one stays random (a new seed per process)."""
    env = dict(os.environ if environ is None else environ)
    seed = env.get("PYTHONHASHSEED", "")
    if seed.isdigit():
        env["PYTHONHASHSEED"] = str((int(seed) + 1) % 4_294_967_296)
    else:
        env.pop("PYTHONHASHSEED", None)
    return env


class Replay:
    """The cases answered in a child process, started at once so it runs while the parent
    answers them too; `signatures()` waits for it. Use as a context manager (the child is
    stopped and its files removed on exit)."""

    def __init__(
        self,
        settings: Settings,
        cases_path: Path,
        case_ids: Sequence[str],
        answerer: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="eval-replay-"))
        (self._folder / "settings.pickle").write_bytes(pickle.dumps(settings))
        (self._folder / "ids.json").write_text(json.dumps(list(case_ids)), encoding="utf-8")
        command = [
            sys.executable, "-m", "assistant.evaluation.replay",
            "--settings", str(self._folder / "settings.pickle"), "--cases", str(cases_path),
            "--ids", str(self._folder / "ids.json"), "--out", str(self._folder / "out.json"),
        ]  # fmt: skip
        if answerer:
            command += ["--answerer", answerer]
        self._stderr = (self._folder / "stderr.txt").open("wb")
        try:
            self._process = subprocess.Popen(  # noqa: S603  (our interpreter and module, no shell)
                command,
                cwd=PROJECT_ROOT,
                env=env if env is not None else child_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
            )
        except OSError as exc:
            self.close()
            raise ReplayError(f"cannot start the replay process: {exc}") from exc

    def signatures(self, timeout: float = REPLAY_TIMEOUT_S) -> dict[str, str]:
        """case id -> signature of the case answered in the child process."""
        try:
            code = self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise ReplayError(f"replay process still running after {timeout:g} s") from exc
        if code != 0:
            self._stderr.flush()
            tail = (self._folder / "stderr.txt").read_text(errors="replace")[-2000:]
            raise ReplayError(f"replay process exited {code}: {tail}")
        result: dict[str, str] = json.loads((self._folder / "out.json").read_text("utf-8"))
        return result

    def close(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        stderr = getattr(self, "_stderr", None)
        if stderr is not None:
            stderr.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Replay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def replay_signatures(
    settings: Settings,
    cases_path: Path,
    case_ids: Sequence[str],
    answerer: str | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, str]:
    """case id -> signature of the case answered in a fresh process (waits for it)."""
    with Replay(settings, cases_path, case_ids, answerer, env) as replay:
        return replay.signatures()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settings", type=Path, required=True)
    parser.add_argument("--cases", type=Path, required=True)
    parser.add_argument("--ids", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--answerer", default=None)
    args = parser.parse_args(argv)
    # Written by the parent process a moment ago, in its own temporary folder.
    settings: Settings = pickle.loads(args.settings.read_bytes())  # noqa: S301
    wanted = set(json.loads(args.ids.read_text(encoding="utf-8")))
    cases = [case for case in load_cases(args.cases) if case.id in wanted]
    searcher = default_searcher(settings)
    answerer = (
        load_answerer(args.answerer, settings)
        if args.answerer
        else default_answerer(settings, searcher)
    )
    system = PipelineSystem(answerer, searcher)
    signatures: dict[str, str] = {}
    for case in cases:
        run = run_case(system, case, settings.retrieval.k)
        signatures[case.id] = signature(run.result, run.retrieved)
    args.out.write_text(json.dumps(signatures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
