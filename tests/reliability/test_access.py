"""Access and privacy: 127.0.0.1 by default, a login before serving beyond localhost, never a
public share link, and no connection leaving the machine while the app answers."""

from __future__ import annotations

import pytest
from gradio_client import Client
from gradio_client.exceptions import AuthenticationError
from pydantic import SecretStr
from typer.testing import CliRunner

from assistant.app.cli import app as cli_app
from assistant.app.ui import ServeError, build_app, launch
from assistant.config import PROJECT_ROOT, ServeSettings, Settings, get_settings
from tests.reliability.conftest import (
    SEED_QUESTION,
    OutboundConnections,
    free_port,
    serve_in_background,
)

pytestmark = [
    pytest.mark.integration,
    # Gradio's queue calls pandas options that pandas 3 deprecates: noise, not our code.
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]


def test_the_default_bind_address_is_localhost() -> None:
    assert Settings().serve.host == "127.0.0.1"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "clinic.example"])
def test_serving_beyond_localhost_without_a_login_refuses_to_start(host: str) -> None:
    settings = Settings(serve=ServeSettings(host=host, port=free_port()))
    app = build_app(settings)

    with pytest.raises(ServeError, match="ASSISTANT_SERVE__USERNAME and ASSISTANT_SERVE__PASSWORD"):
        launch(app, settings, block=False)
    assert not app.is_running


def test_cli_serve_beyond_localhost_without_a_login_stops_before_loading_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A missing index would otherwise be built first: the refusal must come before that.
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(PROJECT_ROOT / "no-such-corpus"))
    get_settings.cache_clear()

    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--port", "0"])

    assert result.exit_code == 2, result.output
    assert "error: serving on 0.0.0.0" in result.output
    assert "ASSISTANT_SERVE__USERNAME" in result.output
    assert "corpus folder not found" not in result.output


def test_serving_on_all_interfaces_requires_the_login(indexed_settings: Settings) -> None:
    server = serve_in_background(
        indexed_settings,
        host="0.0.0.0",
        username="clinic",
        password=SecretStr("correct horse"),
    )
    local_url = f"http://127.0.0.1:{server.settings.serve.port}/"
    try:
        with pytest.raises(AuthenticationError):
            Client(local_url, verbose=False).predict(SEED_QUESTION, api_name="/chat")
        client = Client(local_url, auth=("clinic", "correct horse"), verbose=False)
        assert "[1]" in client.predict(SEED_QUESTION, api_name="/chat")
    finally:
        server.app.close()


def test_never_a_public_share_link_even_when_gradio_is_told_to(
    indexed_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADIO_SHARE", "True")

    server = serve_in_background(indexed_settings)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.app.share is False
        assert server.app.share_url is None
    finally:
        server.app.close()


def test_answering_through_the_app_opens_no_connection_off_the_machine(
    indexed_settings: Settings, outbound: OutboundConnections
) -> None:
    server = serve_in_background(indexed_settings)
    try:
        client = Client(server.url, verbose=False)
        assert "[1]" in client.predict(SEED_QUESTION, api_name="/chat")
        assert client.predict("B12 240 ng/L and MMA 410 nmol/L", api_name="/chat")
    finally:
        server.app.close()

    assert outbound.attempts == []


def test_the_readme_states_the_privacy_stance() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "no patient data leaves the machine" in readme
    assert "ASSISTANT_AUDIT_LOG" in readme
    assert "127.0.0.1" in readme


def test_the_outbound_recorder_sees_an_attempt(outbound: OutboundConnections) -> None:
    """The recorder used above must notice a connection attempt, or its [] proves nothing."""
    import socket

    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routed
    assert outbound.attempts == ["('192.0.2.1', 80)"]
