"""Screenshots of the app for the README, at 1280 px (desktop) and 390 px (phone).

Builds the index if needed, serves the real app on a free local port and, in headless Chromium
(Debian's package: `apt-get install -y chromium`), asks the seed question, follows up with the
first suggested question, sends a lab message and asks the seed question in patient mode. Every
request that would leave 127.0.0.1 is blocked and listed.

    .venv/bin/python -m scripts.screenshot [--out docs]   # or: make screenshot

Writes docs/screenshot.png (the README's first picture) and docs/screenshots/<width>-<scene>.png.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import assistant.offline  # noqa: F401  (offline variables before heavy imports)

SEED_QUESTION = "What is the recommended vitamin B12 level for treating anemia?"
LAB_MESSAGE = "B12 240 ng/L, MMA 410 nmol/L"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
VIEWPORTS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
TIMEOUT_MS = 180_000
IDLE = "() => !document.querySelector('#question textarea').disabled"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_answers(page: Any, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('#chat .answer').length >= {count}", timeout=TIMEOUT_MS
    )
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    page.wait_for_timeout(800)  # the page script places the view on the answer's first line


def ask(page: Any, question: str) -> None:
    count = page.locator("#chat .answer").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    wait_for_answers(page, count + 1)


def seed(page: Any) -> None:
    ask(page, SEED_QUESTION)


def follow_up(page: Any) -> None:
    ask(page, SEED_QUESTION)
    count = page.locator("#chat .answer").count()
    page.locator("#suggestions button:visible").first.click()
    wait_for_answers(page, count + 1)


def lab(page: Any) -> None:
    ask(page, LAB_MESSAGE)


def patient(page: Any) -> None:
    page.locator("#audience").get_by_text("Patient").click()
    page.wait_for_function("() => document.querySelector('#banner').innerText.includes('patients')")
    ask(page, SEED_QUESTION)


SCENES: dict[str, Callable[[Any], None]] = {
    "seed": seed,
    "follow-up": follow_up,
    "lab": lab,
    "patient": patient,
}


def capture(url: str, out: Path) -> tuple[list[Path], list[str]]:
    """Every scene at every width; returns the files written and the blocked outside requests."""
    from playwright.sync_api import Route, sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    blocked: list[str] = []
    written: list[Path] = []

    def local_only(route: Route) -> None:
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for width, viewport in VIEWPORTS.items():
                for name, scene in SCENES.items():
                    # A fresh context per scene: its own (empty) saved conversation.
                    context = browser.new_context(viewport=viewport)
                    context.route("**/*", local_only)
                    page = context.new_page()
                    page.goto(url, wait_until="load")
                    page.locator("#question textarea").wait_for(timeout=TIMEOUT_MS)
                    scene(page)
                    page.mouse.move(0, 0)  # no hover effect in the picture
                    page.wait_for_timeout(400)
                    path = out / "screenshots" / f"{width}-{name}.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(path))
                    written.append(path)
                    context.close()
        finally:
            browser.close()
    hero = out / "screenshot.png"
    hero.write_bytes((out / "screenshots" / "1280-seed.png").read_bytes())
    return [hero, *written], blocked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
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
        written, blocked = capture(url, args.out)
    finally:
        app.close()
    for request in blocked:
        print(f"blocked outside request: {request}", file=sys.stderr)
    for path in written:
        print(f"saved {path}")
    return 1 if blocked else 0


if __name__ == "__main__":
    raise SystemExit(main())
