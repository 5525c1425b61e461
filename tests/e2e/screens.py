"""The big screen's size checks, shared by the quiz and scenario browser tests.

Chromium fires `resize` in the next frame's rendering steps, not when Playwright's
set_viewport_size returns: a check made at once reads the new size with the old size's
text scale (seen: the reveal at 4K overflowed in CI before the screen's refit ran). `resize`
waits two animation frames, by which time the page's resize handler has run once.
"""

from typing import Any

HOST_SIZE = {"width": 1920, "height": 1080}
UHD_SIZE = {"width": 3840, "height": 2160}
SIZES = ((HOST_SIZE, ""), (UHD_SIZE, "-4k"))


def resize(page: Any, size: dict[str, int]) -> None:
    page.set_viewport_size(size)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def overflowing(page: Any, boxes: str) -> list[str]:
    """Ids of the visible screen, `boxes` and #app whose content does not fit (a big screen never scrolls)."""
    return page.evaluate(
        """(boxes) => [...document.querySelectorAll(`.screen:not([hidden]), ${boxes}, #app`)]
              .filter((el) => el.offsetParent !== null || el.id === 'app')
              .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
              .map((el) => el.id)""",
        boxes,
    )
