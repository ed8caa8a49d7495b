"""The citation numbering of one answer: passages numbered in order of first citation."""

from __future__ import annotations

from assistant.schema import Passage


class CitationRegistry:
    """Numbers passages in order of first citation, so the answer reads [1], [2], [3]..."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.passages: list[Passage] = []

    def cite(self, passage: Passage) -> int:
        key = passage.chunk_id or f"{passage.doc.doc_id}#{passage.section}"
        if key not in self._numbers:
            self.passages.append(passage)
            self._numbers[key] = len(self.passages)
        return self._numbers[key]

    def marker(self, *passages: Passage) -> str:
        numbers = dict.fromkeys(self.cite(passage) for passage in passages)
        return "".join(f"[{n}]" for n in numbers)

    def cited(self, sentence: str, *passages: Passage) -> str:
        """The sentence with its markers before the closing punctuation: "... 180 ng/L [1]." """
        marker = self.marker(*passages)
        stripped = sentence.rstrip()
        if not marker:
            return stripped
        if stripped.endswith((".", "!", "?")):
            return f"{stripped[:-1]} {marker}{stripped[-1]}"
        return f"{stripped} {marker}"
