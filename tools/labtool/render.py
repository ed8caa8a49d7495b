"""`render_report(report)`: the plain-text form `assistant labs` prints."""

from __future__ import annotations

from labtool.report import LabReport, SourceRef


def _cite(sources: list[SourceRef]) -> str:
    return "; ".join(f"{s.title} ({s.doc_id}), section '{s.section}'" for s in sources)


def render_report(report: LabReport) -> str:
    """Findings, conclusions, conflicts, errors and notices (quoted cut-offs, rule-change
    sentences taken out), each finding and statement with its sources; no rule ids."""
    if report.empty and not report.notices:
        return "No lab values were found in the text."
    lines: list[str] = []
    if report.findings:
        lines.append("Findings:")
        for finding in report.findings:
            flag = " [near threshold]" if finding.near_threshold else ""
            lines.append(f"- {finding.summary}{flag}")
            lines.extend(f"    note: {note}" for note in finding.notes)
            lines.append(f"    source: {_cite(finding.sources)}")
    if report.conclusions:
        lines.append("Conclusions:")
        for conclusion in report.conclusions:
            lines.append(f"- {conclusion.summary}")
            lines.append(f"    source: {_cite(conclusion.sources)}")
    if report.conflicts:
        lines.append("Conflicting sources:")
        for conflict in report.conflicts:
            lines.append(f"- {conflict.summary}")
            lines.append(f"    sources: {_cite(conflict.sources)}")
    if report.errors:
        lines.append("Not interpreted:")
        lines.extend(f"- [{error.code}] {error.message}" for error in report.errors)
    if report.notices:
        lines.append("Not read as results:")
        lines.extend(f"- {notice.message}" for notice in report.notices)
    if report.empty:
        lines.append("No lab values were found in the text.")
    return "\n".join(lines)
