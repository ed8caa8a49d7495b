"""Offline for real: start-up and a first answer through the served app make no outbound DNS
lookup or connection, from Python (a socket guard) or from native code such as ONNX Runtime's
telemetry uploader (strace, when it is installed)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from tests.reliability.conftest import SEED_QUESTION, free_port, record_figure

pytestmark = pytest.mark.integration

TIMEOUT = 300
SECONDS_AFTER_ANSWER = 10.0  # ONNX Runtime's uploader starts a few seconds after its session

# Runs in a fresh interpreter: a guard on every Python socket call, then the real app.
GUARDED_APP = r"""
import json, os, socket, sys, time
from ipaddress import ip_address

attempts = []


def loopback(host):
    if isinstance(host, bytes):
        host = host.decode()
    if host in (None, "", "localhost", "0.0.0.0"):
        return True
    try:
        return ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving it is already traffic


def refuse(what):
    attempts.append(what)
    raise OSError(f"refused by the offline test: {what}")


real_getaddrinfo = socket.getaddrinfo
real_gethostbyname = socket.gethostbyname
real_gethostbyname_ex = socket.gethostbyname_ex
real_connect = socket.socket.connect
real_connect_ex = socket.socket.connect_ex
real_sendto = socket.socket.sendto


def getaddrinfo(host, *args, **kwargs):
    if not loopback(host):
        refuse(f"getaddrinfo {host!r}")
    return real_getaddrinfo(host, *args, **kwargs)


def gethostbyname(host):
    if not loopback(host):
        refuse(f"gethostbyname {host!r}")
    return real_gethostbyname(host)


def gethostbyname_ex(host):
    if not loopback(host):
        refuse(f"gethostbyname_ex {host!r}")
    return real_gethostbyname_ex(host)


def checked(address):
    if isinstance(address, (str, bytes)):
        return  # a Unix socket
    if not loopback(address[0]):
        refuse(f"connect {address!r}")


def connect(self, address):
    checked(address)
    return real_connect(self, address)


def connect_ex(self, address):
    checked(address)
    return real_connect_ex(self, address)


def sendto(self, data, *args):
    checked(args[-1])
    return real_sendto(self, data, *args)


socket.getaddrinfo = getaddrinfo
socket.gethostbyname = gethostbyname
socket.gethostbyname_ex = gethostbyname_ex
socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
socket.socket.sendto = sendto

from assistant.app.ui import build_app, launch  # noqa: E402
from assistant.config import Settings  # noqa: E402

settings = Settings.model_validate_json(sys.argv[1])
app = build_app(settings)
url = launch(app, settings, block=False)
from gradio_client import Client  # noqa: E402

answer = Client(url, verbose=False).predict(sys.argv[2], api_name="/chat")
time.sleep(float(sys.argv[3]))
app.close()
print(json.dumps({"attempts": attempts, "answer": answer, "environ": dict(os.environ)}))
"""

_INET = re.compile(r'sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
_INET6 = re.compile(r'sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, "([^"]+)"')
_NSCD = re.compile(r'sun_path="(/var/run/nscd/socket|/run/nscd/socket)"')


def native_attempts(trace: str) -> list[str]:
    """Outbound connections or datagrams (DNS included) seen by strace, loopback left out."""
    found = []
    for line in trace.splitlines():
        for port, address in [*_INET.findall(line), *_INET6.findall(line)]:
            if not (address.startswith("127.") or address in ("::1", "0.0.0.0")):
                found.append(f"{address}:{port}")
        if _NSCD.search(line):
            found.append("nscd (a host name lookup)")
    return found


def strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(
        ["strace", "-f", "-o", os.devnull, "true"], capture_output=True, timeout=30, check=False
    )
    return probe.returncode == 0


def test_start_up_and_a_first_answer_make_no_outbound_call(
    indexed_settings: Settings, tmp_path: Path
) -> None:
    settings = indexed_settings.model_copy(
        update={"serve": indexed_settings.serve.model_copy(update={"port": free_port()})}
    )
    # A clean environment: no offline variable set by the test run itself.
    env = {k: v for k, v in os.environ.items() if not _is_offline_switch(k)}
    command = [
        sys.executable, "-c", GUARDED_APP,
        settings.model_dump_json(), SEED_QUESTION, str(SECONDS_AFTER_ANSWER),
    ]  # fmt: skip
    traced = strace_works()
    trace_file = tmp_path / "strace.txt"
    if traced:
        command = [
            "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg",
            "-o", str(trace_file), *command,
        ]  # fmt: skip

    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )

    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert "[1]" in outcome["answer"], "a real, cited first answer"
    native = native_attempts(trace_file.read_text()) if traced else []
    record_figure(
        "offline.start_up_and_first_answer",
        {
            "python_attempts": len(outcome["attempts"]),
            "native_attempts": len(native),
            "native_traced": traced,
        },
    )
    assert outcome["attempts"] == []
    assert native == []
    assert outcome["environ"]["ORT_DISABLE_TELEMETRY"] == "1"


def _is_offline_switch(name: str) -> bool:
    from assistant.offline import _OFFLINE_ENV

    return name in _OFFLINE_ENV or name == "ORT_DISABLE_TELEMETRY"


def test_every_runtime_switch_is_set_before_the_runtimes_load() -> None:
    script = (
        "import os, sys\n"
        "import assistant.index.embeddings, assistant.index.store\n"
        "assert 'onnxruntime' not in sys.modules and 'chromadb' not in sys.modules\n"
        "import json\n"
        "print(json.dumps(dict(os.environ)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not _is_offline_switch(k)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True,
        text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    environ = json.loads(done.stdout)
    expected = {
        "ORT_DISABLE_TELEMETRY": "1",  # ONNX Runtime (1DS uploader)
        "ANONYMIZED_TELEMETRY": "False",  # Chroma (PostHog)
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
    }
    assert {key: environ.get(key) for key in expected} == expected
