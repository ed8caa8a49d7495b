"""The chat page's event functions: a turn from question to answer, suggestions, feedback and
the conversation kept in the browser. ui.py lays out the page and wires these to its events.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from assistant.app import messages as ui_messages
from assistant.app import saved
from assistant.app.handlers import ChatHandlers, Turns
from assistant.app.suggestions import MAX_SUGGESTIONS, suggested_questions
from assistant.config import Settings
from assistant.domain.model import Domain

CLINICIAN_BANNER = (
    "**For healthcare professionals.** Decision support only: "
    '<span class="long">verify against the cited sources and </span>use clinical judgement.'
)
PATIENT_BANNER = (
    "**For patients.** General information from clinical guidelines, not medical advice"
    '<span class="long">: please discuss your results and any treatment with your clinician</span>.'
)


def banner_for(audience: str) -> Any:
    patient = audience == "patient"
    return gr.update(
        value=PATIENT_BANNER if patient else CLINICIAN_BANNER,
        elem_classes=["banner", "patient" if patient else "clinician"],
    )


def counter_html(limit: int) -> str:
    return (
        f'<span class="count">0</span> / {limit:,} characters'
        '<span class="limit-note" role="status"></span>'
    )


def suggestion_updates(questions: Sequence[str]) -> list[Any]:
    padded = [*questions, *([""] * MAX_SUGGESTIONS)][:MAX_SUGGESTIONS]
    return [gr.update(value=q or " ", visible=bool(q)) for q in padded]


class ChatPage:
    """The events of one app: chat turns, suggestions, feedback, saved conversations."""

    def __init__(self, handlers: ChatHandlers, domain: Domain, settings: Settings) -> None:
        self.handlers = handlers
        self.examples = list(domain.ui.examples)
        self.limit = settings.max_question_chars
        self.signer = saved.TurnSigner(saved.server_key(settings.data_dir))

    def start_turn(self, message: str, chat: list[dict[str, Any]]) -> tuple[Any, ...]:
        """Show the question and a pending note at once; the box waits until the answer is in.

        A message that cannot be sent (empty, too long) stays in the box, with a warning that
        says why; the question passed on is then empty and nothing is asked.
        """
        text = (message or "").strip()
        problem = (
            "Type a question first."
            if not text
            else f"The message is {len(message):,} characters long; the limit is "
            f"{self.limit:,}. Shorten it and send it again."
            if len(message) > self.limit
            else None
        )
        if problem:
            gr.Warning(problem)
            return gr.skip(), gr.skip(), "", gr.skip()
        shown = [*chat, {"role": "user", "content": message}, *ui_messages.pending_messages()]
        box = gr.update(value="", interactive=False, submit_btn=False, stop_btn=True)
        return shown, box, message, gr.update(visible=False)

    def answer_turn(
        self,
        message: str,
        chat: list[dict[str, Any]],
        audience: str,
        turns: Turns,
        approved_only: bool,
    ) -> Iterator[tuple[Any, ...]]:
        """Each frame of the answer as it comes, then the saved copy and the suggestions."""
        if not message:  # refused by start_turn: nothing to answer
            yield gr.skip(), gr.skip(), gr.skip(), *([gr.skip()] * MAX_SUGGESTIONS)
            return
        history = chat[:-2]  # before the question and the pending note
        asked: list[Any] = [*history, {"role": "user", "content": message}]
        skip = [gr.skip()] * (1 + MAX_SUGGESTIONS)
        shown: list[Any] = asked
        shown_turns, result = turns, None
        for frame in self.handlers.turn(message, history, audience, turns, approved_only):
            shown, shown_turns, result = [*asked, *frame.messages], frame.turns, frame.result
            yield shown, shown_turns, *skip
        questions = ui_messages.asked_questions(shown)
        yield (
            gr.skip(),
            gr.skip(),
            saved.save(shown, shown_turns, self.signer),
            *suggestion_updates(suggested_questions(result, questions, self.examples)),
        )

    def finish_turn(self) -> Any:
        return gr.update(interactive=True, submit_btn=True, stop_btn=False)

    def restore(self, value: object) -> tuple[Any, ...]:
        messages, turns = saved.restore(value, self.signer)
        questions = ui_messages.asked_questions(messages)
        return (
            messages,
            turns,
            *suggestion_updates(suggested_questions(None, questions, self.examples)),
        )

    def clear(self) -> tuple[Any, ...]:
        return [], {}, saved.save([], {}, self.signer), *suggestion_updates(self.examples)

    def undo(self, chat: list[dict[str, Any]], turns: Turns, undo: gr.UndoData) -> tuple[Any, ...]:
        index = undo.index[0] if isinstance(undo.index, (list, tuple)) else undo.index
        kept = chat[:index]
        kept_turns = {i: r for i, r in turns.items() if i < index}
        question = ui_messages.message_text(chat[index].get("content")) if index < len(chat) else ""
        return kept, kept_turns, saved.save(kept, kept_turns, self.signer), question

    def retry(self, chat: list[dict[str, Any]], retry: gr.RetryData) -> tuple[Any, ...]:
        index = retry.index[0] if isinstance(retry.index, (list, tuple)) else retry.index
        question = ui_messages.message_text(chat[index].get("content")) if index < len(chat) else ""
        return chat[:index], ui_messages.shown_to_text(question)

    def like(self, turns: Turns, chat: list[dict[str, Any]], like: gr.LikeData) -> tuple[Any, ...]:
        """Store the rating; a dislike then asks why (optional)."""
        self.handlers.rate(turns, chat, like)
        index = like.index[0] if isinstance(like.index, (list, tuple)) else like.index
        asks = like.liked is False and self.handlers.rated_answer(turns, chat, index) is not None
        return gr.update(visible=asks), index if asks else None, gr.update(value="")

    def reason(self, turns: Turns, index: int | None, text: str) -> tuple[Any, ...]:
        self.handlers.give_reason(turns, index, text)
        return gr.update(visible=False), None, gr.update(value="")
