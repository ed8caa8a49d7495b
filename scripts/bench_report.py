"""The benchmark's Markdown report (its goals: scripts.bench_goals)."""

from __future__ import annotations

from typing import Any

from scripts.bench_goals import evaluate_goals, goals_as_dicts, one_line
from scripts.bench_stages import ORDER

__all__ = ["evaluate_goals", "goals_as_dicts", "render_markdown"]


def render_markdown(results: dict[str, Any]) -> str:
    run = results["run"]
    lines = [
        "# Benchmark report",
        "",
        f"- started {run['started']}, {run['seconds']:.0f} s; Python {run['python']}, "
        f"{run['cpus']} CPUs, load average {run['load_start']} at start, {run['load_end']} at end",
        f"- embedding backend `{run['embedding_backend']}`; LangChain baseline: torch "
        "`HuggingFaceEmbeddings` + Chroma `similarity_search(k=5)` on the same collection",
        f"- {run['questions']} questions per corpus size, each new to the process; corpus grown "
        "synthetically from the real chunks (see docs/performance.md)",
        "",
        "## Goals",
        "",
        "| goal | measured | met | gap |",
        "|---|---|---|---|",
    ]
    for goal in results["goals"]:
        lines.append(
            f"| {goal['goal']} | {goal['measured']} | {'yes' if goal['met'] else 'no'} | "
            f"{goal['gap'] or '-'} |"
        )
    lines += ["", *_ingest_lines(results.get("ingest")), *_scale_lines(results.get("scales"))]
    lines += [*_stage_lines(results.get("scales")), *_statement_lines(results.get("scales"))]
    lines += [*_lab_lines(results.get("labs")), *_cold_lines(results.get("cold_start"))]
    lines += [*_server_lines(results.get("chroma_server")), *_served_lines(results.get("served"))]
    return "\n".join(lines) + "\n"


def _ingest_lines(ingest: dict[str, Any] | None) -> list[str]:
    if not ingest:
        return []
    return [
        "## Ingestion",
        "",
        f"{ingest['chunks']} real chunks and {ingest['statements']} statements, best of "
        f"{ingest['repeats']} repeats: ingest {ingest['ingest_texts_per_s']} texts/s, raw "
        f"encoding {ingest['raw_encoding_texts_per_s']} texts/s, ratio {ingest['ratio']} "
        f"(per repeat: {ingest['ratios']}). Statements alone encode at "
        f"{ingest['raw_statements_per_s']} /s; the search files (passages, BM25, statements "
        f"encoded and stored) took {ingest['statement_stage_s']} s of the "
        f"{ingest['ingest_s']} s ingest. One-time model set-up (load, ONNX export if not "
        f"cached): {ingest['model_setup_s']} s.",
        "",
        *(
            [
                "A ratio above 1 cannot be a real one (an ingest does the raw encoding's work and "
                "more): other processes slowed the ceiling's runs more than the ingests'. Read "
                "the goal as met only if it holds on a quieter machine.",
                "",
            ]
            if float(ingest["ratio"]) > 1.0
            else []
        ),
    ]


def _scale_lines(scales: list[dict[str, Any]] | None) -> list[str]:
    if not scales:
        return []
    lines = [
        "## Ask latency (warm) against LangChain",
        "",
        "| chunks | ask median ms | ask p95 ms | LangChain median ms | LangChain p95 ms | "
        "ratio median | ratio p95 | search-only p95 ms | index load s | files s | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in scales:
        search = s.get("hybrid_search_only") or {}
        lines.append(
            f"| {s['chunks']:,} | {s['ask']['median_ms']} | {s['ask']['p95_ms']} | "
            f"{s['langchain_similarity_search']['median_ms']} | "
            f"{s['langchain_similarity_search']['p95_ms']} | {s['ratio_median']} | "
            f"{s['ratio_p95']} | {search.get('p95_ms', '-')} | {s['index_load_s']} | "
            f"{s.get('files_s', '-')} | {s.get('load', '-')} |"
        )
    lines += [
        "",
        "Where the p95 comes from: the asks at or above it, against all asks.",
        "",
        "| chunks | tail asks | tail mean ms | of which in search ms | tail queries per ask | "
        "queries per ask (all) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scales:
        tail = s.get("p95_tail")
        if tail:
            lines.append(
                f"| {s['chunks']:,} | {tail['asks']} | {tail['mean_ms']} | "
                f"{tail['mean_search_ms']} | {tail['mean_searches']} | "
                f"{tail['all_asks_mean_searches']} |"
            )
    return [*lines, ""]


def _stage_lines(scales: list[dict[str, Any]] | None) -> list[str]:
    if not scales or not scales[-1].get("stages"):
        return []
    lines = [
        "## The answer engine's stages",
        "",
        "Mean ms per ask (share of the ask) for every ask, and for the asks at or above the p95.",
        "",
        "| chunks | asks | " + " | ".join(ORDER) + " |",
        "|---:|---|" + "---:|" * len(ORDER),
    ]
    for s in scales:
        for name, stages in (("all", s.get("stages")), ("p95 tail", s.get("p95_tail_stages"))):
            if stages:
                cells = [f"{stages[k]['mean_ms']} ({100 * stages[k]['share']:.0f}%)" for k in ORDER]
                lines.append(f"| {s['chunks']:,} | {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _statement_lines(scales: list[dict[str, Any]] | None) -> list[str]:
    rows = [s for s in scales or [] if s.get("statement_search")]
    if not rows:
        return []
    lines = [
        "## Nearest statements",
        "",
        "| chunks | statements | searchable | inverted lists | median ms | p95 ms | "
        "recall vs every statement scored |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in rows:
        t = s["statement_search"]
        lines.append(
            f"| {s['chunks']:,} | {t['statements']:,} | {t['searchable']:,} | "
            f"{t['inverted_lists'] or '-'} | {t['median_ms']} | {t['p95_ms']} | "
            f"{t['recall_vs_exact']} |"
        )
    return [*lines, ""]


def _lab_lines(labs: dict[str, Any] | None) -> list[str]:
    if not labs:
        return []
    return [
        "## Lab tool",
        "",
        f"{labs['messages']} messages x {labs['rounds']} rounds: median {labs['median_us']} µs, "
        f"p95 {labs['p95_us']} µs, mean {labs['mean_us']} µs per message.",
        "",
    ]


def _cold_lines(cold: dict[str, Any] | None) -> list[str]:
    if not cold:
        return []
    lines = [
        "## Cold start and memory",
        "",
        "| index | first answer s (from launch) | import s | index open s | first ask s | "
        "peak RSS MiB | anon / mapped files MiB at end | questions | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, f in cold.items():
        if "error" in f:
            lines.append(f"| {name} | did not run: {one_line(f['error'])} |")
            continue
        lines.append(
            f"| {name} | {f['first_answer_s']} | {f['import_s']} | {f.get('index_open_s', '-')} "
            f"| {f.get('first_ask_s', '-')} | {f['peak_rss_mib']} | {f.get('rss_anon_mib')} / "
            f"{f.get('rss_file_mib')} | {f['questions']} | {f.get('load', '-')} |"
        )
    return [*lines, ""]


def _server_lines(server: dict[str, Any] | None) -> list[str]:
    if not server:
        return []
    if "error" in server:
        return ["## Chroma server", "", f"Did not run: {one_line(server['error'])}", ""]
    return [
        "## Chroma server",
        "",
        f"{server['questions']} asks at {server['chunks']:,} chunks through `chroma run` (a copy "
        f"of the index, {server['copy_s']} s to copy) and the embedded store, alternating: "
        f"server median {server['server']['median_ms']} ms, p95 {server['server']['p95_ms']} ms; "
        f"embedded median {server['embedded']['median_ms']} ms, p95 "
        f"{server['embedded']['p95_ms']} ms; ratio {server['ratio_median']} (p95 "
        f"{server['ratio_p95']}). First ask through the server {server['first_ask_s']} s. "
        f"Load {server.get('load', '-')}.",
        "",
    ]


def _served_lines(served: dict[str, Any] | None) -> list[str]:
    if not served:
        return []
    if "error" in served:
        return ["## Served app", "", f"Did not run: {one_line(served['error'])}", ""]
    lines = [
        "## Served app",
        "",
        f"`assistant serve` at {served['chunks']:,} chunks (started in {served['startup_s']} s), "
        "asked through gradio_client's `/ask` by concurrent clients in the benchmark's process.",
        "",
        "| clients | asks | answers/s | vs 1 client | errors | median ms | p95 ms | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for level, f in served.items():
        if not level.isdigit():
            continue
        latency = f.get("latency") or {}
        lines.append(
            f"| {level} | {f['asks']} | {f['answers_per_s']} | {f.get('vs_first_level')} | "
            f"{f['errors']} | {latency.get('median_ms', '-')} | {latency.get('p95_ms', '-')} | "
            f"{f['load']} |"
        )
    return [*lines, ""]
