"""The served Gradio app over the real pipeline and index, called through gradio_client and
plain HTTP: the API (with follow-ups), the chat turn, and the served app's guards (login rate
limit, allowed hosts, no uploads, private page events, the port-in-use message)."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError
from pydantic import SecretStr

from assistant.app import messages as ui_messages
from assistant.app.feedback import FeedbackStore
from assistant.app.security import FREE_ATTEMPTS
from assistant.app.ui import ChatHandlers, ServeError, build_app, launch
from assistant.config import ServeSettings, Settings
from assistant.pipeline import Assistant
from assistant.schema import AnswerResult

pytestmark = [
    pytest.mark.integration,
    # Gradio's queue calls pandas options that pandas 3 deprecates: noise, not our code.
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]

SEED_QUESTION = "What is the recommended vitamin B12 level for treating anemia?"
FIRST = "What B12 level confirms deficiency?"
FOLLOW_UP = "and for how long?"
LAB_MESSAGE = "B12 240 ng/L, MMA 410 nmol/L"
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    url: str
    settings: Settings
    app: gr.Blocks


def serve_in_background(settings: Settings, **serve: object) -> Served:
    settings = settings.model_copy(
        update={"serve": ServeSettings.model_validate({"port": free_port(), **serve})}
    )
    app = build_app(settings)
    return Served(launch(app, settings, block=False), settings, app)


@pytest.fixture(scope="module")
def served(indexed_settings: Settings) -> Iterator[Served]:
    server = serve_in_background(indexed_settings, concurrency_limit=2, max_queue=5)
    try:
        yield server
    finally:
        server.app.close()


@pytest.fixture(scope="module")
def reference(indexed_settings: Settings) -> Assistant:
    """The pipeline called directly: what the app must return."""
    return Assistant(indexed_settings)


@pytest.fixture(scope="module")
def client(served: Served) -> Client:
    return Client(served.url, verbose=False)


def test_server_listens_on_localhost_with_the_configured_queue(served: Served) -> None:
    assert served.url.startswith("http://127.0.0.1:")
    assert served.app.share is False
    assert served.app._queue.max_size == 5
    assert served.app._queue.default_concurrency_limit == 2


def test_chat_endpoint_takes_just_the_question_and_returns_the_cited_answer(
    client: Client, reference: Assistant
) -> None:
    answer = client.predict(SEED_QUESTION, api_name="/chat")

    expected = reference.ask(SEED_QUESTION)
    assert not expected.refused
    assert expected.citations
    assert answer == expected.answer
    assert all(f"[{c.n}]" in answer for c in expected.citations)


def test_chat_endpoint_follows_up_on_the_conversation_it_is_given(
    client: Client, reference: Assistant
) -> None:
    first = client.predict(FIRST, api_name="/chat")
    history = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": first}]

    follow_up = client.predict(FOLLOW_UP, history, api_name="/chat")

    expected = reference.ask(FOLLOW_UP, history=history)
    assert follow_up == expected.answer
    assert not expected.refused
    assert follow_up != reference.ask(FOLLOW_UP).answer  # the history made the difference


def test_chat_endpoint_takes_the_audience(client: Client, reference: Assistant) -> None:
    answer = client.predict(SEED_QUESTION, [], "patient", api_name="/chat")
    older_client = client.predict(SEED_QUESTION, "patient", api_name="/chat")  # before history

    assert answer == reference.ask(SEED_QUESTION, audience="patient").answer
    assert answer != reference.ask(SEED_QUESTION, audience="clinician").answer
    assert older_client == answer


def test_the_approved_only_switch_reaches_the_search(
    client: Client, indexed_settings: Settings, reference: Assistant
) -> None:
    retrieval = indexed_settings.retrieval.model_copy(update={"approved_only": True})
    approved = Assistant(indexed_settings.model_copy(update={"retrieval": retrieval}))

    payload = client.predict(SEED_QUESTION, [], "clinician", True, api_name="/ask")

    assert AnswerResult.model_validate(payload) == approved.ask(SEED_QUESTION)
    assert payload != reference.ask(SEED_QUESTION).model_dump(mode="json")


def test_ask_endpoint_returns_the_answer_with_its_citations_and_review_status(
    client: Client,
) -> None:
    payload = client.predict(SEED_QUESTION, api_name="/ask")

    result = AnswerResult.model_validate(payload)
    assert result.citations
    assert all(c.text and c.review_status and c.review_state for c in result.citations)


def test_a_question_outside_the_corpus_is_refused(client: Client) -> None:
    result = AnswerResult.model_validate(
        client.predict("What is the capital of France?", api_name="/ask")
    )

    assert result.refused
    assert result.citations == []


@pytest.mark.parametrize(
    ("question", "history", "audience", "message"),
    [
        ("   ", None, "clinician", "empty"),
        (SEED_QUESTION, None, "robot", "audience"),
        (SEED_QUESTION, [1, 2], "clinician", "history must be a list"),
    ],
    ids=["empty-question", "unknown-audience", "malformed-history"],
)
def test_bad_input_is_a_clear_error_not_a_crash(
    client: Client, question: str, history: object, audience: str, message: str
) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(question, history, audience, api_name="/chat")
    assert client.predict(SEED_QUESTION, api_name="/chat")  # the server still answers


def test_the_api_page_documents_types_and_only_the_two_endpoints(client: Client) -> None:
    api = client.view_api(print_info=False, return_format="dict")

    assert set(api["named_endpoints"]) == {"/chat", "/ask"}
    assert api["unnamed_endpoints"] == {}
    chat = api["named_endpoints"]["/chat"]
    assert chat["parameters"][1]["parameter_name"] == "history"
    assert chat["returns"][0]["type"]["type"] == "string"
    returned = api["named_endpoints"]["/ask"]["returns"][0]["type"]
    assert {"answer", "citations", "labs", "followups"} <= set(returned["properties"])


def test_page_events_cannot_be_called_by_a_client(served: Served, client: Client) -> None:
    private = [i for i, fn in served.app.fns.items() if fn.api_visibility == "private"]
    assert private

    for index in private[:3]:
        with pytest.raises((ValueError, AppError, KeyError)):
            client.predict(FIRST, fn_index=index)


def test_uploads_are_refused_and_other_hosts_are_not_answered(served: Served) -> None:
    upload = httpx.post(
        f"{served.url}gradio_api/upload", files={"files": ("notes.txt", b"x" * 2048)}
    )
    rebinding = httpx.get(served.url, headers={"Host": "attacker.example"})
    page = httpx.get(served.url)

    assert upload.status_code == 403
    assert rebinding.status_code == 400
    assert page.status_code == 200


def test_a_lab_message_turn_shows_a_table_with_one_row_per_value(
    reference: Assistant, tmp_path: Path
) -> None:
    handlers = ChatHandlers(lambda: reference, FeedbackStore(tmp_path / "feedback.jsonl"))

    *_, (messages, turns) = handlers.respond(LAB_MESSAGE, [], "clinician", {})

    expected = reference.ask(LAB_MESSAGE)
    assert expected.labs is not None
    (message,) = messages
    shown = message["content"]
    assert shown.count('<th scope="row">') == len({f.analyte for f in expected.labs.findings})
    for finding in expected.labs.findings:
        assert finding.category_label in shown
        assert finding.rule_id is None or finding.rule_id not in shown
    assert ui_messages.history_for_assistant([*messages])[0]["content"] == expected.answer
    assert turns[1].answer == expected.answer


def test_the_port_in_use_message_names_the_settings_that_change_it(
    indexed_settings: Settings,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = indexed_settings.model_copy(update={"serve": ServeSettings(port=port)})
        app = build_app(settings)

        with pytest.raises(ServeError) as refused:
            launch(app, settings, block=False)

    assert "--port" in str(refused.value)
    assert "ASSISTANT_SERVE__PORT" in str(refused.value)
    assert "GRADIO_SERVER_PORT" not in str(refused.value)


def test_a_login_is_required_rate_limited_and_plain_http_off_loopback_warned(
    indexed_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    server = serve_in_background(
        indexed_settings, host="0.0.0.0", username="clinic", password=SecretStr(PASSWORD)
    )
    url = f"http://127.0.0.1:{server.settings.serve.port}/"
    try:
        assert "WARNING: serving on 0.0.0.0 over plain HTTP" in capsys.readouterr().err
        with pytest.raises(AuthenticationError):
            Client(url, verbose=False).predict(SEED_QUESTION, api_name="/chat")
        client = Client(url, auth=("clinic", PASSWORD), verbose=False)
        assert client.predict(SEED_QUESTION, api_name="/chat")

        # Someone guessing passwords as fast as the server answers.
        started = time.perf_counter()
        statuses = [
            httpx.post(
                f"{url}login", data={"username": "clinic", "password": f"guess {n}"}
            ).status_code
            for n in range(100)
        ]
        seconds = time.perf_counter() - started
        right = httpx.post(f"{url}login", data={"username": "clinic", "password": PASSWORD})
    finally:
        server.app.close()

    checked = statuses.count(400)
    print(f"\nlogin: 100 wrong passwords in {seconds:.2f} s: {checked} checked, the rest refused")
    assert statuses[:FREE_ATTEMPTS] == [400] * FREE_ATTEMPTS  # a few typos are free
    # Then each check waits twice as long as the one before: in T seconds, log2(T + 1) more.
    assert checked <= FREE_ATTEMPTS + 1 + math.log2(seconds + 1)
    assert set(statuses) == {400, 429}
    assert right.status_code == 429  # ... the right password too, until the wait is over
