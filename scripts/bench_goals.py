"""The benchmark's goals (issues 6 and 14) checked against its figures."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

INGEST_RATIO_GOAL = 0.9  # ingestion (chunks and statements) at least 0.9 of raw encoding
P95_GOAL_MS = 50.0  # warm ask p95 at the largest corpus (100k chunks)
MEDIAN_GOAL_MS = 20.0
LAB_MEDIAN_GOAL_US = 50.0
OURS_OVER_THEIRS_GOAL = 0.25  # ask median / LangChain similarity_search median, largest corpus
COLD_START_GOAL_S = 3.0
PEAK_RSS_GOAL_MIB = 600.0
SERVER_RATIO_GOAL = 1.5  # Chroma server ask median / embedded ask median
SERVED_GAIN_GOAL = 1.5  # answers/s at concurrency 4 / at concurrency 1


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
                f"ingestion >= {INGEST_RATIO_GOAL} x raw encoding throughput (chunks and "
                "statements)",
                f"{ratio:.3f} ({ingest['ingest_texts_per_s']} vs "
                f"{ingest['raw_encoding_texts_per_s']} texts/s)",
                ratio >= INGEST_RATIO_GOAL,
                f"{INGEST_RATIO_GOAL - ratio:.3f} short",
            )
        )
    goals.extend(_ask_goals(results.get("scales") or []))
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
    goals.extend(_process_goals(results))
    return goals


def _ask_goals(scales: list[dict[str, Any]]) -> list[Goal]:
    if not scales:
        return []
    largest = scales[-1]
    chunks = f"{largest['chunks']:,} chunks"
    p95, median = float(largest["ask"]["p95_ms"]), float(largest["ask"]["median_ms"])
    ratio = float(largest["ratio_median"])
    goals = [
        _goal(
            "ask_p95_largest",
            f"ask p95 <= {P95_GOAL_MS:g} ms at {chunks}",
            f"{p95:.1f} ms",
            p95 <= P95_GOAL_MS,
            f"{p95 - P95_GOAL_MS:.1f} ms over",
        ),
        _goal(
            "ask_median_largest",
            f"ask median <= {MEDIAN_GOAL_MS:g} ms at {chunks}",
            f"{median:.1f} ms",
            median <= MEDIAN_GOAL_MS,
            f"{median - MEDIAN_GOAL_MS:.1f} ms over",
        ),
        _goal(
            "ours_over_langchain_largest",
            f"ask / LangChain similarity_search, median, at {chunks} <= {OURS_OVER_THEIRS_GOAL:g}",
            f"{ratio:.3f} (p95 ratio {largest['ratio_p95']:.3f})",
            ratio <= OURS_OVER_THEIRS_GOAL,
            f"{ratio - OURS_OVER_THEIRS_GOAL:.3f} over",
        ),
    ]
    if len(scales) >= 2:
        goals.append(_growth_goal(scales[-2], largest))
    return goals


def _process_goals(results: dict[str, Any]) -> list[Goal]:
    cold = results.get("cold_start") or {}
    if not cold:
        return _service_goals(results)
    name, figures = list(cold.items())[-1]
    cold_goal = f"fresh process to first answer <= {COLD_START_GOAL_S:g} s ({name})"
    rss_goal = (
        f"peak RSS <= {PEAK_RSS_GOAL_MIB:g} MiB ({name}, after {figures.get('questions')} answers)"
    )
    if "error" in figures:
        return [
            _failed("cold_start_largest", cold_goal, figures["error"]),
            _failed("peak_rss_largest", rss_goal, figures["error"]),
            *_service_goals(results),
        ]
    seconds, peak = float(figures["first_answer_s"]), float(figures["peak_rss_mib"])
    return [
        _goal(
            "cold_start_largest",
            cold_goal,
            f"{seconds:.2f} s",
            seconds <= COLD_START_GOAL_S,
            f"{seconds - COLD_START_GOAL_S:.2f} s over",
        ),
        _goal(
            "peak_rss_largest",
            rss_goal,
            f"{peak:.0f} MiB (anon {figures.get('rss_anon_mib')}, mapped files "
            f"{figures.get('rss_file_mib')} MiB at the end)",
            peak <= PEAK_RSS_GOAL_MIB,
            f"{peak - PEAK_RSS_GOAL_MIB:.0f} MiB over",
        ),
        *_service_goals(results),
    ]


def _service_goals(results: dict[str, Any]) -> list[Goal]:
    goals: list[Goal] = []
    server = results.get("chroma_server")
    server_goal = f"ask median, Chroma server / embedded store <= {SERVER_RATIO_GOAL:g}"
    served_goal = (
        f"served answers/s at concurrency 4 >= {SERVED_GAIN_GOAL:g} x concurrency 1, no errors"
    )
    if server and "error" in server:
        goals.append(_failed("chroma_server_vs_embedded", server_goal, server["error"]))
    elif server:
        ratio = float(server["ratio_median"])
        goals.append(
            _goal(
                "chroma_server_vs_embedded",
                server_goal,
                f"{ratio:.3f} ({server['server']['median_ms']} vs "
                f"{server['embedded']['median_ms']} ms)",
                ratio <= SERVER_RATIO_GOAL,
                f"{ratio - SERVER_RATIO_GOAL:.3f} over",
            )
        )
    served = results.get("served")
    if served and "error" in served:
        goals.append(_failed("served_concurrency_4", served_goal, served["error"]))
    elif served and "1" in served and "4" in served:
        one, four = served["1"], served["4"]
        gain = four["answers_per_s"] / one["answers_per_s"] if one["answers_per_s"] else 0.0
        errors = sum(int(v["errors"]) for k, v in served.items() if k.isdigit())
        goals.append(
            _goal(
                "served_concurrency_4",
                served_goal,
                f"{gain:.2f} x ({four['answers_per_s']} vs {one['answers_per_s']} answers/s), "
                f"{errors} errors",
                gain >= SERVED_GAIN_GOAL and errors == 0,
                ", ".join(
                    ([f"{SERVED_GAIN_GOAL - gain:.2f} x short"] if gain < SERVED_GAIN_GOAL else [])
                    + ([f"{errors} errors"] if errors else [])
                ),
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


def _failed(key: str, goal: str, error: str) -> Goal:
    """A goal whose section failed: not met, and nothing measured."""
    return Goal(key, goal, "not measured", False, f"did not run ({one_line(error)})")


def goals_as_dicts(goals: list[Goal]) -> list[dict[str, Any]]:
    return [asdict(g) for g in goals]


def one_line(error: str) -> str:
    return error.splitlines()[0][:200].replace("|", "/") if error else "unknown error"
