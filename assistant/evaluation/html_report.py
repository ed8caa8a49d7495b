"""report.html: one self-contained page, failing cases first, numbers and citations marked.

No scripts, no external resources: the page opens offline and everything shown is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection

from assistant.evaluation.outcome import METRIC_LABELS, EvalOutcome
from assistant.evaluation.scoring import CaseScore

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#176b26}.fail{color:#b00020;font-weight:600}
details{border:1px solid #ddd;border-radius:6px;margin:.6em 0;padding:.4em .8em}
details.failed{border-color:#b00020;background:#fff7f7}summary{cursor:pointer}
.answer{white-space:pre-wrap;background:#fafafa;padding:.6em;border-radius:4px}
mark.num{background:#fff3b0}mark.bad{background:#ffb3b3;outline:1px solid #b00020}
span.cite{color:#0645ad;font-weight:600}small{color:#666}
"""
_NUMBER_OR_CITE = re.compile(r"(\[\d+(?:\s*[,;]\s*\d+)*\])|(?<![^\W_])(\d+(?:[.,]\d+)?)")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def highlight(text: str, bad_numbers: Collection[str] = ()) -> str:
    """Escape the text, marking citation markers and numbers (unsupported ones in red)."""
    out: list[str] = []
    last = 0
    for match in _NUMBER_OR_CITE.finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        token = html.escape(match.group(0), quote=False)
        if match.group(1):
            out.append(f'<span class="cite">{token}</span>')
        else:
            css = "bad" if match.group(2) in bad_numbers else "num"
            out.append(f'<mark class="{css}">{token}</mark>')
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


def _metrics_table(outcome: EvalOutcome) -> str:
    gate = {check.metric: check for check in outcome.gate}
    rows = []
    for name in outcome.metric_names():
        a, n = outcome.assistant.metrics.get(name), outcome.naive.metrics.get(name)
        check = gate.get(name)
        gate_cell = ""
        if check is not None:
            css = "ok" if check.passed else "fail"
            gate_cell = f'<span class="{css}">{check.op} {check.bound:g}</span>'

        rows.append(
            f"<tr><td>{_esc(METRIC_LABELS.get(name, name))}</td>"
            f'<td class="n">{"–" if a is None else f"{a.value:.3f}"}</td>'
            f'<td class="n">{"–" if n is None else f"{n.value:.3f}"}</td><td>{gate_cell}</td></tr>'
        )
    return (
        "<table><tr><th>metric</th><th>assistant</th><th>naive baseline</th><th>gate</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _case_block(score: CaseScore, naive: CaseScore | None) -> str:
    bad = {e.text for m in score.metrics if m.name == "unsupported_numbers" for e in m.evidence}
    metric_rows = "".join(
        f'<tr><td>{_esc(m.name)}</td><td class="n">{m.value:.3g}</td>'
        f'<td class="{"ok" if m.passed else "fail"}">{"pass" if m.passed else "FAIL"}</td>'
        "<td>"
        + "<br>".join(
            f"<b>{_esc(e.kind)}</b> {highlight(e.text)} <small>{highlight(e.detail)}</small>"
            for e in m.evidence
        )
        + "</td></tr>"
        for m in sorted(score.metrics, key=lambda m: m.passed)
    )
    citations = "".join(
        f"<li>[{c.n}] {_esc(c.doc_id)} &gt; {_esc(c.section)}</li>" for c in score.citations
    )
    naive_part = (
        f"<p><b>Naive baseline</b> ({'pass' if naive.passed else 'fail'}):</p>"
        f'<div class="answer">{highlight(naive.answer)}</div>'
        if naive is not None
        else ""
    )
    status = "ok" if score.passed else "fail"
    return (
        f'<details class="{"" if score.passed else "failed"}"{"" if score.passed else " open"}>'
        f'<summary><span class="{status}">{"PASS" if score.passed else "FAIL"}</span> '
        f"<code>{_esc(score.case_id)}</code> <small>{_esc(', '.join(score.tags))} · "
        f"{_esc(score.audience)} · expected {_esc(score.expected_behavior)}</small></summary>"
        + "".join(f"<p><small>{highlight(turn)}</small></p>" for turn in score.history)
        + f"<p><b>Question:</b> {highlight(score.question)}</p>"
        f'<div class="answer">{highlight(score.answer, bad)}</div>'
        f"<ol>{citations}</ol>"
        f"<table><tr><th>metric</th><th>value</th><th></th><th>evidence</th></tr>{metric_rows}</table>"
        f"<p><small>retrieved: {_esc('; '.join(score.retrieved))}</small></p>"
        f"{naive_part}</details>"
    )


def render_html(outcome: EvalOutcome) -> str:
    meta = outcome.meta
    naive_by_id = {s.case_id: s for s in outcome.naive.cases}
    ordered = sorted(outcome.assistant.cases, key=lambda s: (s.passed, s.case_id))
    gate_failures = "".join(
        f"<li class=fail>{_esc(c.metric)} = {c.value} (needs {c.op} {c.bound:g})</li>"
        for c in outcome.gate
        if not c.passed
    )
    verdict = "PASSED" if outcome.passed else "FAILED"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Evaluation {verdict}</title><style>{_STYLE}</style></head><body>"
        f'<h1>Evaluation: <span class="{"ok" if outcome.passed else "fail"}">{verdict}</span></h1>'
        f"<p><small>commit {_esc(meta.git_commit)} · corpus {_esc(meta.corpus_sha256[:16])} · "
        f"rules {_esc(meta.rules_sha256[:16])} ({_esc(meta.rules_path)}) · "
        f"{meta.case_count} cases · {meta.started}</small></p>"
        f"<ul>{gate_failures}</ul>{_metrics_table(outcome)}"
        "<h2>Cases (failures first)</h2>"
        + "".join(_case_block(s, naive_by_id.get(s.case_id)) for s in ordered)
        + "</body></html>"
    )
