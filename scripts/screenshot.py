"""Screenshot of the app answering the seed question, for the README (docs/screenshot.png).

Builds the index if needed, serves the real app on a free local port, asks the question in
headless Chromium (Debian's package: `apt-get install -y chromium`), waits for the cited
answer and saves the page. Every request that would leave 127.0.0.1 is blocked and listed.

    .venv/bin/python -m scripts.screenshot [--out docs/screenshot.png] [--question "..."]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import assistant.offline  # noqa: F401  (offline variables before heavy imports)

SEED_QUESTION = "What is the recommended vitamin B12 level for treating anemia?"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Scroll the chat so the last question sits just below the chat's label, not under it.
SHOW_TURN_FROM_START = """el => {
  el.scrollIntoView({block: 'start'});
  let box = el.parentElement;
  while (box && box.scrollHeight <= box.clientHeight) box = box.parentElement;
  if (box) box.scrollTop -= 48;
}"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def capture(
    url: str, question: str, out: Path, *, width: int = 1280, height: int = 1180
) -> list[str]:
    """Ask `question` in the page at `url`, save a PNG; return the blocked outside requests."""
    from playwright.sync_api import Route, sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    blocked: list[str] = []

    def local_only(route: Route) -> None:
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            context.route("**/*", local_only)
            page = context.new_page()
            page.goto(url, wait_until="load")
            box = page.get_by_role("textbox").first
            box.fill(question)
            box.press("Enter")
            # Sources arrive with the first answer frame; the box is editable again at the end.
            page.get_by_text("Sources:").first.wait_for(timeout=180_000)
            page.wait_for_function(
                "() => !document.querySelector('textarea').disabled", timeout=180_000
            )
            page.wait_for_timeout(1500)  # let the chat finish its own scrolling first
            # Show the turn from its start: the question, its sources card, the answer.
            page.locator("[data-testid=user]").last.evaluate(SHOW_TURN_FROM_START)
            page.wait_for_timeout(500)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            context.close()
    return blocked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    parser.add_argument("--question", default=SEED_QUESTION)
    args = parser.parse_args()

    from assistant.app.ui import ChatHandlers, build_app, launch
    from assistant.config import get_settings
    from assistant.index.build import ensure_index

    settings = get_settings()
    ensure_index(settings)
    settings = settings.model_copy(
        update={"serve": settings.serve.model_copy(update={"port": free_port()})}
    )
    app = build_app(settings, ChatHandlers.for_settings(settings))
    url = launch(app, settings, block=False)
    try:
        blocked = capture(url, args.question, args.out)
    finally:
        app.close()
    for request in blocked:
        print(f"blocked outside request: {request}", file=sys.stderr)
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
