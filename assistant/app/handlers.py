"""The app's event functions, callable directly in tests without a server.

`respond` is a chat turn: a pending note at once, then each answer the pipeline yields as it
becomes ready (real streaming: a finished answer is shown at once, never paced). `chat` and
`ask` are the public API, taking the conversation so far. `rate` and `give_reason` store
feedback. Gradio is imported for its error and event types only; the layout is in ui.py.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import gradio as gr

from assistant.app import messages as ui_messages
from assistant.app.citations_html import document_link
from assistant.app.feedback import (
    FeedbackError,
    FeedbackStore,
    RatedAnswer,
    Rating,
    feedback_path,
    rating_from_like,
)
from assistant.app.messages import ChatMessage, ConversationTurn
from assistant.app.security import public_message
from assistant.config import Settings
from assistant.schema import AnswerResult, Audience

logger = logging.getLogger(__name__)

Turns = dict[int, RatedAnswer]
Frame = tuple[list[ChatMessage], Turns]


@dataclass(frozen=True)
class TurnFrame:
    """What the chat shows at one moment of a turn, and the answer behind it (if any)."""

    messages: list[ChatMessage]
    turns: Turns
    result: AnswerResult | None = None


FAILED = "Answering failed; the error was logged."


class AnswersQuestions(Protocol):
    """What the UI needs from the chat core (assistant.pipeline.Assistant): `ask`, and
    `ask_stream` when it can give the answer in parts (then the chat shows each part)."""

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult: ...


def audience_of(value: str) -> Audience:
    if value == "clinician":
        return "clinician"
    if value == "patient":
        return "patient"
    raise gr.Error(f"audience must be 'clinician' or 'patient', not {value!r}")


def corpus_links(assistant: object) -> dict[str, str]:
    """Each document's web address (URL, else DOI) from the pipeline's corpus, by document id."""
    resources = getattr(assistant, "resources", None)
    lookup = getattr(resources, "lookup", None)
    if lookup is None:
        return {}
    links: dict[str, str] = {}
    for passage in lookup().all_passages():
        link = document_link(passage.doc.url, passage.doc.doi)
        if link:
            links.setdefault(passage.doc.doc_id, link)
    return links


class ChatHandlers:
    """Event functions over an assistant made on first use (and one searching approved
    documents only, made when the switch is first used)."""

    def __init__(
        self,
        make_assistant: Callable[[], AnswersQuestions],
        feedback: FeedbackStore,
        make_approved_only: Callable[[], AnswersQuestions] | None = None,
    ) -> None:
        self._makers = {False: make_assistant, True: make_approved_only or make_assistant}
        self._assistants: dict[bool, AnswersQuestions] = {}
        self._links: dict[str, str] | None = None
        self._lock = threading.Lock()
        self.feedback = feedback

    @classmethod
    def for_settings(
        cls, settings: Settings, assistant: AnswersQuestions | None = None
    ) -> ChatHandlers:
        """Handlers over `assistant` (or the real pipeline, built on first use); the approved
        only switch uses a second pipeline whose searches skip documents not approved."""

        def make_assistant() -> AnswersQuestions:
            if assistant is not None:
                return assistant
            from assistant.pipeline import Assistant

            return Assistant(settings)

        def make_approved_only() -> AnswersQuestions:
            if assistant is not None and not hasattr(assistant, "resources"):
                return assistant  # a stand-in (tests): it has no searcher to restrict
            from assistant.pipeline import Assistant

            retrieval = settings.retrieval.model_copy(update={"approved_only": True})
            return Assistant(settings.model_copy(update={"retrieval": retrieval}))

        return cls(make_assistant, FeedbackStore(feedback_path(settings)), make_approved_only)

    def assistant(self, approved_only: bool = False) -> AnswersQuestions:
        # Created on first use: building the app must not load the embedding model.
        with self._lock:
            if approved_only not in self._assistants:
                self._assistants[approved_only] = self._makers[approved_only]()
            return self._assistants[approved_only]

    def document_links(self) -> dict[str, str]:
        """Web addresses of the corpus documents (read once, from the main pipeline)."""
        if self._links is None:
            self._links = corpus_links(self.assistant())
        return self._links

    def _answers(
        self,
        question: str,
        audience: Audience,
        history: Sequence[Mapping[str, Any]] | None,
        approved_only: bool,
    ) -> Iterator[AnswerResult]:
        from assistant.pipeline import AssistantError

        assistant = self.assistant(approved_only)
        stream: Callable[..., Iterator[AnswerResult]] | None = getattr(
            assistant, "ask_stream", None
        )
        try:
            if stream is not None:
                yield from stream(question, history=history or None, audience=audience)
            else:  # an assistant that only answers whole (a stand-in in tests)
                yield assistant.ask(question, history=history or None, audience=audience)
        except AssistantError as exc:
            raise gr.Error(public_message(str(exc)), print_exception=False) from exc

    def _final(
        self,
        question: str,
        audience: str,
        history: Sequence[Mapping[str, Any]] | None,
        approved_only: bool,
    ) -> AnswerResult:
        if history is not None and not (
            isinstance(history, list) and all(isinstance(m, Mapping) for m in history)
        ):
            raise gr.Error('history must be a list of {"role", "content"} messages')
        conversation = ui_messages.history_for_assistant(history or [])
        reader = audience_of(audience)
        result: AnswerResult | None = None
        try:
            for answer in self._answers(question, reader, conversation, approved_only):
                result = answer  # the last one is the whole answer
        except gr.Error:
            raise
        except Exception as exc:  # the client gets a short message, the log the details
            logger.exception("answering failed")
            raise gr.Error(FAILED, print_exception=False) from exc
        if result is None:
            raise gr.Error(FAILED, print_exception=False)
        return result

    def respond(
        self,
        message: str,
        history: Sequence[Mapping[str, Any]],
        audience: str,
        turns: Turns,
        approved_only: bool = False,
    ) -> Iterator[Frame]:
        """Chat turn: a pending note, then each answer as it becomes ready (the turn's messages;
        the caller shows them after the history and the user's message)."""
        for frame in self.turn(message, history, audience, turns, approved_only):
            yield frame.messages, frame.turns

    def turn(
        self,
        message: str,
        history: Sequence[Mapping[str, Any]],
        audience: str,
        turns: Turns,
        approved_only: bool = False,
    ) -> Iterator[TurnFrame]:
        """`respond`, with the answer each frame shows (None for the pending note and errors)."""
        yield TurnFrame(ui_messages.pending_messages(), turns)
        question = message.strip()
        turn_start = len(history) + 1  # a like on the answer reports this index
        try:
            reader = audience_of(audience)
            conversation = ui_messages.history_for_assistant(history)
            for result in self._answers(question, reader, conversation, approved_only):
                # Every frame is a guarded answer so far; the last one is the answer rated.
                shown = ui_messages.answer_messages(
                    result, str(turn_start), self.document_links(), approved_only=approved_only
                )
                rated = RatedAnswer.from_result(question, reader, result)
                yield TurnFrame(shown, {**turns, turn_start: rated}, result)
        except gr.Error as exc:
            yield TurnFrame(ui_messages.error_messages(exc.message), turns)
        except Exception:  # the chat shows a message instead of a stack trace
            logger.exception("answering failed")
            yield TurnFrame(ui_messages.error_messages(FAILED), turns)

    def chat(
        self,
        question: str,
        history: list[ConversationTurn] | None = None,
        audience: str = "clinician",
        approved_only: bool = False,
    ) -> str:
        """Answer `question` after the conversation so far (`history`: {"role", "content"}
        messages, oldest first; answers as this endpoint returned them) and return the cited
        answer in Markdown, ending with its references."""
        return self._final(question, audience, history, approved_only).answer

    def ask(
        self,
        question: str,
        history: list[ConversationTurn] | None = None,
        audience: str = "clinician",
        approved_only: bool = False,
    ) -> dict[str, Any]:
        """Like /chat, but return the whole answer as JSON: the Markdown `answer`, its parts
        (`direct`, `sections`, `more_detail`, `lab_details`...), numbered `citations` with
        their passage, review status and dates, the lab tool's report (`labs`), `followups`
        and whether it was `refused`."""
        return self._final(question, audience, history, approved_only).model_dump(mode="json")

    def rated_answer(
        self, turns: Turns, history: Sequence[Mapping[str, Any]], index: int
    ) -> RatedAnswer | None:
        """The answer at `index`, if it is one the assistant gave after the question before it."""
        rated = turns.get(index)
        asked = ui_messages.question_before(history, index).strip()
        if rated is None or asked != html.unescape(rated.question):
            return None
        return rated

    def rate(self, turns: Turns, history: Sequence[Mapping[str, Any]], like: gr.LikeData) -> None:
        """Store a like/dislike with the question, answer and cited documents it rates."""
        index = like.index[0] if isinstance(like.index, (list, tuple)) else like.index
        rated = self.rated_answer(turns, history, index)
        if rated is None:
            gr.Warning("Feedback is only possible on answers the assistant gave in this chat.")
            return
        self._record(rated, rating_from_like(like.liked))

    def give_reason(self, turns: Turns, index: int | None, reason: str) -> None:
        """Store the reason given for a dislike (a new record with the reason; the latest record
        for an answer is its rating)."""
        rated = turns.get(index) if index is not None else None
        if rated is None or not reason.strip():
            return
        self._record(rated, "dislike", reason.strip()[:2000])

    def _record(self, rated: RatedAnswer, rating: Rating, reason: str = "") -> None:
        try:
            self.feedback.record(rated, rating, reason=reason)
        except FeedbackError as exc:  # the rating is kept and written with the next one
            gr.Warning(public_message(str(exc)))
            return
        gr.Info("Thank you: feedback saved on this computer.")
