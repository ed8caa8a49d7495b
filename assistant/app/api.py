"""The public API: /chat and /ask, typed so the API page and gradio_client show real types.

Gradio reads an endpoint's types from the function's annotations as objects, so this module does
not postpone annotations (no `from __future__ import annotations`): `history` is documented as a
list of {"role", "content"} messages and /ask's result as the AnswerResult schema.

    Client(url).predict(question, history, api_name="/chat")   # follows up
"""

from collections.abc import Callable
from typing import Any, Literal, cast

from assistant.app.handlers import ChatHandlers
from assistant.app.messages import ConversationTurn
from assistant.schema import AnswerResult

AudienceName = Literal["clinician", "patient"]


def _legacy(history: object, audience: str) -> tuple[list[ConversationTurn] | None, str]:
    """Clients written before follow-ups passed (question, audience): still understood."""
    if isinstance(history, str):
        return None, history
    return cast("list[ConversationTurn] | None", history), audience


def chat_endpoint(handlers: ChatHandlers) -> Callable[..., str]:
    def chat(
        question: str,
        history: list[ConversationTurn] | None = None,
        audience: AudienceName = "clinician",
        approved_only: bool = False,
    ) -> str:
        turns, reader = _legacy(history, audience)
        return handlers.chat(question, turns, reader, approved_only)

    chat.__doc__ = handlers.chat.__doc__
    return chat


def ask_endpoint(handlers: ChatHandlers) -> Callable[..., dict[str, Any]]:
    def ask(
        question: str,
        history: list[ConversationTurn] | None = None,
        audience: AudienceName = "clinician",
        approved_only: bool = False,
    ) -> dict[str, Any]:
        turns, reader = _legacy(history, audience)
        return handlers.ask(question, turns, reader, approved_only)

    ask.__doc__ = handlers.ask.__doc__
    # What the JSON is: the API page documents the AnswerResult schema, not "a dict".
    ask.__annotations__["return"] = AnswerResult
    return ask
