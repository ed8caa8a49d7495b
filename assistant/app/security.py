"""The served app's guards, as plain ASGI middleware in front of Gradio's routes.

- Sign-in attempts are rate-limited per client address: a few free tries, then each failed try
  doubles the wait before the next one (429 with Retry-After meanwhile).
- Only requests naming an allowed host are answered: a web page elsewhere cannot reach a
  login-less app on 127.0.0.1 through DNS rebinding.
- File uploads are refused: the app has no upload feature, so Gradio's upload route stays shut.
- Messages shown to clients name files, never server paths (`public_message`).
No Gradio import: Gradio builds its FastAPI app with these in its middleware list.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.config import ServeSettings

FREE_ATTEMPTS = 5  # failed sign-ins before any wait: typos happen
FIRST_WAIT_S = 1.0  # then 1 s, 2 s, 4 s ... doubling with every further failure
MAX_WAIT_S = 300.0
FORGET_AFTER_S = 900.0  # a client quiet this long starts afresh
MAX_CLIENTS = 10_000  # addresses remembered; the oldest is forgotten first (bounded memory)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104  (names, not a bind)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost: reachable from elsewhere
        return False


# -- sign-in rate limit ------------------------------------------------------------------------


@dataclass
class _Client:
    failures: int = 0
    last: float = 0.0


class LoginLimiter:
    """Failed sign-ins per client, and how long each must wait before trying again."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds `client` must wait before its next attempt (0: it may try now)."""
        with self._lock:
            state = self._state(client)
            if state.failures < FREE_ATTEMPTS:
                return 0.0
            delay = min(FIRST_WAIT_S * 2.0 ** (state.failures - FREE_ATTEMPTS), MAX_WAIT_S)
            return max(0.0, state.last + delay - self._clock())

    def attempt(self, client: str) -> float:
        """Start an attempt: counted as failed until `succeeded` says otherwise, so a burst of
        simultaneous tries cannot all slip through before the first one fails. Returns the wait
        instead (and counts nothing) when the client must wait."""
        waiting = self.wait(client)
        if waiting > 0:
            return waiting
        with self._lock:
            state = self._state(client)
            state.failures += 1
            state.last = self._clock()
        return 0.0

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _state(self, client: str) -> _Client:
        state = self._clients.get(client)
        now = self._clock()
        if state is None or now - state.last > FORGET_AFTER_S:
            state = _Client(last=now)
            self._clients[client] = state
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
        self._clients.move_to_end(client)
        return state


def _is_login(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["method"] == "POST"
        and (str(scope["path"]).rstrip("/").endswith("/login"))
    )


class LoginThrottle:
    """ASGI middleware: POST /login goes through the limiter, keyed by the client's address
    (behind a reverse proxy on this machine, uvicorn puts the forwarded client there)."""

    def __init__(self, app: ASGIApp, limiter: LoginLimiter | None = None) -> None:
        self.app = app
        self.limiter = limiter or LoginLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_login(scope):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        waiting = self.limiter.attempt(client)
        if waiting > 0:
            seconds = math.ceil(waiting)
            await _respond(
                send,
                429,
                f"Too many failed sign-ins from this address: wait {seconds} s and try again.",
                [(b"retry-after", str(seconds).encode())],
            )
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if 200 <= status < 400:
            self.limiter.succeeded(client)


# -- allowed hosts -----------------------------------------------------------------------------


def host_name(header: str) -> str:
    """The host of a Host header, without port or IPv6 brackets, lower case."""
    header = header.strip().lower().rstrip(".")
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    if header.count(":") == 1:
        return header.split(":", 1)[0]
    return header


def allowed_hosts(serve: ServeSettings) -> list[str]:
    """The loopback names, the address served on (and this machine's name when serving on all
    interfaces), plus ASSISTANT_SERVE__ALLOWED_HOSTS. "*" allows any host."""
    hosts = [*LOOPBACK_NAMES]
    if serve.host in WILDCARD_HOSTS:
        hosts.append(socket.gethostname())  # local: reads the name, asks no name server
    else:
        hosts.append(serve.host)
    hosts.extend(serve.allowed_hosts)
    return list(dict.fromkeys(host_name(host) for host in hosts if host))


class HostAllowList:
    """ASGI middleware: a request whose Host header is not allowed gets 400 and nothing else."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(host_name(host) for host in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or "*" in self.hosts:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = host_name(headers.get(b"host", b"").decode("latin-1"))
        if host in self.hosts:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await _respond(
                send,
                400,
                f"Host {host or '(none)'!r} is not allowed; an administrator can add it to "
                "ASSISTANT_SERVE__ALLOWED_HOSTS.",
            )


# -- uploads -----------------------------------------------------------------------------------

_UPLOAD = re.compile(r"/upload(?:_progress)?/?$")


class RefuseUploads:
    """ASGI middleware: the app takes no files, so Gradio's upload routes answer 403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _UPLOAD.search(str(scope["path"])):
            await _respond(send, 403, "File uploads are disabled in this app.")
            return
        await self.app(scope, receive, send)


async def _respond(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- messages and warnings ---------------------------------------------------------------------

# An absolute path (/a/b/c.yaml or ~/x/y): what follows the last slash is the file's name.
_SEGMENT = r"[^\s/'\"`:;,()\[\]<>]"
_PATH = re.compile(rf"(?<![\w/.~:-])~?/(?:{_SEGMENT}+/)+(?P<name>{_SEGMENT}*)")


def public_message(message: str) -> str:
    """`message` with every server path cut to its file name (clients never see paths)."""
    return _PATH.sub(lambda match: match.group("name") or "…", message)


def transport_warning(serve: ServeSettings) -> str | None:
    """The warning for serving beyond this machine over plain HTTP (None when not needed)."""
    if is_loopback(serve.host) or serve.ssl_certfile is not None:
        return None
    bar = "!" * 78
    return (
        f"{bar}\nWARNING: serving on {serve.host} over plain HTTP. Passwords, questions and "
        "answers cross\nthe network unencrypted. Put an HTTPS reverse proxy in front (README, "
        '"HTTPS"),\nor set ASSISTANT_SERVE__SSL_CERTFILE and ASSISTANT_SERVE__SSL_KEYFILE.'
        f"\n{bar}"
    )
