"""Throughput of the served app, and asks against a Chroma server beside the embedded store.

Served app: `assistant serve` in a fresh process on the benchmark's index, asked through
`gradio_client` (the app's `/ask` API) by 1, 4 and 16 clients at once, each question new to
the process; answers per second and errors at each level. The clients run in this process, on
the same CPUs as the server.

Chroma server: `chroma run` on a copy of the benchmark's Chroma folder, and an `Assistant` whose
settings point at it (the index's local files, found by the index's identity, are shared with the
embedded store's); each question is asked through both, alternating which goes first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.config import Settings
from scripts.bench_search import percentile, summarise

STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer at {url} within {STARTUP_SECONDS} s")


@contextmanager
def _process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def measure_served(
    env: dict[str, str], questions: list[str], levels: list[int], per_level: int, work: Path
) -> dict[str, Any]:
    """Answers per second of the served app at each concurrency level."""
    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
    results: dict[str, Any] = {}
    started = time.perf_counter()
    with _process(command, {**env, "GRADIO_ANALYTICS_ENABLED": "False"}, work / "serve.log") as app:
        _wait(url, app, "assistant serve")
        results["startup_s"] = round(time.perf_counter() - started, 1)
        clients = [Client(url, verbose=False, download_files=False) for _ in range(max(levels))]
        clients[0].predict("warm-up: what B12 level confirms deficiency?", [], api_name="/ask")
        asked = 0
        for level in levels:
            count = max(per_level, 2 * level)
            batch = [f"{q} (served {level}.{i})" for i, q in enumerate(_cycle(questions, count))]
            asked += len(batch)
            results[str(level)] = _served_level(clients[:level], batch)
    base = results.get(str(levels[0]), {}).get("answers_per_s") or 0.0
    for level in levels:
        figures = results[str(level)]
        figures["vs_first_level"] = round(figures["answers_per_s"] / base, 2) if base else None
    return results


def _cycle(questions: list[str], count: int) -> list[str]:
    return [questions[i % len(questions)] for i in range(count)]


def _served_level(clients: list[Any], batch: list[str]) -> dict[str, Any]:
    pending = list(reversed(batch))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def worker(client: Any) -> None:
        while True:
            with lock:
                if not pending:
                    return
                question = pending.pop()
            started = time.perf_counter()
            try:
                result = client.predict(question, [], "clinician", api_name="/ask")
                if not isinstance(result, dict) or "answer" not in result:
                    raise RuntimeError(f"unexpected result {str(result)[:200]}")
            except Exception as exc:  # every failure counts: the goal is none
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(worker, clients))
    elapsed = time.perf_counter() - started
    return {
        "clients": len(clients),
        "asks": len(batch),
        "seconds": round(elapsed, 2),
        "answers_per_s": round(len(latencies) / elapsed, 2),
        "errors": len(errors),
        "first_errors": errors[:3],
        "latency": summarise(latencies) if latencies else None,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def measure_chroma_server(
    settings: Settings,
    embedded: Callable[[str], Any],
    questions: list[str],
    work: Path,
) -> dict[str, Any]:
    """Ask medians through a `chroma run` server on a copy of the index, next to `embedded`."""
    from assistant.pipeline import Assistant

    copy = work / "server-chroma"
    shutil.rmtree(copy, ignore_errors=True)
    copy_started = time.perf_counter()
    shutil.copytree(settings.data_dir / "chroma", copy)
    copy_s = time.perf_counter() - copy_started
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--path", str(copy), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with _process(command, env, work / "chroma-server.log") as server:
        _wait(f"{url}/api/v2/heartbeat", server, "chroma run")
        remote = Assistant(settings.model_copy(update={"chroma_url": url}))
        started = time.perf_counter()
        remote.ask("warm-up: what B12 level confirms deficiency? (server)")
        load_s = time.perf_counter() - started
        for text in ("warm-up: oral or intramuscular B12?", "warm-up: MMA cut-off?"):
            remote.ask(text)
        ours: list[float] = []
        theirs: list[float] = []
        for index, question in enumerate(questions):
            order = (True, False) if index % 2 == 0 else (False, True)
            for server_turn in order:
                text = f"{question} ({'server' if server_turn else 'embedded'} store)"
                started = time.perf_counter()
                # A case that is invalid input on purpose still counts: it is timed too.
                with contextlib.suppress(Exception):
                    (remote.ask if server_turn else embedded)(text)
                elapsed = (time.perf_counter() - started) * 1000
                (ours if server_turn else theirs).append(elapsed)
    server_median = statistics.median(ours)
    embedded_median = statistics.median(theirs)
    return {
        "questions": len(questions),
        "copy_s": round(copy_s, 1),
        "first_ask_s": round(load_s, 2),
        "server": summarise(ours),
        "embedded": summarise(theirs),
        "ratio_median": round(server_median / embedded_median, 3),
        "ratio_p95": round(percentile(ours, 0.95) / percentile(theirs, 0.95), 3),
    }
