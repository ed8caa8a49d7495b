"""A scripted language-model server on 127.0.0.1, speaking the two APIs the assistant can use.

- OpenAI-compatible chat completions: POST /v1/chat/completions, one JSON reply, or with
  `"stream": true` server-sent events (`data: {chat.completion.chunk}` ... `data: [DONE]`).
- Ollama's chat: POST /api/chat, newline-delimited JSON (the last line has `"done": true`), or
  one JSON object with `"stream": false`.

The real clients (langchain-openai, langchain-ollama) talk to it over HTTP. What it answers is
a named script (`REPLIES`, tests/fakes/chat_replies.py); the text of the answering scripts is
read off the prompt the assistant sent (its numbered statements), so a "faithful" reply is
faithful for any question:

    faithful            the first statements of the prompt, with their citations
    invented-numbers    the first statement, then two sentences with figures no source has
    partly-invented     up to two statements, then one sentence with a figure no source has
    invented-citations  up to two statements, then a paragraph citing sources that do not exist
    issue-17            the reply quoted in issue 17
    refusal             the refusal sentence
    empty               an empty reply
    slow                the faithful reply, after waiting longer than the client's timeout
    stall               the first sentence, then silence longer than the client's timeout
    truncated           half the faithful reply, then the connection closes mid-answer
    error-500, error-404  an HTTP error with the API's error body
    malformed           a reply that is not JSON

By hand (the assistant then runs with ASSISTANT_LLM__PROVIDER=openai,
ASSISTANT_LLM__BASE_URL=http://127.0.0.1:8011/v1, ASSISTANT_LLM__MODEL=scripted):

    python -m tests.fakes.chat_server --reply faithful --port 8011
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assistant.config import LLMSettings
from tests.fakes.chat_replies import REPLIES

OPENAI_PATH = "/v1/chat/completions"
OLLAMA_PATH = "/api/chat"
_PIECE = re.compile(r"\S+\s*|\s+")  # a word and the space after it


class ChatServer:
    """The scripted server on a free (or given) port of 127.0.0.1, in a background thread.

    `reply` names the script and may change between requests. `slow_s` is how long "slow" and
    "stall" stay silent; `piece_delay_s` paces the streamed pieces. With `hold` set to an event,
    a streamed reply pauses after its first sentence until the event is set (`first_sent` is
    set when that sentence has gone out). `requests` keeps every JSON body received.
    """

    def __init__(
        self,
        reply: str = "faithful",
        *,
        port: int = 0,
        slow_s: float = 3.0,
        piece_delay_s: float = 0.0,
    ) -> None:
        self.reply = reply
        self.slow_s = slow_s
        self.piece_delay_s = piece_delay_s
        self.hold: threading.Event | None = None
        self.first_sent = threading.Event()
        self.requests: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def llm_settings(self, provider: str = "openai", **updates: object) -> LLMSettings:
        """Settings of the assistant's model pointing at this server (no retries: a scripted
        failure is meant to fail at once)."""
        return LLMSettings.model_validate(
            {
                "provider": provider,
                "model": "scripted",
                "base_url": self.openai_url if provider == "openai" else self.url,
                "max_retries": 0,
                **updates,
            }
        )

    def start(self) -> ChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.hold is not None:
            self.hold.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def last_prompt(self) -> str:
        """The text of the last request's messages (system and user)."""
        messages = self.requests[-1]["messages"] if self.requests else []
        return "\n\n".join(str(message.get("content", "")) for message in messages)


def _handler_for(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: a streamed body ends when the connection closes, so a reply cut off after
        # some pieces looks, on the wire, like any other streamed reply (no final chunk).
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
            pass

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                if self.path not in (OPENAI_PATH, OLLAMA_PATH):
                    self._send(404, b'{"error": "not found"}')
                    return
                _Exchange(self, server, body, ollama=self.path == OLLAMA_PATH).answer()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout): nothing left to send

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


class _Exchange:
    """One request answered by the current script, in the shape of its API."""

    def __init__(
        self,
        handler: BaseHTTPRequestHandler,
        server: ChatServer,
        body: dict[str, Any],
        *,
        ollama: bool,
    ) -> None:
        self.handler = handler
        self.server = server
        self.ollama = ollama
        self.model = str(body.get("model", "scripted"))
        # Ollama streams unless told not to; OpenAI-compatible endpoints only when asked.
        self.stream = bool(body.get("stream", ollama))
        self.script = REPLIES[server.reply]
        prompt = "\n\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        self.text = self.script.text(prompt)

    def answer(self) -> None:
        behaviour = self.script.behaviour
        if behaviour == "slow":
            self._wait(self.server.slow_s)
        if behaviour == "status":
            self._error(self.script.status)
        elif behaviour == "malformed":
            self._headers(200, streamed=self.stream)
            broken = b"{not json\n" if self.ollama else b"data: {not json\n\n"
            self._write(broken if self.stream else b"{not json")
        elif self.stream:
            self._stream()
        else:
            self._whole()

    def _whole(self) -> None:
        if self.script.behaviour == "stall":
            self._wait(self.server.slow_s)
        payload = json.dumps(self._whole_reply()).encode()
        truncated = self.script.behaviour == "truncated"
        self._headers(200, streamed=False, length=len(payload))
        self._write(payload[: len(payload) // 2] if truncated else payload)

    def _stream(self) -> None:
        self._headers(200, streamed=True)
        pieces = _PIECE.findall(self.text)
        if self.script.behaviour == "truncated":
            pieces = pieces[: max(1, len(pieces) // 2)]
        sentence_done = False
        for piece in pieces:
            self._write(self._piece_event(piece))
            if self.server.piece_delay_s:
                time.sleep(self.server.piece_delay_s)
            if not sentence_done and piece.rstrip().endswith((".", "!", "?")):
                sentence_done = True
                self.server.first_sent.set()
                if self.script.behaviour == "stall":
                    self._wait(self.server.slow_s)
                if self.server.hold is not None:
                    self.server.hold.wait(timeout=60)
        if self.script.behaviour != "truncated":
            self._write(self._final_event())

    def _whole_reply(self) -> dict[str, Any]:
        if self.ollama:
            return self._ollama_line(self.text, done=True)
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": 0,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def _piece_event(self, piece: str) -> bytes:
        if self.ollama:
            return json.dumps(self._ollama_line(piece, done=False)).encode() + b"\n"
        return self._sse({"delta": {"role": "assistant", "content": piece}, "finish_reason": None})

    def _final_event(self) -> bytes:
        if self.ollama:
            return json.dumps(self._ollama_line("", done=True)).encode() + b"\n"
        return self._sse({"delta": {}, "finish_reason": "stop"}) + b"data: [DONE]\n\n"

    def _sse(self, choice: dict[str, Any]) -> bytes:
        chunk = {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, **choice}],
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()

    def _ollama_line(self, content: str, *, done: bool) -> dict[str, Any]:
        line: dict[str, Any] = {
            "model": self.model,
            "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": content},
            "done": done,
        }
        if done:
            line.update(done_reason="stop", total_duration=1, eval_count=1, prompt_eval_count=1)
        return line

    def _error(self, status: int) -> None:
        message = f"scripted HTTP {status}"
        body: dict[str, Any] = (
            {"error": message}
            if self.ollama
            else {"error": {"message": message, "type": "server_error", "code": status}}
        )
        payload = json.dumps(body).encode()
        self._headers(status, streamed=False, length=len(payload))
        self._write(payload)

    def _headers(self, status: int, *, streamed: bool, length: int | None = None) -> None:
        handler = self.handler
        handler.send_response(status)
        if streamed:
            kind = "application/x-ndjson" if self.ollama else "text/event-stream"
        else:
            kind = "application/json"
        handler.send_header("Content-Type", kind)
        if length is not None:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()

    def _write(self, data: bytes) -> None:
        self.handler.wfile.write(data)
        self.handler.wfile.flush()

    def _wait(self, seconds: float) -> None:
        self.server.stopping.wait(timeout=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reply", choices=sorted(REPLIES), default="faithful")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--slow-s", type=float, default=3.0)
    parser.add_argument("--piece-delay-s", type=float, default=0.0)
    args = parser.parse_args()
    server = ChatServer(
        args.reply, port=args.port, slow_s=args.slow_s, piece_delay_s=args.piece_delay_s
    )
    print(
        f"scripted reply {args.reply!r}: OpenAI-compatible {server.openai_url}, "
        f"Ollama {server.url}; Ctrl-C to stop",
        flush=True,
    )
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
