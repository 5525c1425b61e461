"""Drawing cards (pure): which cards a holder may get, the shuffle bag, the weighted pick.

A holder is a member, or a branch in a live draw. Each holder has a shuffle bag per deck:
a card drawn is out of the bag until every card the holder may draw has been drawn once,
then the bag refills (a new ``cycle``). Inside the bag the pick is weighted: the chance
of a card is its weight over the summed weights of the cards still in the bag, so on a
full bag the draw follows the deck's weights exactly, and rare cards tend to come late.

Randomness is the operating system's (``secrets.SystemRandom``); tests may pass their own
generator. No Flask, no database: the callers in ``tasks.py`` hold the locks.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.blindbox.deck import Card, Deck

_SYSTEM = secrets.SystemRandom()


class DrawRefused(Exception):
    """The holder may not draw now; ``code`` is stable, ``message`` is zh-CN."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Held:
    """One past draw of the holder from this deck: the card chosen (None while the offer
    is open) and the bag round it was drawn in."""

    card_id: str | None
    cycle: int


@dataclass(frozen=True)
class Offer:
    card_ids: tuple[str, ...]
    cycle: int


def eligible(deck: Deck, history: Iterable[Held], day: dt.date) -> list[Card]:
    """Cards valid on ``day`` that the holder has not held as often as the card allows."""
    held = Counter(h.card_id for h in history if h.card_id is not None)
    return [
        card
        for card in deck.cards
        if card.drawable_on(day) and not (card.limit and held[card.id] >= card.limit)
    ]


def bag(deck: Deck, history: Sequence[Held], day: dt.date) -> tuple[list[Card], int]:
    """The cards still in the holder's bag and the round they belong to; an empty bag
    refills with every eligible card in the next round."""
    pool = eligible(deck, history, day)
    if not pool:
        raise DrawRefused("deck_exhausted", "这个盲盒里已经没有你可以抽的卡片了。")
    cycle = max((h.cycle for h in history), default=0)
    used = {h.card_id for h in history if h.cycle == cycle and h.card_id is not None}
    remaining = [card for card in pool if card.id not in used]
    if not remaining:
        return pool, cycle + 1
    return remaining, cycle


def weighted_sample(cards: Sequence[Card], count: int, rng: random.Random = _SYSTEM) -> list[Card]:
    """``count`` distinct cards, each pick weighted among those not yet picked. Integer
    weights and ``randrange`` keep every chance exact (no floating-point rounding)."""
    left = list(cards)
    picked: list[Card] = []
    while left and len(picked) < count:
        point = rng.randrange(sum(card.draw_weight for card in left))
        for index, card in enumerate(left):
            point -= card.draw_weight
            if point < 0:
                picked.append(left.pop(index))
                break
    return picked


def draw_offer(
    deck: Deck, history: Sequence[Held], day: dt.date, count: int, rng: random.Random = _SYSTEM
) -> Offer:
    """The next offer: ``count`` cards from the bag (fewer when fewer remain)."""
    remaining, cycle = bag(deck, history, day)
    cards = weighted_sample(remaining, count, rng)
    return Offer(tuple(card.id for card in cards), cycle)
