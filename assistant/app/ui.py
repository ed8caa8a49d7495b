"""Gradio front end: the page layout and its events (the event functions are in handlers.py).

`build_app` lays out the page (a compact header, the patient or clinician banner, the chat, the
suggested next questions, the question box with its character counter) and wires the events;
`launch` serves it (127.0.0.1, no share link, bounded queue, optional login behind a rate limit,
allowed hosts only, no uploads); `serve` is what `assistant serve` runs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, cast

import assistant.offline  # noqa: F401  (no Gradio analytics: set before importing gradio)

# isort: split
import gradio as gr
from gradio.events import api
from starlette.middleware import Middleware

from assistant.app import messages as ui_messages
from assistant.app import saved
from assistant.app.api import ask_endpoint, chat_endpoint
from assistant.app.chat_page import CLINICIAN_BANNER, ChatPage, banner_for, counter_html
from assistant.app.handlers import AnswersQuestions, ChatHandlers
from assistant.app.security import (
    HostAllowList,
    LoginThrottle,
    RefuseUploads,
    allowed_hosts,
    is_loopback,
    transport_warning,
)
from assistant.app.suggestions import MAX_SUGGESTIONS
from assistant.config import ServeSettings, Settings
from assistant.domain.model import Domain

__all__ = ["AnswersQuestions", "ChatHandlers", "ServeError", "build_app", "launch", "serve"]

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
AUDIENCES: list[tuple[str, str]] = [("Clinician", "clinician"), ("Patient", "patient")]
QUESTION_PLACEHOLDER = "Ask a question, or paste lab values with their units…"
SHOW_ANSWER = "() => { window.assistantShowAnswer && window.assistantShowAnswer(); }"
SHOW_PENDING = "() => { window.assistantShowPending && window.assistantShowPending(); }"
COUNT = "(text) => { window.assistantCount && window.assistantCount(text); }"
# Fonts shipped inside Gradio (no web font download); all three weights the page uses.
THEME = gr.themes.Default(
    primary_hue="teal",
    secondary_hue="blue",
    neutral_hue="slate",
    font=[gr.themes.LocalFont("IBM Plex Sans", weights=(400, 600, 700)), "sans-serif"],
)
PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # page events: not an API


class ServeError(Exception):
    """The server cannot start as configured (the message says what to change)."""


def escape_user_text(chatbot: gr.Chatbot) -> gr.Chatbot:
    """Make `chatbot` show HTML typed in a question as text.

    Gradio's sanitizer drops scripts and event handlers but keeps tags such as <img src>;
    escaping users' text keeps them from rendering (or fetching anything). Wrapping this
    instance's postprocess is the one hook: a Chatbot subclass would make Gradio write a
    .pyi stub next to this module.
    """
    postprocess = chatbot.postprocess

    def escaped(value: list[Any] | None) -> Any:
        if value is None:
            return postprocess(None)
        return postprocess(cast(Any, ui_messages.escape_user_messages(value)))

    chatbot.postprocess = escaped  # type: ignore[method-assign]
    return chatbot


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


def access_from_settings(serve: ServeSettings) -> list[tuple[str, str]] | None:
    """The login to require; serving beyond this machine without one is refused."""
    auth = auth_from_settings(serve)
    if auth is None and not is_loopback(serve.host):
        raise ServeError(
            f"serving on {serve.host} makes the app reachable from other machines: set "
            "ASSISTANT_SERVE__USERNAME and ASSISTANT_SERVE__PASSWORD to require a login, "
            "or serve on 127.0.0.1"
        )
    return auth


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


def page_head(limit: int) -> str:
    """The page's own style and script. In the head rather than launch(css=): Gradio scopes
    that CSS to its content area, and the phone layout also trims the page around it."""
    style = (STATIC / "app.css").read_text(encoding="utf-8")
    script = (STATIC / "app.js").read_text(encoding="utf-8").replace("__LIMIT__", str(limit))
    return f"<style>{style}</style><script>{script}</script>"


def build_app(
    settings: Settings, handlers: ChatHandlers | None = None, domain: Domain | None = None
) -> gr.Blocks:
    """The whole app; handlers default to the real pipeline, created on first question."""
    handlers = handlers or ChatHandlers.for_settings(settings)
    domain = domain or pack_domain(settings)
    page = ChatPage(handlers, domain, settings)
    storage_key = f"guideline-assistant-{settings.collection}"
    app: gr.Blocks
    with gr.Blocks(title=domain.title, fill_height=True) as app:
        gr.Markdown(header_markdown(domain), elem_id="app-header")
        with gr.Row(elem_id="top-bar", equal_height=True):
            banner = gr.Markdown(
                CLINICIAN_BANNER, elem_id="banner", elem_classes=["banner"], scale=1
            )
            audience = gr.Radio(
                AUDIENCES,
                value="clinician",
                label="Answers for",
                show_label=False,
                container=False,
                elem_id="audience",
                scale=0,
                min_width=200,
            )
            approved_only = gr.Checkbox(
                False,
                label="Approved sources only",
                container=False,
                elem_id="approved-only",
                scale=0,
                min_width=190,
            )
        turns = gr.State({})
        question = gr.State("")
        pending_reason = gr.State(None)
        stored = gr.BrowserState(
            saved.save([], {}, page.signer),
            storage_key=storage_key,
            secret=saved.browser_secret(saved.server_key(settings.data_dir)),
        )
        chatbot = gr.Chatbot(
            label="Guideline answers",
            show_label=False,
            elem_id="chat",
            scale=1,
            height=240,  # grows to fill the window (scale=1 in a fill_height page)
            autoscroll=False,  # the page script shows each answer from its first line
            sanitize_html=True,  # the default, set on purpose: no markup from any text
            allow_tags=False,
            latex_delimiters=[],
            feedback_options=("Like", "Dislike"),
            buttons=[],  # "Copy answer" inside each answer copies its Markdown, not HTML
            placeholder=domain.ui.placeholder,
            layout="panel",  # answers use the full width (tables, phones)
        )
        escape_user_text(chatbot)
        with gr.Row(elem_id="suggestions"):
            suggestions = [
                gr.Button(q or " ", size="sm", variant="secondary", visible=bool(q), scale=0)
                for q in [*domain.ui.examples, *([""] * MAX_SUGGESTIONS)][:MAX_SUGGESTIONS]
            ]
        with gr.Group(visible=False, elem_id="reason-panel") as reason_panel:
            reason = gr.Textbox(
                label="What was wrong with this answer? (optional)", lines=2, max_length=2000
            )
            with gr.Row():
                send_reason = gr.Button("Send", size="sm", variant="primary", scale=0)
                skip_reason = gr.Button("Skip", size="sm", scale=0)
        textbox = gr.Textbox(
            placeholder=QUESTION_PLACEHOLDER,
            show_label=False,
            lines=1,
            max_lines=6,
            submit_btn=True,
            stop_btn=False,
            autofocus=True,
            elem_id="question",
        )
        gr.HTML(counter_html(settings.max_question_chars), elem_id="char-counter")

        def wire_turn(trigger: Any) -> Any:
            started = trigger(
                page.start_turn,
                [textbox, chatbot],
                [chatbot, textbox, question, reason_panel],
                # Queued, so a refusal (too long, empty) reaches the page as a message; never
                # waits behind answers being computed.
                concurrency_limit=None,
                show_progress="hidden",
                **PRIVATE,
            )
            started.success(None, js=SHOW_PENDING, **PRIVATE)
            answering = started.success(
                page.answer_turn,
                [question, chatbot, audience, turns, approved_only],
                [chatbot, turns, stored, *suggestions],
                show_progress="hidden",
                **PRIVATE,
            )
            answering.then(page.finish_turn, None, textbox, queue=False, **PRIVATE).then(
                None, js=SHOW_ANSWER, **PRIVATE
            )
            return answering

        answers = [wire_turn(textbox.submit)]
        for button in suggestions:
            filled = button.click(lambda q: q, button, textbox, queue=False, **PRIVATE)
            answers.append(wire_turn(filled.then))
        retried = chatbot.retry(page.retry, [chatbot], [chatbot, textbox], queue=False, **PRIVATE)
        answers.append(wire_turn(retried.then))
        textbox.stop(None, None, None, cancels=answers, **PRIVATE).then(
            page.finish_turn, None, textbox, queue=False, **PRIVATE
        )
        textbox.change(None, textbox, None, js=COUNT, **PRIVATE)
        chatbot.undo(
            page.undo, [chatbot, turns], [chatbot, turns, stored, textbox], queue=False, **PRIVATE
        )
        chatbot.clear(page.clear, None, [chatbot, turns, stored, *suggestions], **PRIVATE)
        chatbot.like(page.like, [turns, chatbot], [reason_panel, pending_reason, reason], **PRIVATE)
        send_reason.click(
            page.reason, [turns, pending_reason, reason], [reason_panel, pending_reason, reason],
            **PRIVATE,
        )  # fmt: skip
        skip_reason.click(
            lambda: (gr.update(visible=False), None, gr.update(value="")),
            None,
            [reason_panel, pending_reason, reason],
            queue=False,
            **PRIVATE,
        )
        audience.change(banner_for, audience, banner, queue=False, **PRIVATE)
        app.load(page.restore, stored, [chatbot, turns, *suggestions], **PRIVATE).then(
            None, js=SHOW_ANSWER, **PRIVATE
        )
        chat = chat_endpoint(handlers)
        ask = ask_endpoint(handlers)
        api(chat, api_name="chat", api_description=chat.__doc__)
        api(ask, api_name="ask", api_description=ask.__doc__)
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
    warning = transport_warning(serve)
    if warning:
        logger.warning("serving on %s over plain HTTP", serve.host)
        print(warning, file=sys.stderr, flush=True)
    app.queue(max_size=serve.max_queue, default_concurrency_limit=serve.concurrency_limit)
    middleware = [
        Middleware(HostAllowList, hosts=allowed_hosts(serve)),
        Middleware(RefuseUploads),
        Middleware(LoginThrottle),
    ]
    try:
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
            run_history=False,  # no copy of questions in the browser beyond the conversation
            max_file_size="1kb",  # no uploads (RefuseUploads shuts the route; this too)
            app_kwargs={"middleware": middleware},
            ssl_certfile=str(serve.ssl_certfile) if serve.ssl_certfile else None,
            ssl_keyfile=str(serve.ssl_keyfile) if serve.ssl_keyfile else None,
            theme=THEME,
            head=page_head(settings.max_question_chars),
        )
    except OSError as exc:  # Gradio's message names a variable this app does not read
        raise ServeError(
            f"cannot serve on {serve.host}:{serve.port} (the port is in use or not allowed): "
            "choose another port with --port or ASSISTANT_SERVE__PORT"
        ) from exc
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
    launch(build_app(settings, handlers, domain), settings, title=domain.title)
