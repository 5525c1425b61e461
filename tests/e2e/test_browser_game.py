"""The host's big screen and three phones play a two-question game to the podium in real
Chromium, one phone reloading mid-question; screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from app.live.store import LiveStore
from tests.live.conftest import Server, new_game, single

HOST_SIZE = {"width": 1920, "height": 1080}
PHONE_SIZE = {"width": 390, "height": 844}


def phone(browser: Any, url: str) -> Page:
    context = browser.new_context(viewport=PHONE_SIZE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url)
    return page


def join(page: Page, nickname: str, team: str) -> None:
    expect(page.locator("#join-team option")).to_have_count(2)
    page.fill("#join-nickname", nickname)
    page.select_option("#join-team", team)
    page.click("#join-button")
    expect(page.get_by_test_id("wait")).to_be_visible()


def answer(page: Page, index: int, *, closes: bool = False) -> None:
    """Tap an option; the phone shows 已提交, or its result when its answer was the last."""
    page.locator(f"#choices button[data-index='{index}']").click()
    expect(page.get_by_test_id("result" if closes else "submitted")).to_be_visible()


def test_a_game_on_the_big_screen_and_three_phones(
    browser: Any, server: Server, store: LiveStore, artifacts: Path
) -> None:
    questions = [
        single("党的最高理想和最终目标是（ ）。", ["全面小康", "民族复兴", "现代化", "实现共产主义"], 3),
        single("党的根本组织原则是（ ）。", ["民主集中制", "集体领导", "个人分工负责", "少数服从多数"], 0),
    ]
    pin, token = new_game(store, questions)
    host = browser.new_context(viewport=HOST_SIZE).new_page()
    host.goto(f"{server.url}/host/{pin}#token={token}")
    expect(host.get_by_test_id("lobby")).to_be_visible()
    expect(host.locator("#pin")).to_have_text(pin)

    phones = {name: phone(browser, f"{server.url}/play/{pin}") for name in ("张三", "李四", "王五")}
    phones["张三"].screenshot(path=artifacts / "phone-join.png")
    for name, team in (("张三", "红队"), ("李四", "蓝队"), ("王五", "红队")):
        join(phones[name], name, team)
    expect(host.locator("#lobby-count")).to_have_text("3")
    expect(host.locator("#teams .team h3")).to_have_text(["红队（2）", "蓝队（1）"])
    expect(host.locator("#teams .names li")).to_contain_text(["张三", "王五", "李四"])
    host.screenshot(path=artifacts / "host-lobby.png")

    # Question 1: the space bar starts the game.
    host.keyboard.press("Space")
    expect(host.get_by_test_id("question")).to_be_visible()
    expect(host.locator("#stem")).to_have_text(questions[0]["stem"])
    expect(host.locator("#options .letter")).to_have_text(["A", "B", "C", "D"])
    for page in phones.values():
        expect(page.get_by_test_id("answer")).to_be_visible()
    host.screenshot(path=artifacts / "host-question.png")
    phones["李四"].screenshot(path=artifacts / "phone-question.png")
    answer(phones["张三"], 3)
    expect(host.get_by_test_id("answered-count")).to_have_text("1")
    # 张三 reloads after answering: back in the seat, and it knows it answered.
    phones["张三"].reload()
    expect(phones["张三"].get_by_test_id("submitted")).to_be_visible()
    expect(phones["张三"].locator("#me")).to_contain_text("张三 · 红队")
    answer(phones["李四"], 0)
    answer(phones["王五"], 3, closes=True)  # the last answer closes the question at once

    expect(host.get_by_test_id("reveal")).to_be_visible()
    expect(host.locator("#reveal-options .option.correct")).to_have_count(1)
    expect(host.locator("#reveal-options .option.correct .text")).to_have_text("实现共产主义")
    expect(host.locator("#reveal-options .count")).to_have_text(["1 人", "0 人", "0 人", "2 人"])
    expect(host.get_by_test_id("reveal-answer")).to_have_text("正确答案：D. 实现共产主义")
    expect(host.locator("#explanation")).to_have_text(questions[0]["explanation"])
    host.screenshot(path=artifacts / "host-reveal.png")

    seats = {player["nickname"]: pid for pid, player in store.players(pin).items()}
    for name, page in phones.items():
        result = store.result(pin, 0, seats[name])
        expect(page.get_by_test_id("result")).to_be_visible()
        expect(page.locator("#result-points")).to_have_text(str(result["points"]))
        expect(page.locator("#result-score")).to_have_text(str(result["score"]))
        expect(page.locator("#result-rank")).to_have_text(str(result["rank"]))
    assert store.result(pin, 0, seats["李四"])["points"] == 0
    assert store.result(pin, 0, seats["张三"])["points"] > 0
    expect(phones["李四"].locator("#result-title")).to_have_text("回答错误 ✗")
    phones["张三"].screenshot(path=artifacts / "phone-result.png")

    host.keyboard.press("ArrowRight")
    expect(host.get_by_test_id("leaderboard")).to_be_visible()
    order = [store.players(pin)[pid]["nickname"] for pid in store.ranking(pin)]
    expect(host.locator("#top-players .who")).to_have_text(order)
    expect(host.locator("#team-board .who")).to_have_text(["红队", "蓝队"])
    host.screenshot(path=artifacts / "host-leaderboard.png")

    # Question 2: 李四 reloads before answering and answers after the reload.
    host.locator("[data-testid=next]").click()
    expect(host.locator("#stem")).to_have_text(questions[1]["stem"])
    expect(phones["李四"].get_by_test_id("answer")).to_be_visible()
    phones["李四"].reload()
    expect(phones["李四"].get_by_test_id("answer")).to_be_visible()
    expect(phones["李四"].locator("#answer-stem")).to_have_text(questions[1]["stem"])
    answer(phones["李四"], 0)
    answer(phones["张三"], 0)
    answer(phones["王五"], 1, closes=True)
    expect(host.get_by_test_id("reveal")).to_be_visible()
    expect(host.locator("#reveal-options .option.correct .text")).to_have_text("民主集中制")
    host.keyboard.press("Space")  # leaderboard
    expect(host.get_by_test_id("leaderboard")).to_be_visible()
    host.keyboard.press("Space")  # podium after the last question
    expect(host.get_by_test_id("podium")).to_be_visible()
    final = [store.players(pin)[pid]["nickname"] for pid in store.ranking(pin)]
    scores = store.scores(pin)
    expect(host.locator("#podium-players .who")).to_have_text(final)
    expect(host.locator("#podium-players .score")).to_have_text(
        [f"{scores[seats[name]]['score']} 分" for name in final]
    )
    host.screenshot(path=artifacts / "host-podium.png")
    host.set_viewport_size({"width": 3840, "height": 2160})
    host.screenshot(path=artifacts / "host-podium-4k.png")
    for name, page in phones.items():
        expect(page.get_by_test_id("over")).to_be_visible()
        expect(page.locator("#over-score")).to_have_text(str(scores[seats[name]]["score"]))
    phones["王五"].screenshot(path=artifacts / "phone-over.png")
    assert re.fullmatch(r"\d{6}", pin)


def test_a_wrong_pin_shows_the_servers_message(browser: Any, server: Server) -> None:
    from app.live.protocol import ERRORS

    page = phone(browser, f"{server.url}/play/000000")
    expect(page.locator("#notice")).to_have_text(ERRORS["game_not_found"])
    host = browser.new_context(viewport=HOST_SIZE).new_page()
    host.goto(f"{server.url}/host/000000#token=wrong")
    expect(host.locator("#notice")).to_have_text(ERRORS["game_not_found"])
