"""`make bench` in miniature: 150 and 200 chunks, a few questions, reports written.

Checks that the benchmark runs end to end and reports what it measured; it asserts no speed
(wall-clock limits do not belong in tests).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.bench import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_bench_writes_json_and_markdown_reports(tmp_path: Path) -> None:
    out = tmp_path / "reports"

    code = main(
        [
            "--sizes", "200,150", "--questions", "4", "--ingest-repeats", "1",
            "--lab-rounds", "1", "--no-cold-start", "--out-dir", str(out),
        ]
    )  # fmt: skip

    assert code == 0
    results = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert [scale["chunks"] for scale in results["scales"]] == [150, 200]  # sizes sorted
    for scale in results["scales"]:
        assert scale["ask"]["n"] == 4
        assert scale["langchain_similarity_search"]["n"] == 4
        assert scale["ratio_median"] > 0
        assert len(scale["slowest_asks"]) == 4
        assert scale["p95_tail"]["asks"] >= 1
        assert all(0 <= ask["search_ms"] <= ask["ms"] for ask in scale["slowest_asks"])
    assert results["ingest"]["repeats"] == 1
    assert results["ingest"]["chunks"] > 0
    assert results["ingest"]["ratio"] > 0
    assert results["labs"]["messages"] > 0
    keys = {goal["key"] for goal in results["goals"]}
    assert {"ingest_vs_ceiling", "ask_p95_largest", "ask_p95_growth", "lab_tool_median"} <= keys
    assert all(isinstance(goal["met"], bool) for goal in results["goals"])
    markdown = (out / "bench.md").read_text(encoding="utf-8")
    assert markdown.count("\n| ") >= len(results["goals"]) + len(results["scales"])
