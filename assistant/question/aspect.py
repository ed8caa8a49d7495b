"""The sentence that asks, in a message that first describes a situation.

"Started IM B12 for pernicious anaemia 3 months ago. The practice nurse wants to recheck the
B12 level — any point?": the situation's words pull a whole-message search towards treatment;
the asking sentence is what the answer must be about. Both are compared with the corpus.
"""

from __future__ import annotations

from assistant.text.sentences import split_sentences


def asking_sentence(text: str) -> str | None:
    """The last sentence that asks ("?") when the message has others before it, else None."""
    sentences = split_sentences(text.strip())
    if len(sentences) < 2:
        return None
    asking = [sentence for sentence in sentences if sentence.rstrip().endswith("?")]
    return asking[-1] if asking else None
