"""A scenario run (红色剧本杀) in real Chromium: the host's console, the big screen and three
phones play tests/scenario/data/mini.yaml from the lobby to the reveal: roles dealt, a prop
card scanned, a place searched, a checkpoint answered, the vote and the reveal. A second run
has a late phone take over the seat of one that left, and a private note from the host.
What the pages show is compared with the run's state in Redis. Screenshots go to
tests/e2e/artifacts/."""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.extensions import database
from app.realtime import scenario_runs
from app.scenario import protocol
from app.scenario.results import load_scenario, open_run
from tests.e2e.conftest import watch
from tests.e2e.screens import HOST_SIZE, SIZES, overflowing, resize
from tests.live.conftest import Server

pytestmark = pytest.mark.e2e

MINI = Path(__file__).parents[1] / "scenario" / "data" / "mini.yaml"
# The scenario screen's own boxes that must fit, besides the screen itself.
BOXES = "#lobby-groups, #group-cards, #decisions, #debrief"
CONSOLE_SIZE = {"width": 1366, "height": 900}
PHONE_SIZE = {"width": 390, "height": 844}
ROLE_NAMES = {"op": "报务员", "wife": "掩护人", "mole": "邻居", "boss": "交通员", "kid": "报童"}
SCRIPTS = {"op": "你刚收到一份电报。", "wife": "你注意到邻居最近常来串门。", "mole": "你要掩饰自己。"}


def new_run(app: Any) -> tuple[str, str]:
    """The mini scenario loaded and one run of one group opened, in the server's database and Redis."""
    with database(app).transaction() as session:
        load_scenario(session, MINI.read_bytes())
    run, token = open_run(database(app), scenario_runs(app), "mini-radio", groups=1, props_per_group=False)
    assert run.pin
    return run.pin, token


def open_phone(browser: Any, url: str, width: int = PHONE_SIZE["width"]) -> Page:
    """A phone of its own: its own context, so its own localStorage (its own seat)."""
    size = {**PHONE_SIZE, "width": width}
    context = browser.new_context(viewport=size, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = watch(context.new_page())
    page.goto(url)
    return page


def open_wide(browser: Any, url: str, size: dict[str, int], answers: dict[str, str] | None = None) -> Page:
    """The console or the big screen; confirm() is accepted, prompt() answered from `answers`."""
    page = watch(browser.new_context(viewport=size).new_page())

    def dialog(box: Any) -> None:
        if box.type == "prompt":
            box.accept((answers or {}).get("prompt", ""))
        else:
            box.accept()

    page.on("dialog", dialog)
    page.goto(url)
    return page


def join(page: Page, nickname: str) -> None:
    expect(page.get_by_test_id("join")).to_be_visible()
    page.get_by_test_id("join-nickname").fill(nickname)
    page.get_by_test_id("join-button").click()
    expect(page.get_by_test_id("wait")).to_be_visible()
    expect(page.get_by_test_id("wait-title")).to_have_text("已加入，等待主持人开始")
    expect(page.get_by_test_id("me")).to_have_text(f"{nickname} · 第 1 组")


def check_screen(screen: Page, artifacts: Path, name: str) -> None:
    for size, suffix in SIZES:
        resize(screen, size)
        assert overflowing(screen, BOXES) == [], f"screen {name}{suffix} overflows"
        screen.screenshot(path=artifacts / f"scenario-screen-{name}{suffix}.png")
    resize(screen, HOST_SIZE)


def next_act(host: Page, title: str) -> None:
    host.get_by_test_id("next").click()
    expect(host.get_by_test_id("act-title")).to_have_text(title)


def test_a_scenario_run_from_the_lobby_to_the_reveal(
    browser: Any, server: Server, app: Any, artifacts: Path
) -> None:
    pin, token = new_run(app)
    store = scenario_runs(app).store
    host = open_wide(browser, f"{server.url}/scenario/{pin}/host#token={token}", CONSOLE_SIZE)
    expect(host.get_by_test_id("run-title")).to_have_text("电台疑云")
    expect(host.get_by_test_id("pin")).to_have_text(pin)
    expect(host.get_by_test_id("act-title")).to_have_text("大厅：等待玩家加入")
    expect(host.get_by_test_id("screen-link")).to_have_attribute(
        "href", f"/scenario/{pin}/screen#token={token}"
    )
    expect(host).not_to_have_url(re.compile("#token"))  # kept in sessionStorage, out of the address bar
    screen = open_wide(browser, f"{server.url}/scenario/{pin}/screen#token={token}", HOST_SIZE)
    expect(screen.get_by_test_id("lobby")).to_be_visible()
    expect(screen.get_by_test_id("title")).to_have_text("电台疑云")
    expect(screen.get_by_test_id("pin")).to_have_text(pin)
    expect(screen.get_by_test_id("era")).to_have_text("1948 年 上海")
    expect(screen.get_by_test_id("join-url")).to_have_text(re.compile(rf"^https?://\S+/scenario/{pin}/play$"))

    names = ["张三", "李四", "王五"]
    widths = {"张三": 360, "李四": 390, "王五": 430}  # the phones people bring
    phones = {name: open_phone(browser, f"{server.url}/scenario/{pin}/play", widths[name]) for name in names}
    for name, page in phones.items():
        join(page, name)
    expect(phones["张三"].get_by_test_id("wait-members").get_by_test_id("member")).to_have_count(2)
    expect(host.get_by_test_id("player-count")).to_have_text("3")
    expect(host.get_by_test_id("player")).to_have_count(3)
    expect(host.locator("[data-testid=player] .nickname")).to_have_text(sorted(names))
    expect(host.locator("[data-testid=online][data-online='1']")).to_have_count(3)
    expect(screen.get_by_test_id("lobby-count")).to_have_text("3")
    expect(screen.locator("#lobby-groups .team-name")).to_have_text(["第 1 组"])
    expect(screen.locator("#lobby-groups .name")).to_have_text(sorted(names))
    host.screenshot(path=artifacts / "scenario-host-lobby.png", full_page=True)
    check_screen(screen, artifacts, "lobby")
    phones["张三"].screenshot(path=artifacts / "scenario-phone-lobby.png")

    # 下一幕 from the lobby deals the roles and opens act 1.
    next_act(host, "第一幕 阅读剧本")
    expect(host.get_by_test_id("hint")).to_have_text("提醒大家不要给别人看剧本")
    state = store.state(pin)
    assert state["phase"] == "playing" and state["act"] == 0
    roles = {player["nickname"]: player["role"] for player in state["players"].values()}
    assert sorted(roles.values()) == ["mole", "op", "wife"]  # the three required roles
    by_role = {role: name for name, role in roles.items()}
    for name, page in phones.items():
        role = roles[name]
        expect(page.get_by_test_id("game")).to_be_visible()
        expect(page.get_by_test_id("me")).to_have_text(f"{name} · 第 1 组 · {ROLE_NAMES[role]}")
        expect(page.get_by_test_id("role-name")).to_have_text(ROLE_NAMES[role])
        expect(page.get_by_test_id("role-card")).to_have_attribute("open", "")
        expect(page.get_by_test_id("act-title")).to_have_text("第一幕 阅读剧本")
        expect(page.get_by_test_id("act-screen")).to_have_text("请阅读你的剧本")
        expect(page.get_by_test_id("timer")).to_have_text(re.compile(r"^[45]:\d\d$"))
        expect(page.locator("[data-testid=script] p")).to_have_text([SCRIPTS[role]])
        titles = ["报纸", "密码本"] if role == "op" else ["报纸"]  # 密码本 is the 报务员's alone
        expect(page.get_by_test_id("clue-title")).to_have_text(titles)
        expect(page.locator("#members .member-role")).to_have_count(2)
    expect(host.get_by_test_id("role-name")).to_have_text([ROLE_NAMES[roles[name]] for name in sorted(names)])
    expect(screen.get_by_test_id("play")).to_be_visible()
    expect(screen.get_by_test_id("act-title")).to_have_text("第一幕 阅读剧本")
    expect(screen.get_by_test_id("act-screen")).to_have_text("请阅读你的剧本")
    expect(screen.get_by_test_id("act-number")).to_have_text("第 1 / 5 幕")
    expect(screen.get_by_test_id("timer")).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(screen.locator("[data-testid=group-clues] .stat-value")).to_have_text("2 / 10")
    phones[by_role["op"]].screenshot(path=artifacts / "scenario-phone-act1.png", full_page=True)
    check_screen(screen, artifacts, "act1")

    # The host pauses the clock: the screen says so; then resumes.
    host.get_by_test_id("pause").click()
    expect(screen.get_by_test_id("timer")).to_have_text(re.compile(r"^已暂停 [45]:\d\d$"))
    expect(host.get_by_test_id("pause")).to_have_text("继续计时")
    host.get_by_test_id("pause").click()
    expect(screen.get_by_test_id("timer")).to_have_text(re.compile(r"^[45]:\d\d$"))

    # Act 2, search: a prop card scanned by one phone, a place searched by another.
    next_act(host, "第二幕 搜证")
    expect(screen.get_by_test_id("act-title")).to_have_text("第二幕 搜证")
    [code] = store.codes(pin)
    scanner, searcher = phones[by_role["wife"]], phones[by_role["op"]]
    scanner.goto(f"{server.url}/s/{code}")
    expect(scanner.get_by_test_id("scan-result")).to_have_text("已为本组解锁线索：信封")
    expect(scanner).to_have_url(f"{server.url}/scenario/{pin}/play")  # a reload does not scan again
    expect(scanner.locator("[data-clue='c-prop'] .clue-title")).to_have_text("信封")
    expect(searcher.get_by_test_id("ap")).to_have_text("2")
    searcher.locator("[data-testid=place][data-place=attic]").click()
    expect(searcher.get_by_test_id("search-result")).to_have_text("在阁楼找到线索：旧电台")
    expect(searcher.get_by_test_id("ap")).to_have_text("1")
    expect(phones[by_role["mole"]].locator("[data-place=shop]")).to_be_disabled()  # barred to the 邻居
    for page in phones.values():
        expect(page.locator("[data-clue='c-attic-1'] .clue-title")).to_have_text("旧电台")
        expect(page.locator("[data-clue='c-prop'] .clue-title")).to_have_text("信封")
    expect(screen.locator("[data-testid=group-clues] .stat-value")).to_have_text("4 / 10")
    expect(host.locator("[data-clue='c-prop'] [data-testid=clue-groups]")).to_have_text("已获得：第 1 组")
    assert set(store.state(pin)["found"]["0"]) == {"c-open", "c-op-private", "c-prop", "c-attic-1"}
    searcher.screenshot(path=artifacts / "scenario-phone-search.png", full_page=True)

    # Act 3, the checkpoints: one right answer opens 暗号 for the group.
    next_act(host, "第三幕 知识关卡")
    answerer = phones[by_role["mole"]]
    item = answerer.locator("[data-checkpoint=k1]")
    item.locator("[data-testid=choice][data-index='1']").click()
    expect(item.get_by_test_id("checkpoint-result")).to_have_text("回答正确 ✓")
    expect(item.get_by_test_id("checkpoint-explanation")).to_have_text("解析：1949年5月27日上海解放。")
    expect(phones[by_role["op"]].locator("[data-clue='c-k1'] .clue-title")).to_have_text("暗号")
    expect(phones[by_role["op"]].locator("[data-clue='c-op-memory'] .clue-title")).to_have_text("回忆")
    expect(screen.locator("[data-testid=group-checkpoints] .stat-value")).to_have_text("100%（1 / 1）")
    # A judge question: 对 / 错; 错 is wrong here.
    judge = phones[by_role["op"]].locator("[data-checkpoint=k2]")
    expect(judge.locator("[data-testid=choice] .text")).to_have_text(["对", "错"])
    judge.locator("[data-testid=choice][data-index='1']").click()
    expect(judge.get_by_test_id("checkpoint-result")).to_have_text("回答错误 ✗")
    expect(judge.get_by_test_id("checkpoint-explanation")).to_have_text("解析：白区工作方针。")
    expect(screen.locator("[data-testid=group-checkpoints] .stat-value")).to_have_text("50%（1 / 2）")
    answerer.screenshot(path=artifacts / "scenario-phone-checkpoint.png", full_page=True)

    # Act 4, the vote: 王五 changes their mind once; two votes for the 邻居, one for the 掩护人.
    next_act(host, "第四幕 投票")
    votes = {"张三": "mole", "李四": "wife", "王五": "op"}
    for name, option in votes.items():
        phones[name].locator(f"[data-testid=vote-option][data-option={option}]").click()
        expect(phones[name].locator("[data-testid=vote-option].picked")).to_have_attribute(
            "data-option", option
        )
    phones["王五"].locator("[data-testid=vote-option][data-option=mole]").click()
    expect(phones["王五"].get_by_test_id("vote-state")).to_have_text("你已投给“邻居”，揭晓前可以改投。")
    expect(phones["王五"].locator("[data-testid=vote-option].picked .mine-mark")).to_have_text("✓ 我的选择")
    expect(screen.locator("[data-testid=group-votes] .stat-value")).to_have_text("3 / 3")
    state = store.state(pin)
    final = {"张三": "mole", "李四": "wife", "王五": "mole"}
    assert state["votes"] == {pid: final[player["nickname"]] for pid, player in state["players"].items()}
    phones["王五"].screenshot(path=artifacts / "scenario-phone-vote.png", full_page=True)

    # Act 5, the reveal.
    next_act(host, "第五幕 复盘")
    expect(screen.get_by_test_id("reveal")).to_be_visible()
    expect(screen.get_by_test_id("answer-text")).to_have_text("邻居")
    expect(screen.get_by_test_id("verdict")).to_have_text("✓ 正确")
    expect(screen.get_by_test_id("group-choice")).to_have_text("本组选择：邻居")
    expect(screen.locator("[data-testid=tally] .tally-option")).to_have_text(["邻居", "掩护人"])
    expect(screen.locator("[data-testid=tally] .tally-count")).to_have_text(["2 票", "1 票"])
    expect(screen.get_by_test_id("reveal-text")).to_have_text("邻居被收买，泄露了电台位置。")
    expect(screen.get_by_test_id("history")).to_have_text("隐蔽战线的同志们在上海坚持斗争。")
    expect(screen.get_by_test_id("lesson")).to_have_text("对党忠诚，保守秘密。")
    expect(screen.locator("#sources li")).to_have_text(["《中国共产党上海史》"])
    expect(screen.get_by_test_id("fiction")).to_have_text("说明：全部人物为虚构。")
    check_screen(screen, artifacts, "reveal")
    for name, page in phones.items():  # long texts wrap: nothing scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= widths[name]
    endings = {"op": "你守住了电台。", "mole": "你被组织识破。", "wife": ""}
    for name, page in phones.items():
        expect(page.get_by_test_id("reveal")).to_be_visible()
        expect(page.get_by_test_id("reveal-answer")).to_have_text("邻居")
        expect(page.get_by_test_id("reveal-decision")).to_have_text("本组选择：邻居 · 正确 ✓")
        expect(page.locator("#reveal-tally .tally-count")).to_have_text(["2 票", "1 票"])
        expect(page.get_by_test_id("lesson")).to_have_text("对党忠诚，保守秘密。")
        ending = endings[roles[name]]
        if ending:
            expect(page.get_by_test_id("ending")).to_have_text(ending)
        else:
            expect(page.get_by_test_id("ending")).to_be_hidden()
    phones[by_role["mole"]].screenshot(path=artifacts / "scenario-phone-reveal.png", full_page=True)
    expect(host.get_by_test_id("next")).to_be_disabled()
    expect(host.locator("[data-testid=progress-row] td")).to_have_text(
        ["第 1 组", "3", "6 / 10", "1 / 2", "3 / 3", "邻居 · 正确"]
    )
    host.screenshot(path=artifacts / "scenario-host-reveal.png", full_page=True)

    # 结束 (confirmed): every page says the run is over.
    host.get_by_test_id("end").click()
    expect(host.get_by_test_id("next-what")).to_have_text("本场已结束，结果已记录。")
    expect(host.get_by_test_id("end")).to_be_disabled()  # written: nothing to write again
    expect(screen.get_by_test_id("reveal-state")).to_have_text("本场已结束")
    for page in phones.values():
        expect(page.get_by_test_id("ended-line")).to_be_visible()
    assert store.state(pin)["phase"] == "ended"
    # The screen and a phone come back after a reload (token in sessionStorage, seat in localStorage).
    screen.reload()
    expect(screen.get_by_test_id("answer-text")).to_have_text("邻居")
    phones["张三"].reload()
    expect(phones["张三"].get_by_test_id("reveal-answer")).to_have_text("邻居")
    expect(phones["张三"].get_by_test_id("reveal-decision")).to_have_text("本组选择：邻居 · 正确 ✓")


def test_a_late_phone_takes_over_a_seat_and_gets_a_note(
    browser: Any, server: Server, app: Any, phones: Any, artifacts: Path
) -> None:
    pin, token = new_run(app)
    store = scenario_runs(app).store
    host = open_wide(
        browser, f"{server.url}/scenario/{pin}/host#token={token}", CONSOLE_SIZE, {"prompt": "请到阁楼集合"}
    )
    expect(host.get_by_test_id("run-title")).to_have_text("电台疑云")
    leaving = open_phone(browser, f"{server.url}/scenario/{pin}/play")
    join(leaving, "老周")
    for n in range(4):  # four more players fill the group's five roles
        phone = phones(server.url, f"p{n}")
        assert phone.call(protocol.PLAYER_JOIN, {"pin": pin, "nickname": f"玩家{n}"})["ok"]
    expect(host.get_by_test_id("player-count")).to_have_text("5")
    next_act(host, "第一幕 阅读剧本")
    expect(leaving.get_by_test_id("role-card")).to_be_visible()
    seat_role = next(p["role"] for p in store.state(pin)["players"].values() if p["nickname"] == "老周")

    # A sixth phone arrives by a prop card's QR code: it joins first, finds every role taken
    # and waits (the card waits too); the host gives it 老周's seat and the card is scanned.
    [code] = store.codes(pin)
    late = open_phone(browser, f"{server.url}/s/{code}")
    expect(late.get_by_test_id("scan-hint")).to_be_visible()
    late.get_by_test_id("join-nickname").fill("小陈")
    late.get_by_test_id("join-button").click()
    expect(late.get_by_test_id("wait-title")).to_have_text("等待主持人安排角色")
    expect(late.get_by_test_id("scan-result")).to_have_text(
        "你扫描了一张道具卡：开始游戏、分到角色后将自动为本组解锁。"
    )
    expect(host.get_by_test_id("waiting-count")).to_have_text("1")
    row = host.get_by_test_id("player").filter(has_text="小陈")
    row.get_by_test_id("seat-select").select_option(label=f"老周（{ROLE_NAMES[seat_role]} · 第 1 组 · 在线）")
    row.get_by_test_id("replace").click()
    expect(leaving.get_by_test_id("replaced")).to_be_visible()
    expect(leaving.get_by_test_id("replaced-text")).to_have_text(protocol.ERRORS["replaced"])
    expect(late.get_by_test_id("role-name")).to_have_text(ROLE_NAMES[seat_role])
    expect(late.get_by_test_id("me")).to_have_text(f"小陈 · 第 1 组 · {ROLE_NAMES[seat_role]}")
    expect(late.get_by_test_id("scan-result")).to_have_text("已为本组解锁线索：信封")
    expect(late).to_have_url(f"{server.url}/scenario/{pin}/play")
    leaving.reload()  # the old phone stays out
    expect(leaving.get_by_test_id("replaced")).to_be_visible()

    # A private note (prompt() answered by the dialog handler) reaches that phone only.
    host.get_by_test_id("player").filter(has_text="小陈").get_by_test_id("note").click()
    expect(late.get_by_test_id("note")).to_have_text(["请到阁楼集合"])
    late.screenshot(path=artifacts / "scenario-phone-note.png", full_page=True)
    state = store.state(pin)
    assert state["notes"] == {
        pid: ["请到阁楼集合"] for pid, p in state["players"].items() if p["nickname"] == "小陈"
    }

    # A card of another run, scanned by a phone of this one: refused as such.
    other_pin, _other_token = new_run(app)
    [other_code] = store.codes(other_pin)
    late.goto(f"{server.url}/s/{other_code}")
    expect(late.get_by_test_id("scan-result")).to_have_text(protocol.ERRORS["wrong_run"])
    expect(late.get_by_test_id("role-name")).to_have_text(ROLE_NAMES[seat_role])  # still in its run

    # A card of no run: the server's own page.
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{server.url}/s/no-such-card", timeout=5)
    missing.value.close()  # the error holds the response's socket; unclosed, it warns whenever collected
    assert missing.value.code == 404


def test_scenario_pages_are_csp_clean_and_complete(server: Server, app: Any) -> None:
    """The three pages as served: no inline script or style, every asset there, the events
    from the protocol; the modules' imports are served too."""
    pin, _token = new_run(app)
    code = next(iter(scenario_runs(app).store.codes(pin)))

    def get(path: str) -> tuple[Any, str]:
        with urllib.request.urlopen(f"{server.url}{path}", timeout=5) as response:
            return response.headers, response.read().decode()

    modules = set()
    for path in (f"/scenario/{pin}/host", f"/scenario/{pin}/screen", f"/scenario/{pin}/play", f"/s/{code}"):
        headers, page = get(path)
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
        assert " style=" not in page and not re.search(r"\son[a-z]+=", page)
        if path.endswith("/host"):  # greyed until the script draws the run's state
            for control in ("previous", "next", "pause", "end"):
                assert re.search(rf'<button[^>]*id="{control}"[^>]*\sdisabled[\s>]', page), control
        events = json.loads(html.unescape(re.search(r'data-events="([^"]+)"', page).group(1)))
        assert events == protocol.EVENTS
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
        styles = {a.rsplit("/", 1)[1] for a in assets if a.endswith(".css")}
        assert styles == {"live.css", "wall.css", "scenario.css"}
        for asset in assets:
            get(asset)
            if asset.endswith(".js"):
                modules.add(asset)
    assert 'data-scan-code="' + code + '"' in get(f"/s/{code}")[1]
    assert len(modules) == 3
    seen = set()
    while modules:
        module = modules.pop()
        seen.add(module)
        source = get(module)[1]
        for imported in re.findall(r'from "(\.\.?/[^"]+)"', source):
            target = str(Path(module).parent / imported).replace("/static/js/../", "/static/")
            target = re.sub(r"/\./", "/", target)
            get(target)
            if target.endswith(".js") and target not in seen and "vendor" not in target:
                modules.add(target)
