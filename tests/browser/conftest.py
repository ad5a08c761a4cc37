"""A live server on loopback and Debian's chromium driven by Playwright.

The browser tests are skipped, saying why, only when no chromium is installed (`make test`
tries to install it first).
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import _free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture()
def live_server(app, monkeypatch):
    """The app served on 127.0.0.1 in a thread; links in emails point at it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setitem(app.config, "BASE_URL", base)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"No chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) "
                    "to run the browser tests.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class ConsoleWatch:
    """Collects every console error and page error of the pages it watches."""

    def __init__(self):
        self.errors: list[str] = []

    def watch(self, page):
        page.on("console", lambda message: self.errors.append(f"{page.url}: {message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("dialog", lambda dialog: dialog.accept())
        return page


@pytest.fixture()
def console():
    return ConsoleWatch()


@pytest.fixture()
def new_page(chromium, console):
    contexts = []

    def make(**options):
        context = chromium.new_context(**options)
        contexts.append(context)
        return console.watch(context.new_page())

    yield make
    for context in contexts:
        context.close()
