"""Conversations kept in the browser: what is stored, and why the server can trust it back.

The page keeps the current conversation in the browser's local storage (Gradio's BrowserState,
encrypted with a key from the data folder) and restores it on reload. What a like or dislike
refers to travels with it, signed (HMAC) with a key only the server holds: a restored answer can
be rated, and a rating can never be attached to an answer the assistant did not give. No Gradio.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from assistant.app.feedback import RatedAnswer
from assistant.app.messages import message_text

KEY_FILE = "ui-secret"
MAX_SAVED_MESSAGES = 40  # the last 20 turns: enough to continue, small for local storage
SAVED_VERSION = 1


class SignedTurn(BaseModel):
    rated: RatedAnswer
    signature: str


class SavedConversation(BaseModel):
    """The browser's copy of one conversation."""

    version: int = SAVED_VERSION
    messages: list[dict[str, Any]] = Field(default_factory=list)
    turns: dict[str, SignedTurn] = Field(default_factory=dict)


def server_key(data_dir: Path) -> bytes:
    """This installation's secret (created once, readable by its owner only)."""
    path = data_dir / KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    return key


def browser_secret(key: bytes) -> str:
    """The storage encryption key the page receives (derived: the signing key stays here)."""
    return hashlib.sha256(b"browser-state:" + key).hexdigest()[:32]


class TurnSigner:
    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"rated-turns:" + key).digest()

    def sign(self, rated: RatedAnswer) -> SignedTurn:
        return SignedTurn(rated=rated, signature=self._signature(rated))

    def verify(self, turn: SignedTurn) -> RatedAnswer | None:
        expected = self._signature(turn.rated)
        return turn.rated if hmac.compare_digest(expected, turn.signature) else None

    def _signature(self, rated: RatedAnswer) -> str:
        payload = rated.model_dump_json().encode("utf-8")
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()


def save(
    messages: Sequence[Mapping[str, Any]], turns: Mapping[int, RatedAnswer], signer: TurnSigner
) -> dict[str, Any]:
    """The value the browser stores: the latest messages and their signed ratings."""
    start = max(0, len(messages) - MAX_SAVED_MESSAGES)
    if start and messages[start].get("role") != "user":
        start += 1  # begin at a question, never halfway through a turn
    kept = [
        {"role": m.get("role"), "content": message_text(m.get("content"))} for m in messages[start:]
    ]
    signed = {str(i - start): signer.sign(rated) for i, rated in turns.items() if i >= start}
    return SavedConversation(messages=kept, turns=signed).model_dump(mode="json")


def restore(
    value: object, signer: TurnSigner
) -> tuple[list[dict[str, Any]], dict[int, RatedAnswer]]:
    """Messages and verified ratings from the browser's copy; nothing from a damaged copy."""
    try:
        saved = SavedConversation.model_validate(value or {})
    except ValidationError:
        return [], {}
    if saved.version != SAVED_VERSION:
        return [], {}
    messages = [
        {"role": m["role"], "content": m["content"]}
        for m in saved.messages
        if m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str | list)
    ]
    turns: dict[int, RatedAnswer] = {}
    for index, turn in saved.turns.items():
        rated = signer.verify(turn)
        if rated is not None and index.isdigit() and int(index) < len(messages):
            turns[int(index)] = rated
    return messages, turns
