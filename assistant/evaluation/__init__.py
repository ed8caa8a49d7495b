"""Evaluation harness: reference cases, deterministic scorers, a naive baseline, reports.

`assistant eval` runs it; `runner.run_evaluation` is the entry point. The cases live in
`evals/cases/*.yaml` (data only) and the committed floor of every gated metric in
`evals/baseline.json`.
"""
