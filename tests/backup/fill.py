"""Rows in every table, and a column-by-column read-back to compare two databases.

``fill`` writes realistic rows through the app's own loaders and the ORM (Chinese text, a
real proof photo, a ledger correction pointing at the entry it corrects, an untaken card
left SQL NULL), then ``synthetic_rows`` for every table of ``Base.metadata`` with the edge
values of each column type: a table or column added later is filled without a change here,
and a column type this file cannot fill fails loudly.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import JSON, Connection, Engine, Table, func, insert, null, select
from sqlalchemy.types import Boolean, DateTime, Integer, String, Text

from app.banks import import_file
from app.blindbox.proof import store_photo
from app.blindbox.tasks import load_deck
from app.config import PROJECT_ROOT
from app.extensions import Database
from app.models import (
    Base,
    Branch,
    Contest,
    FilterWord,
    Game,
    GameAnswer,
    GamePlayer,
    Member,
    ModerationEntry,
    PointEntry,
    ScenarioAnswer,
    ScenarioPlayer,
    ScenarioRun,
    TaskDraw,
    TaskReview,
    User,
    WallMessage,
    WallQuestion,
)
from app.scenario.results import load_scenario

SYNTHETIC_ROWS = 3  # per table: every value set; SQL NULL wherever allowed; JSON null
TRICKY = "中文“引号”'单引号' \"双引号\" \\反斜杠\n换行\t制表 😀 null NULL <b>&amp;</b> \u3000全角空格"
BIG_TEXT = "不忘初心，牢记使命。" * 6000  # 60,000 characters
_serials = itertools.count(900_001)


def when(*parts: int) -> dt.datetime:
    return dt.datetime(*parts)  # type: ignore[arg-type]


def fill(db: Database, uploads: Path) -> None:
    realistic(db, uploads)
    with db.engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            connection.execute(insert(table), synthetic_rows(connection, table, SYNTHETIC_ROWS))


def photo_bytes() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def realistic(db: Database, uploads: Path) -> None:
    bank = (PROJECT_ROOT / "question_bank" / "samples" / "dangzhang.yaml").read_bytes()
    assert import_file(db, bank, "dangzhang.yaml", "党章知识", max_bytes=10 << 20).stored > 0
    photo = store_photo(photo_bytes(), uploads)
    with db.transaction() as session:
        first = Branch(name="第一党支部", created_at=when(2026, 7, 1, 8, 30, 0, 123456))
        second = Branch(name="机关第二党支部")
        zhang = Member(
            name="张三",
            member_no="M001",
            branch=first,
            phone="13800001111",
            password_hash="scrypt:32768:8:1$盐$0123abcd",
            login_code_expires=when(2026, 12, 1, 0, 0, 0, 1),
        )
        li = Member(name="李四", member_no="M002", branch=first, member_type="预备党员", active=False)
        wang = Member(name="王五", member_no="M003", branch=second, phone=None)
        admin = User(username="admin", display_name="管理员", password_hash="scrypt:32768:8:1$salt$hash")
        host = User(username="host1", display_name="主持人甲", password_hash="scrypt:1$x$y", role="host")
        session.add_all([first, second, zhang, li, wang, admin, host])
        contest = Contest(
            name="七一知识竞赛",
            settings={
                "count": 5,
                "time_limit": 20,
                "team_mode": "branches",
                "bank_ids": [1],
                "partial": False,
            },
            created_by="admin",
        )
        game = Game(
            live_key="123456:1767225600000",
            pin="123456",
            contest=contest,
            title="七一知识竞赛·第一场",
            settings={"base": 1000, "streak": 100},
            questions=[{"stem": "中国共产党成立于哪一年？", "options": ["1919", "1921"], "answer": "B"}],
            teams=[{"team": "第一党支部", "score": 1500.5, "rank": 1, "members": 2}],
            questions_played=1,
            started_at=when(2026, 7, 1, 9, 0, 0, 1),
            ended_at=when(2026, 7, 1, 9, 10),
        )
        game.players = [
            GamePlayer(
                player_key="p1",
                nickname="张三🎉",
                team="第一党支部",
                member_no="M001",
                member=zhang,
                score=1850,
                correct_count=2,
                correct_time_ms=4200,
                answered_count=2,
                rank=1,
            ),
            GamePlayer(player_key="p2", nickname="访客", team="第二党支部", rank=None, kicked=True),
        ]
        game.answers = [
            GameAnswer(
                player_key="p1", question_index=0, choice=[1], correct=True, points=950, elapsed_ms=1000
            ),
            GameAnswer(
                player_key="p2",
                question_index=0,
                choice="为人民服务",
                correct=False,
                points=0,
                elapsed_ms=19999,
            ),
        ]
        session.add_all([contest, game])
        session.flush()
        award = PointEntry(
            idempotency_key=f"quiz:{game.id}:{zhang.id}:quiz",
            member=zhang,
            branch=first,
            member_type="正式党员",
            kind="award",
            category="学习",
            source_type="quiz",
            source_id=str(game.id),
            rule="quiz",
            points=10,
            reason="七一知识竞赛 第一名",
            occurred_at=when(2026, 7, 1, 9, 10),
        )
        session.add(award)
        session.flush()
        session.add(
            PointEntry(
                idempotency_key="manual:fix-1",
                member=zhang,
                branch=first,
                member_type="正式党员",
                kind="deduction",
                category="学习",
                source_type="manual",
                source_id="fix-1",
                rule="manual",
                points=-10,
                reason="更正：重复记分",
                occurred_at=when(2026, 7, 2),
                corrects_id=award.id,
            )
        )
        scenario, _ = load_scenario(
            session, (PROJECT_ROOT / "scenarios" / "yida_boat.yaml").read_bytes(), "admin"
        )
        run = ScenarioRun(
            scenario=scenario,
            pin="654321",
            title=scenario.title,
            source=scenario.source,
            groups=["第一组", "第二组"],
            props_per_group=True,
            decisions=[{"checkpoint": "c1", "choice": "A"}],
            created_by="admin",
            ended_at=None,
        )
        run.players = [
            ScenarioPlayer(
                player_key="s1",
                nickname="李四",
                member_no="M002",
                member=li,
                group_index=0,
                group_name="第一组",
                role="交通员",
                clues_found=3,
                vote=None,
                deduction_correct=True,
            )
        ]
        run.answers = [
            ScenarioAnswer(player_key="s1", checkpoint="c1", choice={"text": "嘉兴南湖"}, correct=True)
        ]
        session.add(run)
        session.add_all(
            [
                FilterWord(word="违禁词", added_by="seed"),
                WallMessage(
                    wall_key="123456:1",
                    pin="123456",
                    message_id="m1",
                    player_key="p1",
                    nickname="张三",
                    text="不忘初心，牢记使命！🇨🇳",
                    color="#ff0000",
                    status="shown",
                ),
                WallQuestion(
                    wall_key="123456:1",
                    pin="123456",
                    question_id="q1",
                    player_key="p2",
                    text="如何发挥党员先锋模范作用？\n请详细说说",
                    votes=12,
                    state="answered",
                ),
                ModerationEntry(
                    wall_key="123456:1",
                    pin="123456",
                    action="reject",
                    target="m2",
                    detail="含敏感词",
                    actor="主持人",
                ),
            ]
        )
        deck, _ = load_deck(
            session,
            (PROJECT_ROOT / "decks" / "dangjian_box.yaml").read_bytes(),
            "dangjian_box.yaml",
            loaded_by="admin",
            now=when(2026, 7, 1),
        )
        cards = deck.content["cards"]
        session.flush()
        # An offer not taken yet: card stays SQL NULL (never set), unlike JSON null.
        session.add(
            TaskDraw(deck=deck, member=zhang, branch=first, offered=[card["id"] for card in cards[:3]])
        )
        done = TaskDraw(
            deck=deck,
            member=None,
            branch=second,
            offered=[cards[4]["id"]],
            card_id=cards[4]["id"],
            card=cards[4],
            status="approved",
            drawn_by="主持人",
            live=True,
            due_at=when(2026, 7, 8),
            proof_text="组织党员到社区开展志愿服务，共 12 人参加。",
            proof_image=photo,
            participants=[wang.id],
            submitted_by=wang.id,
            submitted_at=when(2026, 7, 3, 18),
            points_awarded=10,
        )
        done.reviews = [
            TaskReview(
                decision="approved",
                points=10,
                comment="很好",
                proof_text=done.proof_text,
                proof_image=photo,
                reviewer="sec2",
            )
        ]
        session.add(done)


def synthetic_rows(connection: Connection, table: Table, count: int) -> list[dict[str, Any]]:
    return [
        {
            column.name: _value(connection, column, variant % SYNTHETIC_ROWS, next(_serials))
            for column in table.columns
            if not _generated_id(column)
        }
        for variant in range(count)
    ]


def _generated_id(column: Any) -> bool:
    return bool(
        column.primary_key and isinstance(column.type, Integer) and column.autoincrement in (True, "auto")
    )


def _value(connection: Connection, column: Any, variant: int, serial: int) -> Any:
    """Variant 0: every column set, at the edges; 1: SQL NULL wherever allowed, the least
    otherwise; 2: JSON null in every JSON column."""
    kind = column.type
    if variant == 1 and column.nullable:
        return null() if isinstance(kind, JSON) else None
    if column.foreign_keys:
        (key,) = column.foreign_keys
        return connection.scalar(select(func.min(key.column)))
    if isinstance(kind, JSON):
        full = {
            "中文": ["甲", 1, 2.5, True, None, {"嵌套": "值"}],
            "大数": 2**53 + 1,
            "小数": 0.1,
            "空": None,
        }
        return [full, [], JSON.NULL][variant]
    if isinstance(kind, Boolean):
        return variant != 1
    if isinstance(kind, Integer):
        return [2**31 - 1 - serial % 1000, -serial, serial][variant]  # PostgreSQL's integer is 32-bit
    if isinstance(kind, DateTime):
        return [when(2026, 12, 31, 23, 59, 59, 999999), when(1970, 1, 1, 0, 0, 0, 1), when(2000, 2, 29, 12)][
            variant
        ]
    if isinstance(kind, String):  # Text too: length None
        text = [
            f"{serial}号{TRICKY}{BIG_TEXT if isinstance(kind, Text) else ''}",
            str(serial),
            f"{serial}  ",
        ][variant]
        return text[: kind.length]
    raise AssertionError(f"tests/backup/fill.py cannot fill {column.table.name}.{column.name} ({kind!r})")


def read_back(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows in primary-key order, each column as the app reads it; a JSON
    column also says whether it is SQL NULL (both NULLs read back as None)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns: list[Any] = list(table.columns)
            columns += [
                c.is_(None).label(f"{c.name} is SQL NULL") for c in table.columns if isinstance(c.type, JSON)
            ]
            query = select(*columns).order_by(*table.primary_key.columns)
            tables[table.name] = [dict(row) for row in connection.execute(query).mappings()]
    return tables


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())} if folder.is_dir() else {}
