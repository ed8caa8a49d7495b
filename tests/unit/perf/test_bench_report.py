"""The benchmark's goal checks and Markdown report (figures made up, no model)."""

from __future__ import annotations

import math
from typing import Any

from scripts.bench_report import evaluate_goals, goals_as_dicts, render_markdown


def _scale(chunks: int, p95: float, ratio: float = 0.5) -> dict[str, Any]:
    ask = {"n": 10, "median_ms": p95 / 2, "p95_ms": p95, "mean_ms": p95 / 2, "max_ms": p95}
    return {
        "chunks": chunks,
        "index_load_s": 0.1,
        "ask": ask,
        "langchain_similarity_search": ask,
        "hybrid_search_only": None,
        "ratio_median": ratio,
        "ratio_p95": ratio,
        "refused": 0,
        "errors": 0,
        "p95_tail": {
            "asks": 1,
            "mean_ms": p95,
            "mean_search_ms": p95 / 2,
            "mean_searches": 6.0,
            "all_asks_mean_searches": 1.5,
        },
    }


def _results(**overrides: Any) -> dict[str, Any]:
    results: dict[str, Any] = {
        "ingest": {
            "chunks": 110,
            "repeats": 3,
            "raw_encoding_chunks_per_s": 100.0,
            "ingest_chunks_per_s": 95.0,
            "ratio": 0.95,
            "ratios": [0.95, 0.94, 0.96],
            "model_setup_s": 1.0,
        },
        "scales": [_scale(10_000, 20.0), _scale(100_000, 24.0)],
        "labs": {"messages": 5, "rounds": 2, "median_us": 80.0, "p95_us": 120.0, "mean_us": 90.0},
    }
    results.update(overrides)
    return results


def _by_key(results: dict[str, Any]) -> dict[str, Any]:
    return {goal.key: goal for goal in evaluate_goals(results)}


def test_every_goal_is_checked_and_met_figures_pass() -> None:
    goals = _by_key(_results())

    assert set(goals) == {
        "ingest_vs_ceiling",
        "ask_p95_largest",
        "ask_p95_growth",
        "ours_over_langchain_10000",
        "ours_over_langchain_100000",
        "lab_tool_median",
    }
    assert all(goal.met and goal.gap == "" for goal in goals.values())


def test_missed_goals_state_the_gap() -> None:
    slow = _results(
        ingest={**_results()["ingest"], "ratio": 0.8},
        scales=[_scale(10_000, 40.0), _scale(100_000, 60.0, ratio=1.5)],
        labs={"messages": 5, "rounds": 2, "median_us": 130.0, "p95_us": 200.0, "mean_us": 1.0},
    )
    goals = _by_key(slow)

    assert goals["ingest_vs_ceiling"].gap == "0.100 short"
    assert goals["ask_p95_largest"].gap == "10.0 ms over"
    assert goals["ours_over_langchain_100000"].gap == "0.500 over"
    assert goals["ours_over_langchain_10000"].met
    assert goals["lab_tool_median"].gap == "30.0 µs over"
    assert not goals["ask_p95_growth"].met  # 60 / 40 = 1.5 > ln(1e5) / ln(1e4)


def test_growth_allowance_is_the_ratio_of_logarithms() -> None:
    allowed = math.log(100_000) / math.log(10_000)  # 1.25
    just_in = _results(scales=[_scale(10_000, 40.0), _scale(100_000, 40.0 * allowed - 0.01)])
    just_out = _results(scales=[_scale(10_000, 40.0), _scale(100_000, 40.0 * allowed + 0.01)])

    assert _by_key(just_in)["ask_p95_growth"].met
    assert not _by_key(just_out)["ask_p95_growth"].met


def test_sections_that_did_not_run_have_no_goal() -> None:
    goals = _by_key({"scales": [_scale(1_000, 10.0)]})

    assert set(goals) == {"ask_p95_largest", "ours_over_langchain_1000"}


def test_markdown_has_one_goal_row_per_goal_and_every_section() -> None:
    results = _results()
    results["goals"] = goals_as_dicts(evaluate_goals(results))
    results["run"] = {
        "started": "2026-01-01T00:00:00+00:00",
        "seconds": 12.0,
        "python": "3.11",
        "cpus": 2,
        "load_start": "1.00 1.00 1.00",
        "load_end": "1.00 1.00 1.00",
        "embedding_backend": "onnx",
        "questions": 10,
    }
    results["cold_start"] = {
        "real corpus": {
            "first_answer_s": 3.0,
            "import_s": 0.1,
            "peak_rss_mib": 400.0,
            "questions": 2,
        }
    }

    markdown = render_markdown(results)

    goal_rows = [line for line in markdown.splitlines() if line.endswith(("| - |", "over |"))]
    assert len(goal_rows) == len(results["goals"])
    for heading in ("## Goals", "## Ingestion", "## Ask latency", "## Lab tool", "## Cold start"):
        assert heading in markdown
    assert "| 100,000 | 12.0 | 24.0 |" in markdown
    assert "| 100,000 | 1 | 24.0 | 12.0 | 6.0 | 1.5 |" in markdown  # the p95 tail
