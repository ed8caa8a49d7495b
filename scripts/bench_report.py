"""The benchmark's goals (issue 6) checked against its figures, and the Markdown report."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

INGEST_RATIO_GOAL = 0.9  # ingestion at least 0.9 of the raw encoding throughput
P95_GOAL_MS = 50.0  # warm ask p95 at the largest corpus (100k chunks)
LAB_MEDIAN_GOAL_US = 100.0
OURS_OVER_THEIRS_GOAL = 1.0


@dataclass(frozen=True)
class Goal:
    key: str
    goal: str
    measured: str
    met: bool
    gap: str  # "" when met; else how far from the goal


def evaluate_goals(results: dict[str, Any]) -> list[Goal]:
    goals: list[Goal] = []
    ingest = results.get("ingest")
    if ingest:
        ratio = float(ingest["ratio"])
        goals.append(
            _goal(
                "ingest_vs_ceiling",
                f"ingestion >= {INGEST_RATIO_GOAL} x raw encoding throughput",
                f"{ratio:.3f} ({ingest['ingest_chunks_per_s']} vs "
                f"{ingest['raw_encoding_chunks_per_s']} chunks/s)",
                ratio >= INGEST_RATIO_GOAL,
                f"{INGEST_RATIO_GOAL - ratio:.3f} short",
            )
        )
    scales = results.get("scales") or []
    if scales:
        largest = scales[-1]
        p95 = float(largest["ask"]["p95_ms"])
        goals.append(
            _goal(
                "ask_p95_largest",
                f"ask p95 <= {P95_GOAL_MS:g} ms at {largest['chunks']:,} chunks",
                f"{p95:.1f} ms",
                p95 <= P95_GOAL_MS,
                f"{p95 - P95_GOAL_MS:.1f} ms over",
            )
        )
    if len(scales) >= 2:
        goals.append(_growth_goal(scales[-2], scales[-1]))
    for scale in scales:
        ratio = float(scale["ratio_median"])
        goals.append(
            _goal(
                f"ours_over_langchain_{scale['chunks']}",
                f"ask / LangChain similarity_search, median, at {scale['chunks']:,} chunks "
                f"<= {OURS_OVER_THEIRS_GOAL:g}",
                f"{ratio:.3f} (p95 ratio {scale['ratio_p95']:.3f})",
                ratio <= OURS_OVER_THEIRS_GOAL,
                f"{ratio - OURS_OVER_THEIRS_GOAL:.3f} over",
            )
        )
    labs = results.get("labs")
    if labs:
        median = float(labs["median_us"])
        goals.append(
            _goal(
                "lab_tool_median",
                f"lab tool median <= {LAB_MEDIAN_GOAL_US:g} µs per message",
                f"{median:.1f} µs (p95 {labs['p95_us']} µs)",
                median <= LAB_MEDIAN_GOAL_US,
                f"{median - LAB_MEDIAN_GOAL_US:.1f} µs over",
            )
        )
    return goals


def _growth_goal(smaller: dict[str, Any], larger: dict[str, Any]) -> Goal:
    """p95 may grow at most like log(n): p95(N2) / p95(N1) <= ln(N2) / ln(N1)."""
    n1, n2 = int(smaller["chunks"]), int(larger["chunks"])
    allowed = math.log(n2) / math.log(n1)
    growth = float(larger["ask"]["p95_ms"]) / float(smaller["ask"]["p95_ms"])
    return _goal(
        "ask_p95_growth",
        f"p95({n2:,}) / p95({n1:,}) <= ln({n2:,}) / ln({n1:,}) = {allowed:.3f}",
        f"{growth:.3f}",
        growth <= allowed,
        f"{growth - allowed:.3f} over",
    )


def _goal(key: str, goal: str, measured: str, met: bool, gap: str) -> Goal:
    return Goal(key, goal, measured, met, "" if met else gap)


def goals_as_dicts(goals: list[Goal]) -> list[dict[str, Any]]:
    return [asdict(g) for g in goals]


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
    lines += [*_lab_lines(results.get("labs")), *_cold_lines(results.get("cold_start"))]
    return "\n".join(lines) + "\n"


def _ingest_lines(ingest: dict[str, Any] | None) -> list[str]:
    if not ingest:
        return []
    return [
        "## Ingestion",
        "",
        f"{ingest['chunks']} real chunks, best of {ingest['repeats']} repeats: ingest "
        f"{ingest['ingest_chunks_per_s']} chunks/s, raw encoding "
        f"{ingest['raw_encoding_chunks_per_s']} chunks/s, ratio {ingest['ratio']} "
        f"(per repeat: {ingest['ratios']}). One-time model "
        f"set-up (load, ONNX export if not cached): {ingest['model_setup_s']} s.",
        "",
    ]


def _scale_lines(scales: list[dict[str, Any]] | None) -> list[str]:
    if not scales:
        return []
    lines = [
        "## Ask latency (warm) against LangChain",
        "",
        "| chunks | ask median ms | ask p95 ms | LangChain median ms | LangChain p95 ms | "
        "ratio median | ratio p95 | search-only p95 ms | index load s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scales:
        search = s.get("hybrid_search_only") or {}
        lines.append(
            f"| {s['chunks']:,} | {s['ask']['median_ms']} | {s['ask']['p95_ms']} | "
            f"{s['langchain_similarity_search']['median_ms']} | "
            f"{s['langchain_similarity_search']['p95_ms']} | {s['ratio_median']} | "
            f"{s['ratio_p95']} | {search.get('p95_ms', '-')} | {s['index_load_s']} |"
        )
    lines += [
        "",
        "Where the p95 comes from: the asks at or above it, against all asks.",
        "",
        "| chunks | tail asks | tail mean ms | of which in search ms | tail searches per ask | "
        "searches per ask (all) |",
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
        "| index | first answer s (from launch) | import s | peak RSS MiB | questions |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, figures in cold.items():
        lines.append(
            f"| {name} | {figures['first_answer_s']} | {figures['import_s']} | "
            f"{figures['peak_rss_mib']} | {figures['questions']} |"
        )
    return [*lines, ""]
