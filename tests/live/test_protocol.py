"""Payload validation of the live quiz protocol (app/live/protocol.py): good payloads parse,
bad ones raise ProtocolError with the exact stable code (and the offending field)."""

from __future__ import annotations

from typing import Any

import pytest

from app.live import protocol
from app.live.protocol import (
    ERRORS,
    AnswerRequest,
    HostCommand,
    JoinRequest,
    ProtocolError,
    error,
    ok,
    parse_answer,
    parse_host,
    parse_join,
    parse_pin,
    validate_choice,
)

PIN = "123456"


def code_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    with pytest.raises(ProtocolError) as caught:
        call(*args, **kwargs)
    return caught.value.code, caught.value.extra


# -- PIN -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "pin"), [("123456", "123456"), (" 654321 ", "654321"), (123456, "123456")])
def test_parse_pin_accepts_six_digits(raw: Any, pin: str) -> None:
    assert parse_pin({"pin": raw}) == pin


@pytest.mark.parametrize(
    "raw",
    [
        "12345",  # 5 digits
        "1234567",  # 7 digits
        "12a456",
        "abcdef",
        "",
        "12 3456",
        "١٢٣٤٥٦",  # Arabic-Indic digits are digits to \d but not a PIN
        12345,
        1234567,
        True,
        None,
        ["123456"],
        123456.0,
    ],
)
def test_parse_pin_refuses_anything_else(raw: Any) -> None:
    assert code_of(parse_pin, {"pin": raw}) == ("bad_request", {"field": "pin"})


def test_parse_pin_folds_full_width_digits() -> None:
    """A phone with a Chinese input method may type the PIN in full-width digits."""
    assert parse_pin({"pin": "１２３４５６"}) == "123456"


def test_a_missing_pin_is_a_bad_request() -> None:
    assert code_of(parse_pin, {}) == ("bad_request", {"field": "pin"})


@pytest.mark.parametrize("payload", [None, "123456", 123456, ["pin", "123456"], ("123456",), b"{}"])
@pytest.mark.parametrize("parse", [parse_join, parse_answer, parse_host])
def test_non_dict_payloads_are_bad_requests(parse: Any, payload: Any) -> None:
    code, extra = code_of(parse, payload)
    assert code == "bad_request" and extra == {}


# -- join ----------------------------------------------------------------------------------


def test_parse_join_accepts_a_full_payload() -> None:
    request = parse_join(
        {
            "pin": PIN,
            "nickname": "  张  三 ",
            "team": " 第一 党支部 ",
            "member_no": "ＤＹ-001",
            "rejoin_token": "",
        }
    )
    assert request == JoinRequest(PIN, "张 三", "第一 党支部", "DY-001", "")


def test_parse_join_with_only_a_nickname() -> None:
    assert parse_join({"pin": PIN, "nickname": "Li"}) == JoinRequest(PIN, "Li", "", "", "")


def test_parse_join_with_a_rejoin_token_needs_no_nickname() -> None:
    assert parse_join({"pin": PIN, "rejoin_token": "abc.def"}) == JoinRequest(PIN, "", "", "", "abc.def")


def test_nickname_limits() -> None:
    assert parse_join({"pin": PIN, "nickname": "字" * 20}).nickname == "字" * 20
    assert parse_join({"pin": PIN, "nickname": " " + "a" * 20 + " "}).nickname == "a" * 20  # after trimming


@pytest.mark.parametrize(
    "nickname",
    [
        "",
        "   ",
        "　",  # only an ideographic space
        "字" * 21,
        "a" * 21,
        "张\x00三",
        "张\x07三",
        "张\x1b[31m三",
        "张\x7f三",
        "张\x85三",
        "张\u200b三",  # zero-width space
        "张\u200d三",  # zero-width joiner
        "\u200e张三",  # left-to-right mark
        "张三\u202e",  # right-to-left override
        "张\u2060三",  # word joiner
        "\ufeff张三",  # byte-order mark
        "x" * 81,  # oversize before any trimming
        " " * 200 + "张三",
        123,
        ["张三"],
        {"name": "张三"},
        True,
    ],
)
def test_bad_nicknames_are_refused_with_the_field(nickname: Any) -> None:
    assert code_of(parse_join, {"pin": PIN, "nickname": nickname}) == ("bad_request", {"field": "nickname"})


def test_a_missing_nickname_without_a_token_is_refused() -> None:
    assert code_of(parse_join, {"pin": PIN}) == ("bad_request", {"field": "nickname"})
    assert code_of(parse_join, {"pin": PIN, "nickname": None}) == ("bad_request", {"field": "nickname"})


def test_the_pin_is_checked_before_the_nickname() -> None:
    assert code_of(parse_join, {"pin": "12345", "nickname": ""}) == ("bad_request", {"field": "pin"})


@pytest.mark.parametrize("team", ["队" * 31, "一\x00队", "一\u200b队", 7, "x" * 121])
def test_bad_teams_are_refused_with_the_field(team: Any) -> None:
    assert code_of(parse_join, {"pin": PIN, "nickname": "甲", "team": team}) == (
        "bad_request",
        {"field": "team"},
    )


def test_a_team_of_thirty_characters_is_fine() -> None:
    assert parse_join({"pin": PIN, "nickname": "甲", "team": "队" * 30}).team == "队" * 30


@pytest.mark.parametrize("member_no", ["DY 001", "DY\t001", "党员001", "A/1", "a" * 33, "x;DROP", 1001])
def test_bad_member_numbers_are_refused_with_the_field(member_no: Any) -> None:
    assert code_of(parse_join, {"pin": PIN, "nickname": "甲", "member_no": member_no}) == (
        "bad_request",
        {"field": "member_no"},
    )


@pytest.mark.parametrize("member_no", ["DY-001", "a_1", "0" * 32, "ＡＢ１２"])
def test_good_member_numbers(member_no: str) -> None:
    assert parse_join({"pin": PIN, "nickname": "甲", "member_no": member_no}).member_no == (
        member_no.replace("ＡＢ１２", "AB12")
    )


@pytest.mark.parametrize("token", [123, ["t"], {"t": 1}, "t" * 513])
def test_bad_rejoin_tokens_are_refused_with_the_field(token: Any) -> None:
    assert code_of(parse_join, {"pin": PIN, "nickname": "甲", "rejoin_token": token}) == (
        "bad_request",
        {"field": "rejoin_token"},
    )


# -- answer --------------------------------------------------------------------------------


def test_parse_answer_accepts_a_good_payload() -> None:
    assert parse_answer({"pin": PIN, "q": 0, "choice": [1]}) == AnswerRequest(PIN, 0, [1])
    assert parse_answer({"pin": PIN, "q": 9_999, "choice": "文本"}) == AnswerRequest(PIN, 9_999, "文本")
    assert parse_answer({"pin": PIN, "q": 3, "choice": None}) == AnswerRequest(PIN, 3, None)


@pytest.mark.parametrize("q", [True, False, -1, 10_000, 1.0, "0", None, [0]])
def test_bad_question_indices_are_refused_with_the_field(q: Any) -> None:
    assert code_of(parse_answer, {"pin": PIN, "q": q, "choice": [0]}) == ("bad_request", {"field": "q"})


def test_a_missing_choice_is_a_bad_choice() -> None:
    assert code_of(parse_answer, {"pin": PIN, "q": 0}) == ("bad_choice", {})


def test_a_bad_pin_in_an_answer() -> None:
    assert code_of(parse_answer, {"pin": "1234567", "q": 0, "choice": [0]}) == (
        "bad_request",
        {"field": "pin"},
    )


# -- host ----------------------------------------------------------------------------------


def test_parse_host() -> None:
    assert parse_host({"pin": PIN}) == HostCommand(PIN)
    assert parse_host({"pin": PIN, "host_token": "tok"}, with_token=True) == HostCommand(PIN, "tok")
    assert parse_host({"pin": PIN, "player_id": "999998ab"}, with_player=True) == HostCommand(
        PIN, "", "999998ab"
    )


@pytest.mark.parametrize("token", [None, "", 12345, ["tok"], "t" * 513])
def test_a_missing_or_malformed_host_token(token: Any) -> None:
    assert code_of(parse_host, {"pin": PIN, "host_token": token}, with_token=True) == ("bad_host_token", {})


def test_a_host_token_of_512_characters_is_accepted_for_checking() -> None:
    assert parse_host({"pin": PIN, "host_token": "t" * 512}, with_token=True).host_token == "t" * 512


@pytest.mark.parametrize("player_id", [None, "", 7, "p" * 65])
def test_a_bad_player_id_for_kick(player_id: Any) -> None:
    assert code_of(parse_host, {"pin": PIN, "player_id": player_id}, with_player=True) == (
        "bad_request",
        {"field": "player_id"},
    )


def test_a_bad_pin_in_a_host_command() -> None:
    assert code_of(parse_host, {"pin": "12345a", "host_token": "t"}, with_token=True) == (
        "bad_request",
        {"field": "pin"},
    )


# -- choices -------------------------------------------------------------------------------

SINGLE = {"type": "single", "options": ["甲", "乙", "丙", "丁"], "key": [1]}
MULTIPLE = {"type": "multiple", "options": ["甲", "乙", "丙", "丁"], "key": [0, 2]}
JUDGE = {"type": "judge", "options": ["对", "错"], "key": [0]}
ORDER = {"type": "order", "options": ["一", "二", "三"], "key": [2, 0, 1]}
FILL = {"type": "fill", "options": [], "key": [["实事求是"], ["群众路线"]]}
FILL_ONE = {"type": "fill", "options": [], "key": [["延安"]]}


@pytest.mark.parametrize(
    ("question", "choice", "canonical"),
    [
        (SINGLE, [0], [0]),
        (SINGLE, [3], [3]),
        (MULTIPLE, [2, 0], [0, 2]),  # sorted
        (MULTIPLE, [3], [3]),
        (MULTIPLE, [3, 2, 1, 0], [0, 1, 2, 3]),
        (JUDGE, [1], [1]),
        (ORDER, [2, 0, 1], [2, 0, 1]),  # order kept
        (FILL, [" 实事求是 ", "群众路线"], ["实事求是", "群众路线"]),
        (FILL_ONE, "延安", ["延安"]),  # a bare string for a single blank
        (FILL_ONE, ["延安"], ["延安"]),
        (FILL_ONE, ["字" * 100], ["字" * 100]),
    ],
)
def test_validate_choice_returns_the_canonical_form(question: Any, choice: Any, canonical: Any) -> None:
    assert validate_choice(question, choice) == canonical


@pytest.mark.parametrize(
    ("question", "choice"),
    [
        (SINGLE, [4]),  # out of range
        (SINGLE, [-1]),
        (SINGLE, [0, 1]),  # single with two indices
        (SINGLE, []),
        (SINGLE, 1),  # not a list
        (SINGLE, ["1"]),
        (SINGLE, [True]),
        (SINGLE, [1.0]),
        (SINGLE, None),
        (SINGLE, "甲"),
        (MULTIPLE, [0, 0]),  # duplicates
        (MULTIPLE, [0, 2, 2]),
        (MULTIPLE, []),
        (MULTIPLE, [0, 4]),
        (JUDGE, [2]),
        (JUDGE, [0, 1]),
        (ORDER, [2, 0]),  # wrong count
        (ORDER, [2, 0, 1, 1]),
        (ORDER, [0, 0, 1]),  # duplicates
        (ORDER, [3, 0, 1]),
        (FILL, ["实事求是"]),  # wrong number of blanks
        (FILL, ["实事求是", "群众路线", "独立自主"]),
        (FILL, "实事求是"),
        (FILL, ["实事求是", ""]),  # empty text
        (FILL, ["实事求是", "   "]),
        (FILL, ["实事求是", 1]),
        (FILL, ["实事求是", "字" * 101]),  # oversize
        (FILL_ONE, ""),
        (FILL_ONE, None),
        (FILL_ONE, {"a": "延安"}),
    ],
)
def test_validate_choice_refuses_bad_choices(question: Any, choice: Any) -> None:
    assert code_of(validate_choice, question, choice) == ("bad_choice", {})


# -- errors --------------------------------------------------------------------------------

DESIGN_CODES = {
    "game_not_found",
    "bad_host_token",
    "not_open",
    "late",
    "duplicate_answer",
    "bad_choice",
    "nickname_taken",
    "game_full",
    "rate_limited",
    "bad_request",
}


def test_every_error_code_has_a_chinese_message() -> None:
    assert DESIGN_CODES <= set(ERRORS)
    for code, message in ERRORS.items():
        assert code == code.lower() and code.replace("_", "").isalpha(), code
        assert isinstance(message, str) and message.strip(), code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), (code, message)


def test_error_shape() -> None:
    assert error("late") == {"ok": False, "error": {"code": "late", "message": ERRORS["late"]}}
    assert error("bad_request", field="pin") == {
        "ok": False,
        "error": {"code": "bad_request", "message": "请求格式不正确。", "field": "pin"},
    }
    assert ProtocolError("bad_request", field="q").ack() == error("bad_request", field="q")
    assert ProtocolError("kicked").ack() == {
        "ok": False,
        "error": {"code": "kicked", "message": ERRORS["kicked"]},
    }
    with pytest.raises(KeyError):
        error("no_such_code")


def test_ok_shape() -> None:
    assert ok() == {"ok": True}
    assert ok(accepted=True, elapsed_ms=12) == {"ok": True, "accepted": True, "elapsed_ms": 12}


def test_event_names_are_unique_and_namespaced() -> None:
    names = list(protocol.EVENTS.values())
    assert len(names) == len(set(names))
    assert all(name.split(":")[0] in ("host", "player", "game") for name in names)
