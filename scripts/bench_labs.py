"""The lab tool's time per message: `labtool.interpret.interpret(text, rules)`, rules loaded once.

Messages are the evaluation's lab cases. Each round times every message once, in order, and
the rounds repeat: the median and p95 are over all (message, round) timings.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from assistant.config import Settings
from scripts.bench_search import percentile


def measure_labs(settings: Settings, messages: list[str], rounds: int) -> dict[str, Any]:
    from labtool.interpret import interpret
    from labtool.rules import load_rules

    if not messages:
        raise ValueError("no lab messages to time")
    rules = load_rules(settings.rules_path, corpus_dir=settings.corpus_dir)
    for message in messages:  # warm: regex compilation, lazy imports
        interpret(message, rules)
    elapsed_us: list[float] = []
    findings = 0
    for _ in range(rounds):
        for message in messages:
            started = time.perf_counter()
            report = interpret(message, rules)
            elapsed_us.append((time.perf_counter() - started) * 1e6)
            findings += len(report.findings)
    return {
        "messages": len(messages),
        "rounds": rounds,
        "findings_per_round": findings // rounds,
        "median_us": round(statistics.median(elapsed_us), 1),
        "p95_us": round(percentile(elapsed_us, 0.95), 1),
        "mean_us": round(statistics.fmean(elapsed_us), 1),
    }
