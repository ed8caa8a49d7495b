"""Record every evaluation case's answer, citations and lab output (a golden file), or compare.

Used around behaviour-preserving refactors: record before, compare after.

    python -m scripts.golden record OUT.json [--cases DIR]
    python -m scripts.golden compare BEFORE.json AFTER.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any


def _record(out: Path, cases_dir: Path | None) -> None:
    from assistant import Assistant

    try:  # the layout before and after the domain-pack restructuring
        from assistant.evaluation.cases import load_cases
    except ImportError:  # pragma: no cover
        raise

    assistant = Assistant()
    default = Path(__file__).resolve().parent.parent / "evals"
    folder = cases_dir or (default / "cases" if (default / "cases").is_dir() else default / "b12")
    cases = load_cases(folder)
    records: dict[str, Any] = {}
    for case in cases:
        try:
            result = assistant.ask(
                case.question, history=case.history or None, audience=case.audience
            )
        except Exception as exc:  # recorded, so a crash is a difference too
            records[case.id] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        records[case.id] = {
            "answer": result.answer,
            "citations": [
                {"n": c.n, "doc_id": c.doc_id, "section": c.section} for c in result.citations
            ],
            "labs": result.labs.model_dump(mode="json") if result.labs else None,
            "refused": result.refused,
            "removed": result.removed,
        }
    out.write_text(json.dumps(records, indent=1, ensure_ascii=False, sort_keys=True))
    print(f"recorded {len(records)} cases to {out}")


def _statements(answer: str) -> set[str]:
    """The answer's lines without citation numbers (renumbering is not a difference)."""
    body = re.sub(r"\[\d+\]", "", answer.split("### References")[0])
    return {line.strip(" -") for line in body.splitlines() if line.strip()}


def _labs(labs: Any) -> Any:
    if not labs:
        return labs
    return [
        {k: v for k, v in finding.items() if k not in _NEW_FIELDS}
        for finding in labs.get("findings", [])
    ] + [labs.get("conclusions"), labs.get("conflicts"), labs.get("errors")]


# Fields added to findings by the domain-pack change (the rest of a finding must be the same).
_NEW_FIELDS = ("analyte_name", "category_label")


def _compare(before: Path, after: Path) -> int:
    old = json.loads(before.read_text())
    new = json.loads(after.read_text())
    kinds: dict[str, list[str]] = {}
    for case_id in sorted(set(old) | set(new)):
        a, b = old.get(case_id) or {}, new.get(case_id) or {}
        if a == b:
            continue
        changes = []
        if _labs(a.get("labs")) != _labs(b.get("labs")):
            changes.append("lab output")
        if a.get("refused") != b.get("refused"):
            changes.append("refusal")
        if _statements(a.get("answer", "")) != _statements(b.get("answer", "")):
            changes.append("statements")
        elif a.get("answer") != b.get("answer"):
            changes.append("order or numbering only")
        kinds.setdefault(", ".join(changes) or "new lab fields only", []).append(case_id)
    for kind, cases in sorted(kinds.items()):
        print(f"{kind}: {len(cases)}")
        for case_id in cases:
            print(f"  {case_id}")
    differing = sum(len(c) for k, c in kinds.items() if k != "new lab fields only")
    print(f"{differing} of {len(set(old) | set(new))} cases differ beyond new lab fields")
    return 1 if differing else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    record = sub.add_parser("record")
    record.add_argument("out", type=Path)
    record.add_argument("--cases", type=Path, default=None)
    compare = sub.add_parser("compare")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "record":
        _record(args.out, args.cases)
    else:
        sys.exit(_compare(args.before, args.after))


if __name__ == "__main__":
    main()
