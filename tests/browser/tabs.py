"""Devices (browser contexts: one cookie jar each), tabs (pages) and steps with screenshots.

A tab talks to the example page only as a person would (buttons, fields), plus the page's own state
in ``body[data-state]`` (loading, signed-in, signed-out), ``data-busy`` (actions in flight) and
``data-done`` (actions finished), which the page keeps for exactly this.
"""

# mypy: disable-error-code="import-not-found"
# (see conftest.py: Playwright comes from tools/scripts/setup-browser.sh)

from __future__ import annotations

import contextlib
import itertools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Cookie, Page, ViewportSize, expect

VIEWPORT: ViewportSize = {"width": 1200, "height": 900}
TIMEOUT_MS = 20_000
# Poll the page on a timer: requestAnimationFrame (Playwright's default) hardly runs in a tab that
# is not in front, and most tabs here are not.
POLL_MS = 25
_step_numbers = itertools.count(1)  # across the whole run, so that the files sort in running order


class Tab:
    def __init__(self, name: str, page: Page, base_url: str) -> None:
        self.name = name
        self.page = page
        self.base_url = base_url
        self.log: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda message: self._record(f"console.{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self._record(f"page error: {error}"))
        page.on(
            "requestfailed", lambda request: self._record(f"request failed: {request.method} {request.url}")
        )
        page.on("response", self._on_response)

    def _on_response(self, response: Any) -> None:
        path = response.url.removeprefix(self.base_url)
        if path.startswith(("/api/", "/auth/")):
            self._record(f"HTTP {response.status} {response.request.method} {path}")

    def _record(self, line: str) -> None:
        now = time.time()
        self.log.append(f"{time.strftime('%H:%M:%S', time.localtime(now))}.{int(now % 1 * 1000):03d} {line}")

    # -- the page's state --------------------------------------------------------------------------

    def open(self) -> Tab:
        """Load the page (no polling: the test decides every call) and wait for its first render."""
        self.page.goto(f"{self.base_url}/?poll=0")
        self.wait_done(0)
        return self

    def reload(self) -> None:
        self.page.reload()
        self.wait_done(0)

    @property
    def state(self) -> str:
        return self.page.locator("body").get_attribute("data-state") or ""

    def expect_state(self, state: str) -> None:
        """``signed-in`` or ``signed-out``: the page says so, and shows only that part."""
        expect(self.page.locator("body")).to_have_attribute("data-state", state)
        shown, hidden = (
            ("#signed-in", "#signed-out") if state == "signed-in" else ("#signed-out", "#signed-in")
        )
        expect(self.page.locator(shown)).to_be_visible()
        expect(self.page.locator(hidden)).to_be_hidden()

    def expect_no_error(self) -> None:
        expect(self.page.locator("#error")).to_be_hidden()

    def done(self) -> int:
        return int(self.page.locator("body").get_attribute("data-done") or "0")

    def wait_done(self, before: int) -> None:
        """Until an action after the ``before``-th has finished and none is in flight."""
        self.page.wait_for_function(
            "n => Number(document.body.dataset.done) > n && document.body.dataset.busy === '0'",
            arg=before,
            polling=POLL_MS,
        )

    def json(self, selector: str) -> Any:
        return json.loads(self.page.inner_text(selector))

    @property
    def payload(self) -> dict[str, Any]:
        """The live access-token payload (the SDK's front token), as the page shows it."""
        value: dict[str, Any] = self.json("#payload")
        return value

    @property
    def events(self) -> list[str]:
        """The SDK's events, oldest first."""
        items = self.page.locator("#events li").evaluate_all("items => items.map(i => i.dataset.action)")
        return list(reversed(items))

    # -- what a person does ------------------------------------------------------------------------

    def front(self) -> None:
        """Bring this tab to the front, as a person does before using it (a hidden tab gets no
        animation frames, which Playwright's clicks wait for)."""
        self.page.bring_to_front()

    def click(self, selector: str) -> None:
        before = self.done()
        self.front()
        self.page.click(selector)
        self.wait_done(before)

    def fill(self, **fields: str) -> None:
        self.front()
        for field, value in fields.items():
            self.page.fill("#" + field.replace("_", "-"), value)

    def sign_in(self, name: str) -> None:
        self.expect_state("signed-out")
        self.fill(name=name)
        self.click("#signin")
        self.expect_state("signed-in")
        self.expect_no_error()

    def click_at(self, selector: str, at_ms: float) -> int:
        """Click ``selector`` at ``at_ms`` (the browser's Date.now()); returns the done count to wait on."""
        before = self.done()
        self.page.evaluate(
            "([selector, at]) => setTimeout(() => document.querySelector(selector).click(), at - Date.now())",
            [selector, at_ms],
        )
        return before

    def run_at(self, script: str, at_ms: float) -> None:
        """Start ``script`` (an async function's body) at ``at_ms``; ``wait_run`` waits for its result."""
        self.page.evaluate(
            """([script, at]) => {
                 window.__run = null;
                 const run = new Function("return (async () => {" + script + "})()");
                 setTimeout(() => run().then(
                   (value) => { window.__run = { ok: true, value }; },
                   (error) => { window.__run = { ok: false, error: String(error) }; }), at - Date.now());
               }""",
            [script, at_ms],
        )

    def wait_run(self) -> Any:
        self.page.wait_for_function("() => window.__run !== null", polling=POLL_MS)
        result = self.page.evaluate("() => window.__run")
        assert result["ok"], f"tab {self.name}: {result['error']}"
        return result["value"]


class Device:
    """One browser context: its tabs share cookies and localStorage, as a browser's tabs do."""

    def __init__(self, name: str, context: BrowserContext, base_url: str) -> None:
        self.name = name
        self.context = context
        self.base_url = base_url
        self.tabs: list[Tab] = []

    def tab(self, name: str) -> Tab:
        tab = Tab(name, self.context.new_page(), self.base_url)
        self.tabs.append(tab)
        return tab.open()

    def cookie(self, name: str) -> Cookie:
        found = [cookie for cookie in self.context.cookies() if cookie.get("name") == name]
        assert len(found) == 1, f"{self.name}: expected one {name} cookie, found {found}"
        return found[0]

    def forget_cookie(self, name: str) -> None:
        """Drop the cookie ``name`` from the jar, as the browser does when it expires."""
        self.context.clear_cookies(name=name)

    def put_cookie(self, cookie: Cookie) -> None:
        """Put ``cookie`` back in the jar (it replaces the one of the same name, domain and path)."""
        self.context.add_cookies(
            [
                {
                    "name": cookie["name"],
                    "value": cookie["value"],
                    "domain": cookie["domain"],
                    "path": cookie["path"],
                    "expires": cookie["expires"],
                    "httpOnly": cookie["httpOnly"],
                    "secure": cookie["secure"],
                    "sameSite": cookie["sameSite"],
                }
            ]
        )


class Steps:
    def __init__(self, browser: Browser, base_url: str, output_dir: Path, test_name: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.output_dir = output_dir
        self.test_name = test_name
        self.devices: list[Device] = []

    def device(self, name: str) -> Device:
        context = self.browser.new_context(viewport=VIEWPORT)
        device = Device(name, context, self.base_url)
        self.devices.append(device)
        return device

    @property
    def tabs(self) -> list[Tab]:
        return [tab for device in self.devices for tab in device.tabs]

    @contextlib.contextmanager
    def step(self, title: str, *tabs: Tab) -> Iterator[None]:
        """A screenshot of each of ``tabs`` (all tabs if none) after the step, or when it fails,
        then the pages' console logs and the servers' last lines."""
        number = next(_step_numbers)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        try:
            yield
        except BaseException:
            shots = self._screenshots(f"{number:02d}-{slug}-FAILED", tabs or tuple(self.tabs))
            self._report(title, shots)
            raise
        self._screenshots(f"{number:02d}-{slug}", tabs or tuple(self.tabs))

    def _screenshots(self, stem: str, tabs: tuple[Tab, ...]) -> list[Path]:
        paths = []
        for tab in tabs:
            path = self.output_dir / f"{stem}-{tab.name}.png"
            with contextlib.suppress(Exception):  # a crashed page must not hide the real failure
                tab.page.screenshot(path=path, full_page=True)
                paths.append(path)
        return paths

    def _report(self, title: str, shots: list[Path]) -> None:
        print(f"\n=== step failed: {title!r} ({self.test_name})")
        for path in shots:
            print(f"screenshot: {path}")
        for tab in self.tabs:
            print(f"\n--- console and calls of tab {tab.name} (last 80 lines) ---")
            print("\n".join(tab.log[-80:]) or "(nothing)")
            with contextlib.suppress(Exception):
                print(f"--- tab {tab.name}: state {tab.state}, error line {tab.page.inner_text('#error')!r}")
        for log in ("example-app.log", "authstate.log"):
            lines = (self.output_dir / log).read_text(errors="replace").splitlines()
            print(f"\n--- {log} (last 30 lines; all of it in {self.output_dir / log}) ---")
            print("\n".join(lines[-30:]) or "(empty)")

    def close(self) -> None:
        for tab in self.tabs:
            path = self.output_dir / f"console-{self.test_name}-{tab.name}.log"
            path.write_text("\n".join(tab.log) + "\n")
        for device in self.devices:
            with contextlib.suppress(Exception):
                device.context.close()
