"""One of several processes crediting the same game at the same moment (test_ledger).

``python -m tests.points.race DATABASE_URL GAME_ID``: connects, prints ``ready``, waits for
a line on stdin (the parent's starting shot, sent once every process is ready), credits the
game in one transaction and prints how many entries it added. Any exception (an
IntegrityError from a duplicate key, a database lock error) ends it with a traceback and
exit status 1.
"""

from __future__ import annotations

import sys

from sqlalchemy import text

from app.extensions import Database
from app.models import Game
from app.points.ledger import credit_game
from app.points.rules import load_rules


def main(url: str, game_id: int) -> None:
    db = Database(url)
    rules = load_rules(None)
    with db.sessions() as session:
        session.execute(text("SELECT 1"))  # connected before the shot
    print("ready", flush=True)
    sys.stdin.readline()
    with db.transaction() as session:
        game = session.get(Game, game_id)
        assert game is not None
        added = credit_game(session, rules, game)
    print(len(added), flush=True)
    db.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
