"""Domain objects <-> chat messages: a pure conversion, tested without a server.

A turn is the user's message and one assistant message holding the whole answer as HTML
(assistant.app.answer_html): answer first, sources grouped by document at its end, live [n]
citations. The answer's Markdown travels hidden inside that HTML, so the conversation the
pipeline reads back (`history_for_assistant`) is exactly the text it wrote. Messages are plain
dicts in the messages format Gradio's Chatbot accepts, so this module does not import Gradio.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

from assistant.app.answer_html import SOURCE_CLASS, answer_html
from assistant.app.citations_html import escape
from assistant.schema import AnswerResult

PENDING_TITLE = "Searching the guideline corpus…"
# The hidden Markdown of an answer, as answer_html writes it (one line, text escaped).
_ANSWER_SOURCE = re.compile(rf'<div class="{SOURCE_CLASS}" hidden>(?P<text>[^<]*)</div>')


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


class ConversationTurn(TypedDict):
    """A message as the API and the pipeline read it: who said what, as plain text."""

    role: Literal["user", "assistant"]
    content: str


# Markdown image syntax would make the browser fetch the image, possibly from another
# machine; a backslash before the bracket shows the characters instead (and leaves no "![",
# so escaping twice changes nothing).
_IMAGE = "!["
_IMAGE_SHOWN = "!\\["


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


def answer_message(
    result: AnswerResult,
    turn_id: str = "0",
    links: Mapping[str, str] | None = None,
    *,
    approved_only: bool = False,
) -> ChatMessage:
    """The whole answer as one assistant message; `turn_id` keeps its anchors apart from other
    turns', `links` are the documents' web addresses by document id."""
    html_text = answer_html(result, turn_id, links, approved_only=approved_only)
    return {"role": "assistant", "content": html_text}


def answer_messages(
    result: AnswerResult,
    turn_id: str = "0",
    links: Mapping[str, str] | None = None,
    *,
    approved_only: bool = False,
) -> list[ChatMessage]:
    """The assistant's messages of one turn (one message: the answer)."""
    return [answer_message(result, turn_id, links, approved_only=approved_only)]


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
    return [{"role": "assistant", "content": f'<p class="answer-error">⚠ {escape(message)}</p>'}]


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


def answer_source(content: str) -> str | None:
    """The Markdown an answer message carries hidden, or None for any other message."""
    match = _ANSWER_SOURCE.search(content)
    return html.unescape(match.group("text")) if match else None


def _is_display_only(message: Mapping[str, object]) -> bool:
    metadata = message.get("metadata")
    return isinstance(metadata, Mapping) and bool(metadata.get("title"))


def history_for_assistant(history: Sequence[Mapping[str, object]]) -> list[ConversationTurn]:
    """The conversation as the pipeline reads it: questions as typed, answers as written.

    Accepts the chat's own messages (answers as HTML with their Markdown hidden inside) and plain
    {"role", "content"} turns from an API client alike; pending and error notes are skipped.
    """
    turns: list[ConversationTurn] = []
    for message in history:
        role = message.get("role")
        if role not in ("user", "assistant") or _is_display_only(message):
            continue
        content = message_text(message.get("content"))
        if role == "assistant":
            source = answer_source(content)
            if source is None and 'class="answer-error"' in content:
                continue  # an error note is not part of the conversation
            text = source if source is not None else content
        else:
            text = shown_to_text(content)
        if text.strip():
            who: Literal["user", "assistant"] = "user" if role == "user" else "assistant"
            turns.append({"role": who, "content": text.strip()})
    return turns


def asked_questions(history: Sequence[Mapping[str, object]]) -> list[str]:
    """The user's questions so far, as typed."""
    return [t["content"] for t in history_for_assistant(history) if t["role"] == "user"]


def question_before(history: Sequence[Mapping[str, object]], index: int) -> str:
    """The user message an answer at `index` replies to, as the user typed it."""
    for message in reversed(history[: max(index, 0)]):
        if message.get("role") == "user":
            return shown_to_text(message_text(message.get("content")))
    return ""
