"""The served app's guards, as ASGI middleware around a tiny app (Starlette's in-process client:
real HTTP semantics, no socket). The served Gradio app is checked in tests/integration."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from assistant.app.security import (
    FREE_ATTEMPTS,
    MAX_CLIENTS,
    MAX_WAIT_S,
    HostAllowList,
    LoginLimiter,
    LoginThrottle,
    RefuseUploads,
    allowed_hosts,
    host_name,
    public_message,
    transport_warning,
)
from assistant.config import ServeSettings

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failed_sign_ins_are_free_at_first_then_each_wait_doubles() -> None:
    clock = Clock()
    limiter = LoginLimiter(clock)

    for _ in range(FREE_ATTEMPTS):
        assert limiter.attempt("10.0.0.1") == 0
    waits = []
    for _ in range(4):
        waits.append(limiter.wait("10.0.0.1"))
        clock.now += waits[-1]
        assert limiter.attempt("10.0.0.1") == 0
    assert waits == [waits[0] * 2**i for i in range(4)]
    assert waits[0] > 0
    assert limiter.attempt("10.0.0.1") > 0  # too soon: refused, and not counted
    assert limiter.wait("10.0.0.2") == 0  # another client is not slowed down


def test_the_wait_is_bounded_and_a_success_or_a_quiet_spell_starts_afresh() -> None:
    clock = Clock()
    limiter = LoginLimiter(clock)
    for _ in range(40):
        clock.now += limiter.wait("a")
        limiter.attempt("a")
    assert 0 < limiter.wait("a") <= MAX_WAIT_S

    limiter.succeeded("a")
    assert limiter.wait("a") == 0

    for _ in range(FREE_ATTEMPTS + 1):
        limiter.attempt("b")
    assert limiter.wait("b") > 0
    clock.now += 3600
    assert limiter.wait("b") == 0


def test_the_limiter_remembers_a_bounded_number_of_clients() -> None:
    limiter = LoginLimiter(Clock())
    for n in range(MAX_CLIENTS + 50):
        limiter.attempt(f"client-{n}")

    assert len(limiter._clients) == MAX_CLIENTS


async def login(request: Request) -> JSONResponse:
    form = await request.form()
    if form.get("password") == PASSWORD:
        return JSONResponse({"success": True})
    return JSONResponse({"detail": "Incorrect credentials."}, status_code=400)


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def app_with(*middleware: type, **options: object) -> Starlette:
    from starlette.middleware import Middleware

    routes = [
        Route("/login", login, methods=["POST"]),
        Route("/", hello),
        Route("/gradio_api/upload", hello, methods=["POST"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(m, **options) for m in middleware])


def test_many_wrong_passwords_in_a_row_are_refused_until_the_client_waits() -> None:
    client = TestClient(app_with(LoginThrottle))

    statuses = [
        client.post("/login", data={"username": "u", "password": f"guess {n}"}).status_code
        for n in range(50)
    ]
    right = client.post("/login", data={"username": "u", "password": PASSWORD})

    assert statuses[:FREE_ATTEMPTS] == [400] * FREE_ATTEMPTS
    assert set(statuses[FREE_ATTEMPTS:]) == {429}
    assert right.status_code == 429  # even the right password waits its turn
    assert int(right.headers["retry-after"]) >= 1
    assert "wait" in right.json()["detail"]


def test_a_successful_sign_in_clears_earlier_failures() -> None:
    client = TestClient(app_with(LoginThrottle))

    for n in range(FREE_ATTEMPTS - 1):
        client.post("/login", data={"password": f"guess {n}"})
    assert client.post("/login", data={"password": PASSWORD}).status_code == 200
    statuses = {client.post("/login", data={"password": "x"}).status_code for _ in range(3)}

    assert statuses == {400}


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:7860", "127.0.0.1"),
        ("[::1]:7860", "::1"),
        ("LocalHost", "localhost"),
        ("clinic.example.org.", "clinic.example.org"),
        ("::1", "::1"),
    ],
)
def test_host_names_are_read_without_port_brackets_or_case(header: str, name: str) -> None:
    assert host_name(header) == name


def test_only_allowed_hosts_are_answered() -> None:
    app = app_with(HostAllowList, hosts=allowed_hosts(ServeSettings()))

    local = TestClient(app, base_url="http://127.0.0.1:7860").get("/")
    rebinding = TestClient(app, base_url="http://attacker.example:7860").get("/")

    assert local.status_code == 200
    assert rebinding.status_code == 400
    assert "ASSISTANT_SERVE__ALLOWED_HOSTS" in rebinding.json()["detail"]


def test_the_allowed_hosts_are_loopback_the_bind_address_and_the_setting() -> None:
    serve = ServeSettings(
        host="192.0.2.10",
        username="u",
        password=SecretStr(PASSWORD),
        allowed_hosts="clinic.example.org, Assistant.Local",  # type: ignore[arg-type]
    )

    hosts = allowed_hosts(serve)

    assert {"localhost", "127.0.0.1", "::1", "192.0.2.10", "clinic.example.org"} <= set(hosts)
    assert "assistant.local" in hosts
    assert "*" in allowed_hosts(ServeSettings(allowed_hosts=["*"]))


def test_uploads_are_refused() -> None:
    client = TestClient(app_with(RefuseUploads))

    refused = client.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 10)})

    assert refused.status_code == 403
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("cannot read /srv/clinic/corpus/rules.yaml: denied", "cannot read rules.yaml: denied"),
        ("history file ~/notes/chat.json is not JSON", "history file chat.json is not JSON"),
        ("index at /var/lib/assistant/data/ is locked", "index at … is locked"),
        ("the Chroma server http://10.0.0.5:8000/api is down", None),
        ("ratio 1/2 and 5 ng/L", None),
    ],
)
def test_messages_to_clients_name_files_never_server_paths(message: str, shown: str | None) -> None:
    assert public_message(message) == (shown or message)


def test_serving_beyond_this_machine_over_plain_http_warns_loudly() -> None:
    login = {"username": "u", "password": SecretStr(PASSWORD)}
    plain = transport_warning(ServeSettings(host="0.0.0.0", **login))  # type: ignore[arg-type]

    assert plain is not None
    assert "WARNING" in plain
    assert "HTTPS" in plain
    assert transport_warning(ServeSettings()) is None
    tls = ServeSettings(host="0.0.0.0", ssl_certfile="c.pem", ssl_keyfile="k.pem", **login)  # type: ignore[arg-type]
    assert transport_warning(tls) is None
