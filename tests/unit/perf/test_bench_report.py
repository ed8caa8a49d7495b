"""The benchmark's goal checks and Markdown report (figures made up, no model).

The figures are built by the benchmark's own producers (IngestFigures, ScaleFigures, the served
app's per-level summary) wherever they are plain data, so the report cannot drift from the
shapes the benchmark writes.
"""

from __future__ import annotations

import math
from typing import Any

from scripts.bench_ask import ScaleFigures
from scripts.bench_ingest import IngestFigures
from scripts.bench_report import evaluate_goals, goals_as_dicts, render_markdown
from scripts.bench_stages import ORDER

ALL_GOALS = {
    "ingest_vs_ceiling",
    "ask_p95_largest",
    "ask_median_largest",
    "ours_over_langchain_largest",
    "ask_p95_growth",
    "lab_tool_median",
    "cold_start_largest",
    "peak_rss_largest",
    "chroma_server_vs_embedded",
    "served_concurrency_4",
}


def _ingest(ratio: float = 0.95) -> dict[str, Any]:
    return IngestFigures(
        chunks=110,
        statements=400,
        raw_texts_per_s=[100.0, 90.0],
        ingest_texts_per_s=[100.0 * ratio, 80.0],
        paired_ratios=[ratio, 0.89],
        raw_statements_per_s=[120.0, 110.0],
        statement_stage_s=[2.0, 2.5],
        ingest_s=[5.0, 6.0],
    ).as_dict() | {"model_setup_s": 1.0}


def _scale(chunks: int, p95: float, ratio: float = 0.2) -> dict[str, Any]:
    """20 asks: 18 at p95 / 2.5 ms and two at p95 (the p95 of 20 is the second slowest);
    LangChain's median is set so that ours / theirs is `ratio`."""
    ours = [p95 / 2.5] * 18 + [p95] * 2
    figures = ScaleFigures(chunks=chunks, index_load_s=0.1)
    figures.ours_ms = ours
    figures.theirs_ms = [p95 / 2.5 / ratio] * 20
    figures.questions = [f"question {i}" for i in range(20)]
    figures.ask_search_ms = [ms / 2 for ms in ours]
    figures.ask_searches = [1] * 18 + [6] * 2
    figures.stages = [
        {"route": 1.0, "search": ms / 2, "select": 1.0, "compose": 1.0, "guard": 0.5}
        | {"other": ms / 2 - 3.5}
        for ms in ours
    ]
    return figures.as_dict() | {"statement_search": _statements(chunks), "load": "0.50"}


def _statements(chunks: int) -> dict[str, Any]:
    return {
        "statements": 4 * chunks,
        "searchable": 4 * chunks,
        "inverted_lists": 64,
        "median_ms": 0.4,
        "p95_ms": 0.9,
        "recall_vs_exact": 0.98,
        "questions": 10,
    }


def _served(one: float, four: float, errors: int = 0) -> dict[str, Any]:
    def level(clients: int, answers_per_s: float, errors: int) -> dict[str, Any]:
        latency = {"n": 48, "median_ms": 90.0, "p95_ms": 200.0, "mean_ms": 95.0, "max_ms": 250.0}
        return {
            "clients": clients,
            "asks": 48,
            "seconds": 10.0,
            "answers_per_s": answers_per_s,
            "errors": errors,
            "first_errors": [],
            "latency": latency,
            "load": "1.00",
            "vs_first_level": round(answers_per_s / one, 2),
        }

    return {
        "startup_s": 5.0,
        "chunks": 100_000,
        "1": level(1, one, 0),
        "4": level(4, four, errors),
    }


def _results(**overrides: Any) -> dict[str, Any]:
    summary = {"n": 20, "median_ms": 10.0, "p95_ms": 20.0, "mean_ms": 11.0, "max_ms": 25.0}
    results: dict[str, Any] = {
        "ingest": _ingest(),
        "scales": [_scale(10_000, 40.0), _scale(100_000, 45.0)],
        "labs": {"messages": 5, "rounds": 2, "median_us": 40.0, "p95_us": 60.0, "mean_us": 45.0},
        "cold_start": {
            "real corpus": {
                "first_answer_s": 1.0,
                "import_s": 0.8,
                "peak_rss_mib": 300.0,
                "questions": 20,
            },
            "100,000 chunks": {
                "first_answer_s": 2.5,
                "import_s": 1.0,
                "index_open_s": 0.5,
                "first_ask_s": 0.4,
                "peak_rss_mib": 550.0,
                "rss_anon_mib": 400.0,
                "rss_file_mib": 150.0,
                "questions": 20,
            },
        },
        "chroma_server": {
            "questions": 20,
            "chunks": 100_000,
            "copy_s": 3.0,
            "first_ask_s": 0.5,
            "server": {**summary, "median_ms": 14.0},
            "embedded": summary,
            "ratio_median": 1.4,
            "ratio_p95": 1.2,
        },
        "served": _served(one=4.0, four=7.0),
    }
    results.update(overrides)
    return results


def _by_key(results: dict[str, Any]) -> dict[str, Any]:
    return {goal.key: goal for goal in evaluate_goals(results)}


def test_every_goal_is_checked_and_figures_within_them_pass() -> None:
    goals = _by_key(_results())

    assert set(goals) == ALL_GOALS
    assert {key for key, goal in goals.items() if not goal.met} == set()
    assert all(goal.gap == "" for goal in goals.values())


def test_missed_goals_state_the_gap() -> None:
    slow = _results(
        ingest=_ingest(ratio=0.8),
        scales=[_scale(10_000, 40.0), _scale(100_000, 60.0, ratio=0.5)],
        labs={"messages": 5, "rounds": 2, "median_us": 130.0, "p95_us": 200.0, "mean_us": 1.0},
        chroma_server={**_results()["chroma_server"], "ratio_median": 2.0},
        served=_served(one=4.0, four=5.0),
    )
    slow["cold_start"]["100,000 chunks"] |= {"first_answer_s": 31.9, "peak_rss_mib": 1673.0}
    goals = _by_key(slow)

    assert {key for key, goal in goals.items() if goal.met} == set()
    gaps = {key: goal.gap for key, goal in goals.items()}
    assert gaps == {
        "ingest_vs_ceiling": "0.100 short",
        "ask_p95_largest": "10.0 ms over",
        "ask_median_largest": "4.0 ms over",  # 60 / 2.5 = 24 ms
        "ours_over_langchain_largest": "0.250 over",
        "ask_p95_growth": f"{60 / 40 - math.log(100_000) / math.log(10_000):.3f} over",
        "lab_tool_median": "80.0 µs over",
        "cold_start_largest": "28.90 s over",
        "peak_rss_largest": "1073 MiB over",
        "chroma_server_vs_embedded": "0.500 over",
        "served_concurrency_4": "0.25 x short",
    }


def test_goals_are_checked_at_the_largest_corpus_and_its_cold_start() -> None:
    results = _results(scales=[_scale(10_000, 100.0, ratio=2.0), _scale(100_000, 45.0)])
    results["cold_start"]["real corpus"] |= {"first_answer_s": 9.0, "peak_rss_mib": 900.0}
    goals = _by_key(results)

    for key in ("ask_p95_largest", "ask_median_largest", "ours_over_langchain_largest"):
        assert goals[key].met
        assert "100,000 chunks" in goals[key].goal
    assert goals["cold_start_largest"].met
    assert "100,000 chunks" in goals["cold_start_largest"].goal
    assert goals["peak_rss_largest"].met


def test_growth_allowance_is_the_ratio_of_logarithms() -> None:
    allowed = math.log(100_000) / math.log(10_000)  # 1.25
    just_in = _results(scales=[_scale(10_000, 40.0), _scale(100_000, 40.0 * allowed - 0.01)])
    just_out = _results(scales=[_scale(10_000, 40.0), _scale(100_000, 40.0 * allowed + 0.01)])

    assert _by_key(just_in)["ask_p95_growth"].met
    assert not _by_key(just_out)["ask_p95_growth"].met


def test_served_errors_fail_the_goal_even_at_full_gain() -> None:
    with_errors = _by_key(_results(served=_served(one=4.0, four=8.0, errors=2)))
    short_and_errors = _by_key(_results(served=_served(one=4.0, four=4.0, errors=1)))

    assert not with_errors["served_concurrency_4"].met
    assert with_errors["served_concurrency_4"].gap == "2 errors"
    assert short_and_errors["served_concurrency_4"].gap == "0.50 x short, 1 errors"


def test_sections_that_did_not_run_have_no_goal() -> None:
    goals = _by_key({"scales": [_scale(1_000, 10.0)]})

    assert set(goals) == {"ask_p95_largest", "ask_median_largest", "ours_over_langchain_largest"}


def test_sections_that_failed_are_goals_not_met_with_the_reason() -> None:
    failed = _results(
        cold_start={"100,000 chunks": {"error": "RuntimeError: cold-start process failed"}},
        chroma_server={"error": "RuntimeError: chroma run exited with code 1\ntraceback"},
        served={"error": "RuntimeError: assistant serve did not answer"},
    )
    goals = _by_key(failed)

    assert set(goals) == ALL_GOALS
    for key in ("cold_start_largest", "peak_rss_largest"):
        assert not goals[key].met
        assert goals[key].gap == "did not run (RuntimeError: cold-start process failed)"
    assert goals["chroma_server_vs_embedded"].gap == (
        "did not run (RuntimeError: chroma run exited with code 1)"
    )
    assert not goals["served_concurrency_4"].met
    failed["goals"] = goals_as_dicts(evaluate_goals(failed))
    failed["run"] = _run()
    markdown = render_markdown(failed)
    assert "Did not run: RuntimeError: chroma run exited with code 1\n" in markdown
    assert "Did not run: RuntimeError: assistant serve did not answer" in markdown
    assert "| 100,000 chunks | did not run: RuntimeError: cold-start process failed |" in markdown


def _run() -> dict[str, Any]:
    return {
        "started": "2026-01-01T00:00:00+00:00",
        "seconds": 12.0,
        "python": "3.11",
        "cpus": 2,
        "load_start": "1.00 1.00 1.00",
        "load_end": "1.00 1.00 1.00",
        "embedding_backend": "onnx",
        "questions": 20,
    }


def test_markdown_has_one_goal_row_per_goal_and_every_section() -> None:
    results = _results(scales=[_scale(10_000, 40.0), _scale(100_000, 60.0, ratio=0.5)])
    results["goals"] = goals_as_dicts(evaluate_goals(results))
    results["run"] = _run()

    markdown = render_markdown(results)

    goals_section = markdown.split("## Goals\n", 1)[1].split("\n## ", 1)[0]
    header, *goal_rows = [line for line in goals_section.splitlines() if line.startswith("| ")]
    assert header == "| goal | measured | met | gap |"
    assert len(goal_rows) == len(results["goals"]) == len(ALL_GOALS)
    met = [goal["met"] for goal in results["goals"]]
    assert [row.endswith("| yes | - |") for row in goal_rows] == met
    assert not all(met)
    for heading in (
        "## Goals",
        "## Ingestion",
        "## Ask latency",
        "## The answer engine's stages",
        "## Nearest statements",
        "## Lab tool",
        "## Cold start",
        "## Chroma server",
        "## Served app",
    ):
        assert heading in markdown
    assert "| 100,000 | 24.0 | 60.0 | 48.0 | 48.0 | 0.5 | 1.25 |" in markdown
    assert "| 100,000 | 2 | 60.0 | 30.0 | 6.0 | 1.5 |" in markdown  # the p95 tail
    assert "| chunks | asks | " + " | ".join(ORDER) + " |" in markdown
    assert "| 100,000 | p95 tail | 1.0 (2%) | 30.0 (50%) |" in markdown
    assert "| 100,000 chunks | 2.5 | 1.0 | 0.5 | 0.4 | 550.0 | 400.0 / 150.0 | 20 |" in markdown
    assert "| 4 | 48 | 7.0 | 1.75 | 0 | 90.0 | 200.0 | 1.00 |" in markdown
    assert "ratio 1.4 (p95 1.2)" in markdown


def test_an_ingest_faster_than_its_ceiling_is_flagged_as_disturbed() -> None:
    for ratio, flagged in ((0.95, False), (1.2, True)):
        results = _results(ingest=_ingest(ratio=ratio))
        results["goals"] = goals_as_dicts(evaluate_goals(results))
        results["run"] = _run()

        assert ("A ratio above 1 cannot be a real one" in render_markdown(results)) is flagged
