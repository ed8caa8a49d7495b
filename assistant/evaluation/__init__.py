"""Evaluation harness: reference cases, deterministic scorers, a naive baseline, reports.

`assistant eval` runs it; `runner.run_evaluation` is the entry point. A pack's cases live in
`evals/<pack>/*.yaml` (data only) and the committed floor of every gated metric in
`evals/<pack>/baseline.json`.
"""
