"""`make bench`: the performance benchmarks (issues 6 and 14), as ratios against same-run
baselines.

Usage: python -m scripts.bench [--sizes 1000,10000,100000] [--questions N] [--ingest-repeats 3]
                               [--lab-rounds 20] [--no-cold-start] [--no-chroma-server]
                               [--no-serve] [--serve-levels 1,4,16] [--serve-asks 48]
                               [--out-dir reports/bench]

Everything runs on a private copy of the corpus in a temporary folder (the real index and data
folder are not touched): ingestion (chunks and statements) against raw encoding, warm
`Assistant.ask` latency at each corpus size against a plain LangChain pipeline with the time of
each stage of the answer engine, the lab tool per message, cold start plus peak memory in fresh
processes, the same asks through a Chroma server, and the served app's throughput at several
concurrency levels. Writes bench.json and bench.md to the output folder; the goals table says
for each goal whether it was met and by how much it was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import assistant.offline  # noqa: F401
from assistant.config import PROJECT_ROOT, LLMSettings, Settings, get_settings
from scripts.bench_questions import lab_messages, question_pool, retrieval_questions, variant
from scripts.bench_report import evaluate_goals, goals_as_dicts, render_markdown

DEFAULT_OUT = PROJECT_ROOT / "reports" / "bench"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
COLLECTION = "bench"  # the first ingest benchmark's collection: real chunks, then grown


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_settings(work: Path) -> Settings:
    """Settings for a private corpus copy and data folder; default (offline) answer mode."""
    from scripts.bench_corpus import copy_corpus

    source = get_settings()
    rules = copy_corpus(source.corpus_dir, source.rules_path, work / "corpus")
    settings = Settings(
        corpus_dir=work / "corpus",
        rules_path=rules,
        data_dir=work / "data",
        chroma_url=None,
        collection=COLLECTION,
        audit_log=None,
        llm=LLMSettings(),
    )
    _seed_onnx_export(source, settings)
    return settings


def _seed_onnx_export(source: Settings, target: Settings) -> None:
    """Reuse the ONNX export of the project's data folder, when it has one: the export (about
    10 s) is a one-time set-up, reported apart as model set-up and never part of a ratio."""
    from assistant.index.embeddings import embedding_backend, model_fingerprint
    from assistant.index.onnx import cached_model_file, copy_cached

    backend = embedding_backend(target)
    if not backend.startswith("onnx"):
        return
    quantized = backend == "onnx-int8"
    fingerprint = model_fingerprint(target.embedding_model_path.resolve())
    found = cached_model_file(source.data_dir, fingerprint, quantized=quantized)
    if found.is_file():
        copy_cached(found, cached_model_file(target.data_dir, fingerprint, quantized=quantized))


def run_bench(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from assistant.index.embeddings import embedding_backend, embeddings_for
    from assistant.pipeline import Assistant

    started = time.perf_counter()
    settings = bench_settings(work)
    check_sizes(settings, args.sizes)
    results: dict[str, Any] = {
        "run": {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_start": _load(),
            "embedding_backend": embedding_backend(settings),
            "sizes": args.sizes,
        }
    }
    _log("lab tool")
    results["labs"] = _labs(settings, args.lab_rounds)
    _log("model set-up (load; ONNX export when not cached)")
    setup_started = time.perf_counter()
    embeddings_for(settings)
    setup_s = time.perf_counter() - setup_started
    _log("ingestion (chunks and statements) against raw encoding")
    from scripts.bench_ingest import measure_ingest

    ingest, real = measure_ingest(settings, args.ingest_repeats)
    results["ingest"] = {**ingest.as_dict(), "model_setup_s": round(setup_s, 2)}
    questions = question_pool(args.questions)
    results["run"]["questions"] = len(questions)
    cold: dict[str, Any] = {}
    if args.cold_start:
        cold["real corpus"] = _section("cold start", lambda: _cold_start(settings, questions))
    embedded = Assistant(settings)
    results["scales"] = _scales(settings, real, questions, args.sizes, embedded)
    largest = f"{args.sizes[-1]:,} chunks"
    if args.cold_start:
        cold[largest] = _section("cold start", lambda: _cold_start(settings, questions))
        results["cold_start"] = cold
    if args.chroma_server:
        from scripts.bench_serve import measure_chroma_server

        _log(f"{largest}: the same asks through a Chroma server and the embedded store")
        asked = variant(questions, 97)
        results["chroma_server"] = _section(
            "Chroma server",
            lambda: {
                **measure_chroma_server(settings, embedded.ask, asked, work),
                "chunks": args.sizes[-1],
                "load": _load(),
            },
        )
    if args.serve:
        from scripts.bench_serve import measure_served

        _log(f"{largest}: the served app at concurrency {args.serve_levels}")
        env = _child_env(settings)
        results["served"] = _section(
            "served app",
            lambda: {
                **measure_served(env, questions, args.serve_levels, args.serve_asks, work),
                "chunks": args.sizes[-1],
            },
        )
    results["run"]["load_end"] = _load()
    results["run"]["seconds"] = round(time.perf_counter() - started, 1)
    results["goals"] = goals_as_dicts(evaluate_goals(results))
    return results


def check_sizes(settings: Settings, sizes: list[int]) -> None:
    """Every size must hold at least the real corpus: the corpus is grown, never cut."""
    from scripts.bench_corpus import corpus_chunks

    real = len(corpus_chunks(settings))
    if sizes[0] < real:
        raise ValueError(
            f"corpus size {sizes[0]:,} is below the real corpus's {real:,} chunks; "
            "the benchmark grows the corpus and cannot shrink it"
        )


def _section(name: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A section that starts processes of its own (cold start, Chroma server, served app):
    when it fails, the run goes on and the report says why it has no figures."""
    try:
        return measure()
    except Exception as exc:  # any failure: reported, not hidden, and not the whole run lost
        _log(f"{name} failed: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}"[:2000]}


def _labs(settings: Settings, rounds: int) -> dict[str, Any]:
    from scripts.bench_labs import measure_labs

    return measure_labs(settings, lab_messages(), rounds)


def _scales(
    settings: Settings,
    real: list[Any],
    questions: list[str],
    sizes: list[int],
    embedded: Any,
) -> list[dict[str, Any]]:
    from assistant.index.store import open_store
    from assistant.pipeline import Assistant
    from assistant.retrieval.hybrid import get_searcher
    from scripts.bench_ask import TimedSearcher, langchain_baseline, measure_scale, reload_index
    from scripts.bench_corpus import SyntheticStatements, grow, publish_grown
    from scripts.bench_statements import statement_search

    store = open_store(settings)  # holds the real chunks (the ingest benchmark wrote them)
    timed = TimedSearcher(get_searcher(settings))  # the shared searcher, its searches timed
    assistant = Assistant(settings, searcher=timed)
    real_statements = assistant.resources.statement_index()
    assert real_statements is not None
    synthetic = SyntheticStatements.of_real_corpus(settings, store, real_statements)
    theirs = langchain_baseline(settings)
    theirs("warm-up: vitamin B12 deficiency")  # load torch and the model: not latency
    search_pool = retrieval_questions()
    figures = []
    for round_number, size in enumerate(sizes):
        _log(f"growing the corpus to {size:,} chunks")
        grow_s = grow(store, real, size)
        _log(f"{size:,} chunks: the search files, as an ingest writes them")
        files_s = publish_grown(settings, store, synthetic)
        warmups = [f"warm-up {size} {i}: {q}" for i, q in enumerate(questions[:3])]
        load_s = reload_index(assistant, warmups)
        embedded.ask(f"warm-up {size}: {questions[0]} (embedded)")
        _log(f"{size:,} chunks: asking {len(questions)} questions (ours and LangChain's)")
        scale = measure_scale(
            assistant,
            timed,
            theirs,
            variant(questions, 2 * round_number),
            variant(search_pool, 2 * round_number + 1),
            chunks=store.count(),
            load_s=load_s,
        )
        statements = assistant.resources.statement_index()
        assert statements is not None
        searched = statement_search(statements, timed, variant(search_pool, 50 + round_number))
        figures.append(
            {
                **scale.as_dict(),
                "grow_s": round(grow_s, 1),
                "files_s": round(files_s, 1),
                "statement_search": searched,
                "load": _load(),
            }
        )
        _log(f"{size:,} chunks: {json.dumps(figures[-1]['ask'])}")
    return figures


def _child_env(settings: Settings) -> dict[str, str]:
    """The environment of a fresh process on the benchmark's corpus and index."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ASSISTANT_") or key == "ASSISTANT_EMBEDDING_BACKEND"
    }
    env |= {
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_RULES_PATH": str(settings.rules_path),
        "ASSISTANT_COLLECTION": settings.collection,
    }
    return env


def _cold_start(settings: Settings, questions: list[str]) -> dict[str, Any]:
    """A fresh process answering from the benchmark's collection as it is now."""
    from scripts.bench_cold import cold_start

    env = _child_env(settings)
    _log("cold start in a fresh process")
    asked = variant(questions[:20], 99)  # not timed for latency; 20 answers for peak memory
    return {**cold_start(env, asked, PROJECT_ROOT), "load": _load()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Performance benchmarks (issues 6 and 14)")
    parser.add_argument(
        "--sizes",
        type=lambda text: sorted(int(n) for n in text.split(",")),
        default=list(DEFAULT_SIZES),
        help="corpus sizes in chunks, comma-separated (default 1000,10000,100000)",
    )
    parser.add_argument("--questions", type=int, default=None, help="questions per size")
    parser.add_argument("--ingest-repeats", type=int, default=3)
    parser.add_argument("--lab-rounds", type=int, default=20)
    parser.add_argument("--no-cold-start", dest="cold_start", action="store_false")
    parser.add_argument("--no-chroma-server", dest="chroma_server", action="store_false")
    parser.add_argument("--no-serve", dest="serve", action="store_false")
    parser.add_argument(
        "--serve-levels",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 4, 16],
        help="concurrent clients of the served app, comma-separated (default 1,4,16)",
    )
    parser.add_argument("--serve-asks", type=int, default=48, help="asks per level (at least)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        results = run_bench(args, Path(work))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "bench.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    (args.out_dir / "bench.md").write_text(render_markdown(results), "utf-8")
    for goal in results["goals"]:
        status = "met" if goal["met"] else f"NOT met ({goal['gap']})"
        print(f"{goal['goal']}: {goal['measured']} -> {status}")
    _log(f"wrote {args.out_dir / 'bench.json'} and bench.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
