"""Gradio front end: the only module that imports Gradio.

`build_app` wires the chat, the audience selector, feedback and the API endpoints;
`launch` serves it (127.0.0.1, no share link, bounded queue, optional login); `serve` is
what `assistant serve` runs. Turning answers into chat messages lives in ui_messages.
"""

from __future__ import annotations

import html
import ipaddress
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, cast

import assistant.offline  # noqa: F401  (no Gradio analytics: set before importing gradio)

# isort: split
import gradio as gr
from gradio.events import api

from assistant.app import messages as ui_messages
from assistant.app.feedback import FeedbackStore, RatedAnswer, feedback_path, rating_from_like
from assistant.app.messages import ChatMessage
from assistant.config import ServeSettings, Settings
from assistant.domain.model import Domain
from assistant.schema import AnswerResult, Audience

logger = logging.getLogger(__name__)

DISCLAIMER = (
    "**For healthcare professionals.** Decision support only: verify against the cited "
    "sources and use clinical judgement. Sources show their review status and last review date."
)
AUDIENCES: list[tuple[str, str]] = [("Clinician", "clinician"), ("Patient", "patient")]
CSS = """
.disclaimer { border-left: 4px solid var(--color-accent); padding: 0.25rem 0.75rem;
  background: var(--background-fill-secondary); border-radius: 4px; }
"""
# Fonts shipped inside Gradio (no web font download); all three weights the page uses.
THEME = gr.themes.Default(
    primary_hue="teal",
    secondary_hue="blue",
    neutral_hue="slate",
    font=[gr.themes.LocalFont("IBM Plex Sans", weights=(400, 600, 700)), "sans-serif"],
)

Turns = dict[int, RatedAnswer]
Frame = tuple[list[ChatMessage], Turns]


def escape_user_text(chatbot: gr.Chatbot) -> gr.Chatbot:
    """Make `chatbot` show HTML typed in a question as text.

    Gradio's sanitizer drops scripts and event handlers but keeps tags such as <img src>;
    escaping users' text keeps them from rendering (or fetching anything). Wrapping this
    instance's postprocess is the one hook: a Chatbot subclass would make Gradio write a
    .pyi stub next to this module, and ChatInterface adds user messages itself.
    """
    postprocess = chatbot.postprocess

    def escaped(value: list[Any] | None) -> Any:
        if value is None:
            return postprocess(None)
        return postprocess(cast(Any, ui_messages.escape_user_messages(value)))

    chatbot.postprocess = escaped  # type: ignore[method-assign]
    return chatbot


class AnswersQuestions(Protocol):
    """What the UI needs from the chat core (assistant.pipeline.Assistant)."""

    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult: ...


class ServeError(Exception):
    """The server cannot start as configured (the message says what to change)."""


def auth_from_settings(serve: ServeSettings) -> list[tuple[str, str]] | None:
    """Login is on only when both the user name and the password are set."""
    password = serve.password.get_secret_value() if serve.password else ""
    if not serve.username and not password:
        return None
    if not (serve.username and password):
        raise ServeError(
            "login needs both ASSISTANT_SERVE__USERNAME and ASSISTANT_SERVE__PASSWORD "
            "(set both, or neither for no login)"
        )
    return [(serve.username, password)]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost: reachable from elsewhere
        return False


def access_from_settings(serve: ServeSettings) -> list[tuple[str, str]] | None:
    """The login to require; serving beyond this machine without one is refused."""
    auth = auth_from_settings(serve)
    if auth is None and not _is_loopback(serve.host):
        raise ServeError(
            f"serving on {serve.host} makes the app reachable from other machines: set "
            "ASSISTANT_SERVE__USERNAME and ASSISTANT_SERVE__PASSWORD to require a login, "
            "or serve on 127.0.0.1"
        )
    return auth


def _audience(value: str) -> Audience:
    if value == "clinician":
        return "clinician"
    if value == "patient":
        return "patient"
    raise gr.Error(f"audience must be 'clinician' or 'patient', not {value!r}")


class ChatHandlers:
    """The app's event functions, callable directly in tests without a server."""

    def __init__(self, make_assistant: Callable[[], AnswersQuestions], feedback: FeedbackStore):
        self._make_assistant = make_assistant
        self._assistant: AnswersQuestions | None = None
        self._lock = threading.Lock()
        self.feedback = feedback

    @classmethod
    def for_settings(
        cls, settings: Settings, assistant: AnswersQuestions | None = None
    ) -> ChatHandlers:
        """Handlers over `assistant`, or over the real pipeline built on first use."""

        def make_assistant() -> AnswersQuestions:
            if assistant is not None:
                return assistant
            from assistant.pipeline import Assistant

            return Assistant(settings)

        return cls(make_assistant, FeedbackStore(feedback_path(settings)))

    def assistant(self) -> AnswersQuestions:
        # Created on first use: building the app must not load the embedding model.
        with self._lock:
            if self._assistant is None:
                self._assistant = self._make_assistant()
            return self._assistant

    def _ask(
        self, question: str, audience: Audience, history: list[dict[str, str]] | None = None
    ) -> AnswerResult:
        from assistant.pipeline import AssistantError

        try:
            return self.assistant().ask(question, history=history, audience=audience)
        except AssistantError as exc:
            raise gr.Error(str(exc), print_exception=False) from exc

    def respond(
        self, message: str, history: Sequence[Mapping[str, Any]], audience: str, turns: Turns
    ) -> Iterator[Frame]:
        """Chat turn: a pending status, then the sources and the answer revealed below them."""
        yield ui_messages.pending_messages(), turns
        question = message.strip()
        try:
            reader = _audience(audience)
            conversation = ui_messages.history_for_assistant(history) or None
            result = self._ask(question, reader, conversation)
        except gr.Error as exc:
            yield ui_messages.error_messages(exc.message), turns
            return
        except Exception:  # the chat shows a message instead of a stack trace
            logger.exception("answering failed")
            yield ui_messages.error_messages("Answering failed; the error was logged."), turns
            return
        # This turn's messages start after the history and the user's message: a like on
        # them reports that index (Gradio rates a group of messages by its first one).
        turn_start = len(history) + 1
        updated = {**turns, turn_start: RatedAnswer.from_result(question, reader, result)}
        for frame in ui_messages.streaming_frames(result, turn_id=str(turn_start)):
            yield frame, updated

    def chat(self, question: str, audience: str = "clinician") -> str:
        """Answer one question (no history) and return the cited answer text."""
        return self._ask(question, _audience(audience)).answer

    def ask(self, question: str, audience: str = "clinician") -> dict[str, Any]:
        """Answer one question and return the whole AnswerResult as JSON."""
        return self._ask(question, _audience(audience)).model_dump(mode="json")

    def rate(self, turns: Turns, history: Sequence[Mapping[str, Any]], like: gr.LikeData) -> None:
        """Store a like/dislike with the question, answer and cited documents it rates."""
        index = like.index[0] if isinstance(like.index, (list, tuple)) else like.index
        rated = turns.get(index)
        asked = ui_messages.question_before(history, index).strip()
        if rated is None or asked != html.unescape(rated.question):
            gr.Warning("Feedback is only possible on answers from this session.")
            return
        self.feedback.record(rated, rating_from_like(like.liked))
        gr.Info("Thank you: feedback saved on this computer.")


def pack_domain(settings: Settings) -> Domain:
    """The pack's domain (title, header, examples); reading it loads no model."""
    from assistant.pipeline import AssistantError
    from assistant.resources import Resources

    try:
        return Resources(settings).domain()
    except AssistantError as exc:
        raise ServeError(str(exc)) from exc


def header_markdown(domain: Domain) -> str:
    return f"# {domain.title}\n{domain.ui.header}".strip()


def build_app(
    settings: Settings, handlers: ChatHandlers | None = None, domain: Domain | None = None
) -> gr.Blocks:
    """The whole app; handlers default to the real pipeline, created on first question."""
    handlers = handlers or ChatHandlers.for_settings(settings)
    domain = domain or pack_domain(settings)
    app: gr.Blocks
    with gr.Blocks(title=domain.title, fill_height=True) as app:
        with gr.Row(equal_height=True):
            with gr.Column(scale=3):
                gr.Markdown(header_markdown(domain))
            audience = gr.Radio(
                AUDIENCES,
                value="clinician",
                label="Which best describes you?",
                info="Patient answers use plainer words; the sources are the same.",
                scale=1,
            )
        gr.Markdown(DISCLAIMER, elem_classes=["disclaimer"])
        turns = gr.State({})
        chatbot = gr.Chatbot(
            label="Guideline answers",
            scale=1,
            min_height=420,
            sanitize_html=True,  # the default, set on purpose: no markup from any text
            allow_tags=False,
            feedback_options=("Like", "Dislike"),
            buttons=["copy"],
            placeholder=domain.ui.placeholder,
        )
        escape_user_text(chatbot)
        gr.ChatInterface(
            handlers.respond,
            chatbot=chatbot,
            textbox=gr.Textbox(
                placeholder="Ask a question, or paste lab values with units…",
                max_length=settings.max_question_chars,
                submit_btn=True,
                stop_btn=True,
            ),
            additional_inputs=[audience, turns],
            additional_outputs=[turns],
            examples=[[question] for question in domain.ui.examples] or None,
            api_visibility="private",  # the public chat endpoint is /chat below
            fill_height=True,
        )
        chatbot.like(handlers.rate, inputs=[turns, chatbot], api_visibility="private")
        api(handlers.chat, api_name="chat", api_description=handlers.chat.__doc__)
        api(handlers.ask, api_name="ask", api_description=handlers.ask.__doc__)
    return app


def launch(
    app: gr.Blocks, settings: Settings, *, block: bool = True, title: str = "Guideline Assistant"
) -> str:
    """Serve `app` on settings.serve's host and port; never a public share link.

    With `block`, wait until Ctrl-C; otherwise return the URL with the server running
    (tests, the screenshot script), and the caller closes it with `app.close()`.
    """
    serve = settings.serve
    auth = access_from_settings(serve)
    app.queue(max_size=serve.max_queue, default_concurrency_limit=serve.concurrency_limit)
    _, url, _ = app.launch(
        server_name=serve.host,
        server_port=serve.port,
        share=False,
        auth=auth,
        auth_message=f"{title}: sign in" if auth else None,
        prevent_thread_lock=True,
        quiet=True,  # Gradio's banner suggests share=True; this app never shares
        show_error=False,
        footer_links=["api"],
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        theme=THEME,
        css=CSS,
    )
    if block:
        login = " (login required)" if auth else ""
        print(f"{title} on {url}{login}; press Ctrl-C to stop", flush=True)
        app.block_thread()
    return str(url)


def serve(settings: Settings) -> None:
    """`assistant serve`: build the index if needed, load the pipeline, serve until Ctrl-C."""
    access_from_settings(settings.serve)  # a missing login fails before any loading
    from assistant.pipeline import Assistant, AssistantError

    pipeline = Assistant(settings)
    try:
        # Now rather than on the first question: loads the rules (first: a broken rules file
        # must stop start-up before minutes of indexing), builds a missing index and loads the
        # model, so a broken setup stops here with its message.
        pipeline.ruleset()
        pipeline.searcher()
    except AssistantError as exc:
        raise ServeError(str(exc)) from exc
    domain = pipeline.resources.domain()
    handlers = ChatHandlers.for_settings(settings, pipeline)
    try:
        launch(build_app(settings, handlers, domain), settings, title=domain.title)
    except OSError as exc:  # e.g. the port is taken
        raise ServeError(
            f"cannot serve on {settings.serve.host}:{settings.serve.port}: {exc}"
        ) from exc
