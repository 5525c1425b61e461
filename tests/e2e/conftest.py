"""Real-browser tests: Debian's Chromium driven by Playwright against a real server.

Chromium comes from Debian (`apt-get install -y chromium`, /usr/bin/chromium); Playwright
never downloads a browser here. Without the binary the tests skip on a developer machine,
but fail when ARENA_REQUIRE_BROWSER=1 (which `.ci/run` sets), so CI cannot pass without them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.conftest import live_env, phones, server, store  # noqa: F401  (fixtures reused)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = "没有 /usr/bin/chromium（apt-get install -y chromium）：浏览器用例未运行"
        if os.environ.get("ARENA_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


ERRORS: list[str] = []  # uncaught exceptions, console errors (a CSP violation is one), HTTP >= 400


def watch(page: Any) -> Any:
    """Record every error of ``page``; the test fails at its end if any was recorded."""
    page.on("pageerror", lambda error: ERRORS.append(f"{page.url}: {error}"))
    page.on("response", lambda r: r.status >= 400 and ERRORS.append(f"HTTP {r.status} {r.url}"))
    page.on("console", lambda m: m.type == "error" and ERRORS.append(f"{page.url}: {m.text} {m.location}"))
    return page


@pytest.fixture(autouse=True)
def no_page_errors() -> Iterator[None]:
    ERRORS.clear()
    yield
    assert ERRORS == []
