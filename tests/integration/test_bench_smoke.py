"""`make bench` in miniature: the real corpus grown a little, a few questions, reports written.

Checks that the benchmark runs end to end and reports what it measured; it asserts no speed
(wall-clock limits do not belong in tests). The served app and the Chroma server, which start
processes of their own, are left to `make bench`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.config import get_settings
from scripts.bench import main
from scripts.bench_corpus import corpus_chunks

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_bench_writes_json_and_markdown_reports(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    real = len(corpus_chunks(get_settings()))  # the sizes grow the real corpus a little
    small, large = real + 12, real + 60

    code = main(
        [
            "--sizes", f"{large},{small}", "--questions", "4", "--ingest-repeats", "1",
            "--lab-rounds", "1", "--no-cold-start", "--no-chroma-server", "--no-serve",
            "--out-dir", str(out),
        ]
    )  # fmt: skip

    assert code == 0
    results = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert [scale["chunks"] for scale in results["scales"]] == [small, large]  # sizes sorted
    for scale in results["scales"]:
        assert scale["ask"]["n"] == 4
        assert scale["langchain_similarity_search"]["n"] == 4
        assert scale["ratio_median"] > 0
        assert len(scale["slowest_asks"]) == 4
        assert scale["p95_tail"]["asks"] >= 1
        assert all(0 <= ask["search_ms"] <= ask["ms"] for ask in scale["slowest_asks"])
        stages = scale["stages"]
        assert set(stages) == {"route", "search", "select", "compose", "guard", "other"}
        assert sum(stage["share"] for stage in stages.values()) == pytest.approx(1.0, abs=0.01)
        assert scale["statement_search"]["statements"] > scale["chunks"]
        assert 0 <= scale["statement_search"]["recall_vs_exact"] <= 1
    assert results["ingest"]["repeats"] == 1
    assert results["ingest"]["chunks"] > 0
    assert results["ingest"]["statements"] > results["ingest"]["chunks"]
    assert results["ingest"]["ratio"] > 0
    assert results["ingest"]["chunks"] == real
    assert results["labs"]["messages"] > 0
    keys = {goal["key"] for goal in results["goals"]}
    assert {
        "ingest_vs_ceiling", "ask_p95_largest", "ask_median_largest", "ask_p95_growth",
        "ours_over_langchain_largest", "lab_tool_median",
    } <= keys  # fmt: skip
    assert all(isinstance(goal["met"], bool) for goal in results["goals"])
    assert not {"cold_start", "chroma_server", "served"} & set(results)  # switched off
    markdown = (out / "bench.md").read_text(encoding="utf-8")
    assert markdown.count("\n| ") >= len(results["goals"]) + len(results["scales"])
    for heading in ("## Ingestion", "## Ask latency", "## The answer engine's stages"):
        assert heading in markdown


def test_bench_refuses_sizes_below_the_real_corpus(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="below the real corpus"):
        main(["--sizes", "10", "--out-dir", str(tmp_path / "reports")])
