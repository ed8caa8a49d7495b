"""The model's text as it arrives, cut at sentence ends, and when it must give way to the offline
answer.

While the endpoint streams, a draft holds only the complete sentences so far: the guard checks a
sentence once it is whole, and nothing is shown before it is checked. The last draft is the
whole reply, the same text a reply asked for in one piece gives. Afterwards, a reply that loses
every sentence, or more than half of them, to the guard is not an answer: the offline
composer's answer is given instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answer.llm import Messages, stream_answer, write_answer
from assistant.text.sentences import split_list_prefix, split_sentences

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

_HEADING = re.compile(r"^\s*#{1,6}\s")


@dataclass(frozen=True)
class ModelDraft:
    """The model's text so far: complete sentences while it streams, the whole reply at the end."""

    text: str
    final: bool


def model_drafts(
    chat_model: BaseChatModel, messages: Messages, *, stream: bool
) -> Iterator[ModelDraft]:
    """Drafts of the reply: with `stream`, one each time a sentence is complete, then the whole
    reply; without, the whole reply only. LLMError when the model fails, even midway."""
    if not stream:
        yield ModelDraft(write_answer(chat_model, messages), final=True)
        return
    written = shown = ""
    for piece in stream_answer(chat_model, messages):
        written += piece
        ready = complete_part(written)
        if ready.strip() and ready != shown:
            shown = ready
            yield ModelDraft(ready, final=False)
    yield ModelDraft(written, final=True)


def complete_part(text: str) -> str:
    """The text up to the end of its last complete sentence: whole lines, then the sentences of
    the unfinished line that another sentence has followed ("... 180 ng/L [1]. Oral" -> "...
    180 ng/L [1].")."""
    head, newline, line = text.rpartition("\n")
    done = head + newline
    prefix, content = split_list_prefix(line)
    if _HEADING.match(line):
        return done.rstrip()  # a heading is complete at its line end
    sentences = split_sentences(content)
    if len(sentences) < 2:
        return done.rstrip()
    return f"{done}{prefix}{' '.join(sentences[:-1])}".rstrip()


def sentence_count(markdown: str) -> int:
    """Sentences as the guard counts them: a heading is one, other lines split into sentences."""
    count = 0
    for line in markdown.splitlines():
        if not line.strip():
            continue
        if _HEADING.match(line):
            count += 1
            continue
        count += len(split_sentences(split_list_prefix(line)[1]))
    return count


def unverified(model_text: str, removed: Sequence[str]) -> bool:
    """Did the guard take out every sentence of the model's text, or more than half of them?"""
    total = sentence_count(model_text)
    return total == 0 or 2 * len(removed) > total
