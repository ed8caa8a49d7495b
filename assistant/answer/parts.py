"""The guarded answer body, split into its parts by the headings the composers write.

Composers write one Markdown body (the guard and the citation numbering work on the whole of
it); this module gives it back as parts: the direct answer before any heading, the "###"
sections, the collapsed "More detail" sections ("####" under `MORE_DETAIL_HEADING`) and the lab
tool's details.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answer.lab_section import LAB_HEADING
from assistant.schema import AnswerSection

MORE_DETAIL_HEADING = "### More detail"
GAP_PREFIX = "The guideline corpus does not say"


@dataclass
class BodyParts:
    direct: str = ""
    gaps: list[str] = field(default_factory=list)
    sections: list[AnswerSection] = field(default_factory=list)
    more_detail: list[AnswerSection] = field(default_factory=list)
    lab_details: str = ""


def split_body(markdown: str) -> BodyParts:
    """The parts of a guarded, renumbered body (see the module docstring)."""
    parts = BodyParts()
    direct: list[str] = []
    current: list[str] | None = None
    heading = ""
    in_more = False

    def close() -> None:
        if current is None:
            return
        text = "\n".join(current).strip()
        if heading == LAB_HEADING[4:]:
            parts.lab_details = f"{LAB_HEADING}\n\n{text}" if text else ""
        elif text:
            target = parts.more_detail if in_more else parts.sections
            target.append(AnswerSection(heading=heading, markdown=text))

    for line in markdown.splitlines():
        if line.startswith("### "):
            close()
            in_more = line.strip() == MORE_DETAIL_HEADING
            current = None if in_more else []
            heading = line[4:].strip()
            continue
        if line.startswith("#### ") and in_more:
            close()
            current, heading = [], line[5:].strip()
            continue
        if current is None:
            if not in_more:
                direct.append(line)
            continue
        current.append(line)
    close()
    paragraphs = [p.strip() for p in "\n".join(direct).split("\n\n") if p.strip()]
    parts.gaps = [p for p in paragraphs if p.startswith(GAP_PREFIX)]
    parts.direct = "\n\n".join(p for p in paragraphs if not p.startswith(GAP_PREFIX))
    return parts
