"""Drawing cards (pure, app/blindbox/draw.py): the weights on a full bag, the shuffle bag
(no repeats until every card was drawn once), offers of three, per-card limits, valid
periods, and the exact boundaries of the weighted pick."""

from __future__ import annotations

import datetime as dt
import inspect
import math
import random
import secrets
from collections import Counter
from typing import Any

import pytest

from app.blindbox import draw
from app.blindbox.deck import Deck
from app.blindbox.draw import DrawRefused, Held, Offer, bag, draw_offer, eligible, weighted_sample

DAY = dt.date(2026, 12, 10)
EXHAUSTED = "这个盲盒里已经没有你可以抽的卡片了。"


def make_deck(*cards: dict[str, Any], offer: int = 1) -> Deck:
    return Deck.model_validate(
        {
            "key": "test-box",
            "title": "测试盲盒",
            "rules": {"offer": offer},
            "cards": [{"title": f"卡片 {card['id']}", **card} for card in cards],
        }
    )


# 普通 10 + 普通 10 + 稀有 3 + 隐藏 1 + a 隐藏 card with weight 6: 30 in all.
WEIGHTED = make_deck(
    {"id": "common-a"},
    {"id": "common-b", "rarity": "普通"},
    {"id": "rare", "rarity": "稀有"},
    {"id": "hidden", "rarity": "隐藏"},
    {"id": "heavy-hidden", "rarity": "隐藏", "weight": 6},
)
FIVE = make_deck(*({"id": name} for name in "abcde"))


class Fixed(random.Random):
    """A generator whose ``randrange`` returns the given values in turn and records its stops."""

    def __init__(self, *values: int) -> None:
        super().__init__(0)
        self.values = list(values)
        self.stops: list[int] = []

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        assert stop is None and step == 1
        self.stops.append(start)
        value = self.values.pop(0)
        assert 0 <= value < start
        return value


def ids(cards: list[Any]) -> list[str]:
    return [card.id for card in cards]


# -- (a) the distribution on a full bag ------------------------------------------------------


def test_the_default_generator_is_the_operating_systems() -> None:
    assert isinstance(draw._SYSTEM, secrets.SystemRandom)
    assert inspect.signature(weighted_sample).parameters["rng"].default is draw._SYSTEM
    assert inspect.signature(draw_offer).parameters["rng"].default is draw._SYSTEM


def test_the_first_card_of_a_full_bag_follows_the_weights() -> None:
    """20,000 first draws (empty history) with the default ``secrets.SystemRandom``.

    Each card's count is binomial(n, p) with p = weight / 30; the test accepts a count
    within 4 standard deviations sqrt(n p (1 - p)) of n p. A correct implementation fails
    this by chance with probability about 6e-5 per card (3e-4 for the five cards); a
    weight off by one for the rare card (4 instead of 3) moves its mean by ~8 sd.
    """
    n = 20_000
    weights = {card.id: card.draw_weight for card in WEIGHTED.cards}
    assert weights == {"common-a": 10, "common-b": 10, "rare": 3, "hidden": 1, "heavy-hidden": 6}
    total = sum(weights.values())
    counts: Counter[str] = Counter()
    for _ in range(n):
        offer = draw_offer(WEIGHTED, [], DAY, 1)
        assert offer.cycle == 0
        (card_id,) = offer.card_ids
        counts[card_id] += 1
    assert sum(counts.values()) == n
    for card_id, weight in weights.items():
        p = weight / total
        sd = math.sqrt(n * p * (1 - p))
        assert abs(counts[card_id] - n * p) <= 4 * sd, (card_id, counts[card_id], n * p, sd)


# -- (b) no repeats until the bag is empty ---------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_a_holder_gets_every_card_once_per_cycle(seed: int) -> None:
    deck = make_deck(
        {"id": "a"},
        {"id": "b"},
        {"id": "c", "rarity": "稀有"},
        {"id": "d", "rarity": "隐藏"},
        {"id": "e", "weight": 50},
        {"id": "f", "rarity": "稀有"},
    )
    rng = random.Random(seed)
    history: list[Held] = []
    for _ in range(6 * 5):
        offer = draw_offer(deck, history, DAY, 1, rng)
        assert len(offer.card_ids) == 1
        history.append(Held(offer.card_ids[0], offer.cycle))
    assert [h.cycle for h in history] == [cycle for cycle in range(5) for _ in range(6)]
    for cycle in range(5):
        drawn = [h.card_id or "" for h in history if h.cycle == cycle]
        assert sorted(drawn) == ["a", "b", "c", "d", "e", "f"], (cycle, drawn)


def test_cards_with_a_limit_leave_the_later_cycles() -> None:
    deck = make_deck({"id": "a"}, {"id": "b"}, {"id": "once", "limit": 1}, {"id": "twice", "limit": 2})
    rng = random.Random(7)
    history: list[Held] = []
    for _ in range(4 + 4 + 3 + 2 + 2):
        offer = draw_offer(deck, history, DAY, 1, rng)
        history.append(Held(offer.card_ids[0], offer.cycle))
    per_cycle = {cycle: sorted(h.card_id or "" for h in history if h.cycle == cycle) for cycle in range(5)}
    assert per_cycle == {
        0: ["a", "b", "once", "twice"],
        1: ["a", "b", "twice"],
        2: ["a", "b"],
        3: ["a", "b"],
        4: ["a", "b"],
    }


def test_the_bag_is_what_the_current_cycle_has_not_drawn() -> None:
    history = [Held("a", 0), Held("b", 0), Held("c", 0), Held("d", 0), Held("e", 0), Held("b", 1)]
    remaining, cycle = bag(FIVE, history, DAY)
    assert (ids(remaining), cycle) == (["a", "c", "d", "e"], 1)
    remaining, cycle = bag(FIVE, [*history[:5]], DAY)
    assert (ids(remaining), cycle) == (["a", "b", "c", "d", "e"], 1)
    remaining, cycle = bag(FIVE, [], DAY)
    assert (ids(remaining), cycle) == (["a", "b", "c", "d", "e"], 0)


# -- (c) offers of three ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_an_offer_of_three_is_three_distinct_cards_of_the_deck(seed: int) -> None:
    offer = draw_offer(FIVE, [], DAY, 3, random.Random(seed))
    assert len(offer.card_ids) == 3
    assert len(set(offer.card_ids)) == 3
    assert set(offer.card_ids) <= {"a", "b", "c", "d", "e"}
    assert offer.cycle == 0


def test_an_offer_has_fewer_cards_when_fewer_remain_in_the_bag() -> None:
    rng = random.Random(3)
    held = [Held("a", 0), Held("c", 0), Held("e", 0)]
    offer = draw_offer(FIVE, held, DAY, 3, rng)
    assert (sorted(offer.card_ids), offer.cycle) == (["b", "d"], 0)
    offer = draw_offer(FIVE, [*held, Held("b", 0)], DAY, 3, rng)
    assert offer == Offer(("d",), 0)
    refilled = draw_offer(FIVE, [*held, Held("b", 0), Held("d", 0)], DAY, 3, rng)
    assert (len(set(refilled.card_ids)), refilled.cycle) == (3, 1)


def test_unchosen_cards_do_not_leave_the_bag() -> None:
    open_offers = [Held(None, 0)] * 10
    remaining, cycle = bag(FIVE, open_offers, DAY)
    assert (ids(remaining), cycle) == (["a", "b", "c", "d", "e"], 0)
    remaining, cycle = bag(FIVE, [Held(None, 0), Held("c", 0), Held(None, 0)], DAY)
    assert (ids(remaining), cycle) == (["a", "b", "d", "e"], 0)
    # An open offer made right after a refill opens the new cycle without using a card of it.
    full_cycle = [Held(name, 0) for name in "abcde"]
    remaining, cycle = bag(FIVE, [*full_cycle, Held(None, 1)], DAY)
    assert (ids(remaining), cycle) == (["a", "b", "c", "d", "e"], 1)


def test_a_holder_choosing_one_of_three_each_time_still_gets_every_card_once_per_cycle() -> None:
    rng = random.Random(11)
    history: list[Held] = []
    for _ in range(5 * 3):
        offer = draw_offer(FIVE, history, DAY, 3, rng)
        history.append(Held(offer.card_ids[-1], offer.cycle))  # the member picks one, the others go back
    for cycle in range(3):
        assert sorted(h.card_id or "" for h in history if h.cycle == cycle) == ["a", "b", "c", "d", "e"]


# -- (d) limits and an exhausted deck ---------------------------------------------------------


def test_a_card_leaves_once_the_member_held_it_limit_times() -> None:
    deck = make_deck({"id": "a"}, {"id": "twice", "limit": 2}, {"id": "once", "limit": 1})
    assert ids(eligible(deck, [], DAY)) == ["a", "twice", "once"]
    assert ids(eligible(deck, [Held("once", 0)], DAY)) == ["a", "twice"]
    assert ids(eligible(deck, [Held("twice", 0)], DAY)) == ["a", "twice", "once"]
    assert ids(eligible(deck, [Held("twice", 0), Held("twice", 1)], DAY)) == ["a", "once"]
    assert ids(eligible(deck, [Held(None, 0), Held(None, 1)], DAY)) == ["a", "twice", "once"]


def test_a_deck_with_nothing_left_to_draw_is_refused() -> None:
    deck = make_deck({"id": "once", "limit": 1}, {"id": "twice", "limit": 2})
    history = [Held("once", 0), Held("twice", 0), Held("twice", 1)]
    with pytest.raises(DrawRefused) as refused:
        draw_offer(deck, history, DAY, 1, random.Random(0))
    assert (refused.value.code, refused.value.message, str(refused.value)) == (
        "deck_exhausted",
        EXHAUSTED,
        EXHAUSTED,
    )
    assert draw_offer(deck, history[:2], DAY, 3, random.Random(0)) == Offer(("twice",), 1)


def test_a_deck_with_no_card_valid_today_is_refused() -> None:
    deck = make_deck({"id": "old", "valid_until": "2026-12-09"}, {"id": "new", "valid_from": "2026-12-11"})
    with pytest.raises(DrawRefused) as refused:
        bag(deck, [], DAY)
    assert refused.value.code == "deck_exhausted"


# -- (e) valid periods -----------------------------------------------------------------------


def test_valid_from_and_valid_until_are_respected_by_day() -> None:
    december = {"id": "december", "valid_from": "2026-12-01", "valid_until": "2026-12-31"}
    deck = make_deck({"id": "always"}, december)
    expected = {
        dt.date(2026, 11, 30): ["always"],
        dt.date(2026, 12, 1): ["always", "december"],
        dt.date(2026, 12, 31): ["always", "december"],
        dt.date(2027, 1, 1): ["always"],
    }
    assert {day: ids(eligible(deck, [], day)) for day in expected} == expected
    rng = random.Random(5)
    assert {draw_offer(deck, [], dt.date(2026, 11, 30), 3, rng).card_ids for _ in range(50)} == {("always",)}


def test_a_card_that_becomes_valid_joins_the_current_bag() -> None:
    deck = make_deck({"id": "a"}, {"id": "b"}, {"id": "december", "valid_from": "2026-12-01"})
    history = [Held("a", 0), Held("b", 0)]
    assert bag(deck, history, dt.date(2026, 11, 30)) == (deck.cards[:2], 1)
    assert bag(deck, history, dt.date(2026, 12, 1)) == ([deck.cards[2]], 0)


# -- (f) the weighted pick -------------------------------------------------------------------

ABC = make_deck({"id": "a"}, {"id": "b", "rarity": "稀有"}, {"id": "c", "rarity": "隐藏"})  # 10, 3, 1


@pytest.mark.parametrize(
    ("value", "picked"),
    [(0, "a"), (9, "a"), (10, "b"), (12, "b"), (13, "c")],
)
def test_a_fixed_random_value_picks_the_card_whose_weight_span_holds_it(value: int, picked: str) -> None:
    rng = Fixed(value)
    assert ids(weighted_sample(ABC.cards, 1, rng)) == [picked]
    assert rng.stops == [14]


@pytest.mark.parametrize(
    ("values", "picked", "stops"),
    [
        ((0, 0, 0), ["a", "b", "c"], [14, 4, 1]),
        ((13, 0, 0), ["c", "a", "b"], [14, 13, 3]),
        ((10, 9, 0), ["b", "a", "c"], [14, 11, 1]),
        ((10, 10, 0), ["b", "c", "a"], [14, 11, 10]),
        ((9, 3, 0), ["a", "c", "b"], [14, 4, 3]),
    ],
)
def test_each_later_pick_is_weighted_among_the_cards_not_yet_picked(
    values: tuple[int, ...], picked: list[str], stops: list[int]
) -> None:
    rng = Fixed(*values)
    assert ids(weighted_sample(ABC.cards, 3, rng)) == picked
    assert rng.stops == stops


def test_draw_offer_uses_the_generator_it_is_given() -> None:
    assert draw_offer(ABC, [], DAY, 1, Fixed(12)) == Offer(("b",), 0)
    assert draw_offer(ABC, [Held("b", 0)], DAY, 3, Fixed(10, 0)) == Offer(("c", "a"), 0)


@pytest.mark.parametrize("seed", range(50))
def test_weighted_sample_never_returns_a_card_twice(seed: int) -> None:
    rng = random.Random(seed)
    cards = WEIGHTED.cards
    for count in range(1, len(cards) + 1):
        sample = ids(weighted_sample(cards, count, rng))
        assert len(sample) == count
        assert len(set(sample)) == count
    assert sorted(ids(weighted_sample(cards, len(cards) + 3, rng))) == sorted(ids(cards))


def test_weighted_sample_of_nothing() -> None:
    assert weighted_sample(ABC.cards, 0, Fixed()) == []
    assert weighted_sample([], 3, Fixed()) == []


def test_weighted_sample_leaves_its_input_alone() -> None:
    cards = list(ABC.cards)
    weighted_sample(cards, 3, random.Random(1))
    assert ids(cards) == ["a", "b", "c"]
