"""Domain objects -> chat messages: a pure conversion, tested without a server.

A turn shows what the answer rests on first, as collapsible cards (the way agent UIs
show tool calls): a "Sources" card with one nested card per cited passage (its text,
review status and last-reviewed date), the lab tool's findings, then the pipeline's cited
answer, which ends with its reference list. Messages are plain dicts in the messages
format Gradio's Chatbot accepts, so this module does not import Gradio.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

from labtool.report import LabReport

from assistant.schema import AnswerResult, Citation, ReviewStatus

PENDING_TITLE = "Searching the guideline corpus…"
LABS_TITLE = "Lab values checked by the deterministic rules tool"
_WORD = re.compile(r"\S+\s*")

_STATUS_LABELS: dict[ReviewStatus, str] = {
    "submitted": "Submitted",
    "under_review": "Under review",
    "approved": "Approved",
}


class MessageMetadata(TypedDict, total=False):
    title: str
    id: str
    parent_id: str
    log: str
    status: Literal["pending", "done"]


class ChatMessage(TypedDict):
    role: Literal["user", "assistant"]
    content: str
    metadata: NotRequired[MessageMetadata]


# Markdown image syntax would make the browser fetch the image, possibly from another
# machine; a backslash before the bracket shows the characters instead (and leaves no "![",
# so escaping twice changes nothing).
_IMAGE = "!["
_IMAGE_SHOWN = "!\\["


def escape_html(text: str) -> str:
    """Show corpus and answer text literally: "<180 ng/L" must never become markup.

    Gradio's Chatbot also sanitizes HTML; escaping here means nothing from the corpus is
    ever interpreted as a tag in the first place, whatever the sanitizer keeps. Markdown
    images are shown as text too: the sanitizer keeps them, and they load from any URL.
    """
    return html.escape(text, quote=False).replace(_IMAGE, _IMAGE_SHOWN)


def escape_tags(text: str) -> str:
    """Neutralize tags (and Markdown images) in text the user typed; idempotent, so
    re-rendering is safe: "&lt;" contains no "<", so a message escaped twice is unchanged.
    """
    return text.replace("<", "&lt;").replace(_IMAGE, _IMAGE_SHOWN)


def shown_to_text(text: str) -> str:
    """The text as written, from the text as escaped for display."""
    return html.unescape(text).replace(_IMAGE_SHOWN, _IMAGE)


def escape_user_messages(history: Sequence[object]) -> list[object]:
    """The chat history with HTML in users' messages shown as typed, never rendered."""
    escaped: list[object] = []
    for message in history:
        if isinstance(message, Mapping) and message.get("role") == "user":
            message = {**message, "content": _escape_content(message.get("content"))}
        escaped.append(message)
    return escaped


def _escape_content(content: object) -> object:
    if isinstance(content, str):
        return escape_tags(content)
    if isinstance(content, Mapping) and content.get("type") == "text":
        return {**content, "text": escape_tags(str(content.get("text", "")))}
    if isinstance(content, list):
        return [_escape_content(part) for part in content]
    return content


def review_label(status: ReviewStatus) -> str:
    return _STATUS_LABELS[status]


def source_message(citation: Citation, parent_id: str) -> ChatMessage:
    """A collapsed card holding the cited passage, titled like the citation marker."""
    status = review_label(citation.review_status)
    reviewed = f", last reviewed {citation.last_reviewed}" if citation.last_reviewed else ""
    return {
        "role": "assistant",
        "content": (
            f"{escape_html(citation.text)}\n\n"
            f"*{escape_html(citation.title)}* ({citation.year}), section "
            f"“{escape_html(citation.section)}” · {status}{reviewed}"
        ),
        "metadata": {
            # Titles render as Markdown too: a corpus title or heading must not become a tag.
            "title": f"[{citation.n}] {escape_tags(citation.title)} — "
            f"{escape_tags(citation.section)}",
            "log": status,
            "status": "done",
            "parent_id": parent_id,
        },
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def sources_messages(citations: Sequence[Citation], turn_id: str) -> list[ChatMessage]:
    """One collapsed "Sources" card with a nested card per cited passage."""
    if not citations:
        return []
    parent_id = f"sources-{turn_id}"
    documents = len({c.doc_id for c in citations})
    counts = Counter(c.review_status for c in citations)
    statuses = " · ".join(
        f"{counts[status]} {label.lower()}"
        for status, label in _STATUS_LABELS.items()
        if counts[status]
    )
    header: ChatMessage = {
        "role": "assistant",
        "content": "",
        "metadata": {
            "title": (
                f"Sources: {_count(len(citations), 'cited passage')} "
                f"from {_count(documents, 'document')}"
            ),
            "log": statuses,
            "status": "done",
            "id": parent_id,
        },
    }
    ordered = sorted(citations, key=lambda c: c.n)
    return [header, *(source_message(c, parent_id) for c in ordered)]


def labs_message(labs: LabReport) -> ChatMessage | None:
    """The lab tool's own words for each value, so the numbers' origin stays visible."""
    lines = [f"- **{escape_html(f.analyte)}**: {escape_html(f.summary)}" for f in labs.findings]
    lines += [f"- {escape_html(c.summary)}" for c in labs.conclusions]
    lines += [f"- ⚠ {escape_html(c.summary)}" for c in labs.conflicts]
    lines += [f"- ✗ `{escape_html(e.input)}`: {escape_html(e.message)}" for e in labs.errors]
    if not lines:
        return None
    return {
        "role": "assistant",
        "content": "\n".join(lines),
        "metadata": {"title": LABS_TITLE, "status": "done"},
    }


def evidence_messages(result: AnswerResult, turn_id: str) -> list[ChatMessage]:
    """What the answer rests on, shown before it like a tool call: sources, lab values."""
    messages = sources_messages(result.citations, turn_id)
    if result.labs is not None and (labs := labs_message(result.labs)) is not None:
        messages.append(labs)
    return messages


def answer_messages(result: AnswerResult, turn_id: str = "0") -> list[ChatMessage]:
    """The whole turn: the evidence cards, then the answer.

    The pipeline's answer already ends with its reference list (review status and date).
    `turn_id` keeps each turn's nested source cards apart.
    """
    body = escape_html(result.answer.strip())
    return [*evidence_messages(result, turn_id), {"role": "assistant", "content": body}]


def pending_messages() -> list[ChatMessage]:
    """Shown at once while retrieval runs: a spinner that says what is happening."""
    return [
        {
            "role": "assistant",
            "content": "",
            "metadata": {"title": PENDING_TITLE, "status": "pending"},
        }
    ]


def error_messages(message: str) -> list[ChatMessage]:
    return [{"role": "assistant", "content": f"⚠ {escape_html(message)}"}]


def streaming_frames(
    result: AnswerResult, turn_id: str = "0", words_per_frame: int = 12
) -> Iterator[list[ChatMessage]]:
    """The evidence cards, with the answer text revealed progressively below them.

    The answer is complete (and guarded) before the first frame: streaming only paces
    the display, and every frame's text is a prefix of the final one.
    """
    evidence = evidence_messages(result, turn_id)
    text = escape_html(result.answer.strip())
    word_ends = [match.end() for match in _WORD.finditer(text)]
    for end in word_ends[words_per_frame - 1 : -1 : words_per_frame]:
        yield [*evidence, {"role": "assistant", "content": text[:end]}]
    yield answer_messages(result, turn_id)


def message_text(content: object) -> str:
    """Plain text of a message's content in any form Gradio hands back.

    Gradio 6 normalizes content to a list of parts like {"type": "text", "text": ...}.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        text = content.get("text")
        return text if isinstance(text, str) else ""
    if isinstance(content, Sequence):
        return "".join(message_text(part) for part in content)
    return ""


def _is_source(message: Mapping[str, object]) -> bool:
    metadata = message.get("metadata")
    return isinstance(metadata, Mapping) and bool(metadata.get("title"))


def history_for_assistant(history: Sequence[Mapping[str, object]]) -> list[dict[str, str]]:
    """The conversation as the pipeline reads it: questions and answers, no source cards."""
    turns: list[dict[str, str]] = []
    for message in history:
        role = message.get("role")
        if role not in ("user", "assistant") or _is_source(message):
            continue
        # The pipeline reads the text as written, not as escaped for display.
        text = shown_to_text(message_text(message.get("content"))).strip()
        if text:
            turns.append({"role": str(role), "content": text})
    return turns


def question_before(history: Sequence[Mapping[str, object]], index: int) -> str:
    """The user message an answer at `index` replies to, as the user typed it."""
    for message in reversed(history[: max(index, 0)]):
        if message.get("role") == "user":
            return shown_to_text(message_text(message.get("content")))
    return ""
