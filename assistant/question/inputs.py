"""Checks on what callers hand the chat core: the question, the audience, a history file.

Bad input becomes an AssistantError whose message says what to change, never a crash.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.errors import AssistantError

_HISTORY_ROLES = ("user", "assistant", "system")


def validated_question(question: str, audience: str, *, limit: int) -> str:
    """The question cleaned of control characters; an error for empty or overlong input."""
    if not isinstance(question, str) or not question.strip():
        raise AssistantError("the question is empty")
    if len(question) > limit:
        raise AssistantError(
            f"the question is {len(question)} characters long; the limit is {limit}"
        )
    if audience not in ("clinician", "patient"):
        raise AssistantError("audience must be 'clinician' or 'patient'")
    # Control characters carry no meaning in a question and confuse the parsers.
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question).strip()


def load_history(path: Path) -> list[dict[str, str]]:
    """Read a conversation file: a JSON list of {"role", "content"} messages."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise AssistantError(f"cannot read history file {path}: {reason}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AssistantError(
            f"history file {path} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from exc
    if not isinstance(data, list):
        raise AssistantError(f'history file {path} must be a JSON list of {{"role", "content"}}')
    messages: list[dict[str, str]] = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise AssistantError(f"history file {path}: message {index} is not an object")
        role, content = item.get("role"), item.get("content")
        if role not in _HISTORY_ROLES:
            raise AssistantError(
                f"history file {path}: message {index} has role {role!r}; use 'user' or 'assistant'"
            )
        if not isinstance(content, str):
            raise AssistantError(f"history file {path}: message {index} needs a text 'content'")
        messages.append({"role": role, "content": content})
    return messages
