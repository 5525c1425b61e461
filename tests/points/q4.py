"""A quarter of points for the export and CLI tests: two branches, members of every
type (one who left, one who moved), base points, a finished game, a task card, manual
entries and a correction; and every cell the assessment of 2026-Q4 must show."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from app.extensions import database
from app.points.export import assessment
from app.points.ledger import credit, credit_game, grant_base, manual_entry
from app.points.periods import parse_period
from app.points.rules import Award
from app.points.service import points
from tests.points.factories import Player, beijing, branch, finished_game, member


@dataclass(frozen=True)
class Ledger:
    red: int
    vanguard: int
    game: int
    deduction: int  # the entry 李四's correction names
    entry_ids: list[int]  # every entry of 2026-Q4, in the order the ledger sheet lists them


def build_q4(points_app: Any) -> Ledger:
    """2026-Q4 of two branches.

    红旗支部: 张三 and 李四 (预备党员) active; 钱七 earned points, then left the roster;
    孙八 earned points here, then moved to 先锋支部; 周九 left before the quarter.
    先锋支部: 王五; 赵六 (群众); 吴十 (入党积极分子) joined the game but never answered.
    """
    rules = points(points_app).rules()
    with database(points_app).transaction() as session:
        red, vanguard = branch(session, "红旗支部"), branch(session, "先锋支部")
        zhang = member(session, "张三", "D001", red)
        li = member(session, "李四", "D002", red, "预备党员")
        qian = member(session, "钱七", "D007", red)
        sun = member(session, "孙八", "D008", red)
        zhou = member(session, "周九", "D009", red)
        wang = member(session, "王五", "D003", vanguard)
        zhao = member(session, "赵六", "D004", vanguard, "群众")
        wu = member(session, "吴十", "D010", vanguard, "入党积极分子")

        def note(
            who: Any, request_id: str, amount: int, category: str, reason: str, at: dt.datetime, **more: Any
        ) -> Any:
            return manual_entry(
                session,
                who,
                points=amount,
                category=category,
                reason=reason,
                created_by="组织委员",
                request_id=request_id,
                rules=rules,
                occurred_at=at,
                **more,
            )

        note(zhou, "r0", 9, "学习", "九月学习", beijing(2026, 9, 30, 23, 59))  # the quarter before
        zhou.active = False
        session.flush()
        base = grant_base(session, rules, parse_period("2026-Q4"), "命令行")  # 00:00 on 1 October
        game = finished_game(
            session,
            "党史知识赛",
            beijing(2026, 10, 15, 20),
            [
                Player(zhang, "红旗支部", answered=5, correct=4, rank=1),
                Player(li, "红旗支部", answered=2, correct=0, rank=5),
                Player(sun, "红旗支部", answered=5, correct=3, rank=2),
                Player(wang, "先锋支部", answered=5, correct=2, rank=3),
                Player(zhao, "先锋支部", answered=4, correct=1, rank=4),
                Player(wu, "先锋支部", answered=0, correct=0, rank=6),
                Player(None, "先锋支部", answered=5, correct=5, rank=None, nickname="来宾"),
            ],
            teams=["红旗支部", "先锋支部"],
        )
        quiz = credit_game(session, rules, game)
        study = note(qian, "r1", 4, "学习", "学习强国", beijing(2026, 10, 20, 10))
        qian.active = False
        sun.branch_id = vanguard.id
        session.flush()
        absent = note(li, "r2", -3, "组织生活", "缺席三会一课", beijing(2026, 11, 5, 10))
        fixed = note(li, "r3", 3, "组织生活", "已补课", beijing(2026, 11, 6, 10), corrects=absent)
        (card,) = credit(
            session,
            rules,
            zhao,
            [Award("task.completed", "志愿服务", 5, "完成任务卡“走访老党员”")],
            source_type="task",
            source_id="card-7",
            occurred_at=beijing(2026, 11, 10, 10),
        )
        helped = note(sun, "r4", 5, "志愿服务", "社区志愿", beijing(2026, 11, 10, 10, 30))
        late = note(wang, "r5", -2, "纪律", "会议迟到", beijing(2026, 11, 10, 11))
        formula = note(zhang, "r6", 3, "组织生活", '=HYPERLINK("http://x")', beijing(2026, 11, 12, 10))
        last = note(zhao, "r7", 1, "志愿服务", "年末志愿", beijing(2026, 12, 31, 23, 59))
        note(zhang, "r8", 99, "学习", "新年第一分", beijing(2027, 1, 1, 0, 0))  # the next quarter
        return Ledger(
            red.id,
            vanguard.id,
            game.id,
            absent.id,
            [e.id for e in (*base, *quiz, study, absent, fixed, card, helped, late, formula, last)],
        )


def report(app: Any, branch_id: int | None = None) -> Any:
    with database(app).sessions() as session:
        return assessment(session, points(app).rules(), parse_period("2026-Q4"), branch_id)


SUMMARY_HEADER = ("支部", "党员数", "参与人数", "参与率", "总积分", "人均积分", "排名")
DETAIL_HEADER = (
    "支部",
    "姓名",
    "工号",
    "党员类别",
    "周期",
    "基础分",
    "加分",
    "扣分",
    "学习",
    "组织生活",
    "志愿服务",
    "履职",
    "纪律",
    "合计",
    "支部内排名",
    "星级",
    "备注",
)
LEDGER_HEADER = (
    "序号",
    "时间",
    "支部",
    "姓名",
    "工号",
    "党员类别",
    "类型",
    "类别",
    "来源",
    "来源编号",
    "分值",
    "说明",
    "录入人",
    "更正序号",
)

# 红旗支部 counts 张三 and 李四 now (钱七 left, 孙八 moved); both played: 2 of 2 took part.
# Its total holds what 钱七 and 孙八 earned there too: 76 + 70 + 64 + 64 = 274, ÷ 2 = 137.
# 先锋支部 counts 王五 and 孙八 (赵六 is 群众, 吴十 入党积极分子); only 王五 played: 64 + 5 = 69.
SUMMARY = [
    ("红旗支部", 2, 2, 1, 274, 137, 1),
    ("先锋支部", 2, 1, 0.5, 69, 34.5, 2),
]


def table(text: str, numbers: set[int], **ids: int) -> list[tuple[Any, ...]]:
    """Rows written one a line, cells separated by |: an empty cell is None, the listed
    columns are integers, a cell in {braces} is filled from ``ids``, a time is a datetime."""
    rows = []
    for line in text.strip().splitlines():
        row: list[Any] = []
        for index, cell in enumerate(line.split("|")):
            cell = cell.format(**ids)
            if cell == "":
                row.append(None)
            elif index in numbers:
                row.append(int(cell))
            elif len(cell) == 16 and cell[4] == "-" and cell[13] == ":":
                row.append(dt.datetime.strptime(cell, "%Y-%m-%d %H:%M"))
            else:
                row.append(cell)
        rows.append(tuple(row))
    return rows


DETAIL_NUMBERS = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
# 支部|姓名|工号|党员类别|周期|基础分|加分|扣分|学习|组织生活|志愿服务|履职|纪律|合计|支部内排名|星级|备注
VANGUARD = table(
    """
先锋支部|王五|D003|正式党员|2026-Q4|60|6|-2|6|0|0|60|-2|64|1|二星|
先锋支部|赵六|D004|群众|2026-Q4|0|9|0|3|0|6|0|0|9|||不计入支部考核
先锋支部|孙八|D008|正式党员|2026-Q4|0|5|0|0|0|5|0|0|5|2||
先锋支部|吴十|D010|入党积极分子|2026-Q4|0|0|0|0|0|0|0|0|0|||不计入支部考核
""",
    DETAIL_NUMBERS,
)
RED = table(
    """
红旗支部|张三|D001|正式党员|2026-Q4|60|16|0|13|3|0|60|0|76|1|三星|
红旗支部|孙八|D008|正式党员|2026-Q4|60|10|0|10|0|0|60|0|70|2|三星|期间转出本支部
红旗支部|李四|D002|预备党员|2026-Q4|60|7|-3|4|0|0|60|0|64|3|二星|
红旗支部|钱七|D007|正式党员|2026-Q4|60|4|0|4|0|0|60|0|64|3|二星|已不在册
""",
    DETAIL_NUMBERS,
)

# 时间|支部|姓名|工号|党员类别|类型|类别|来源|来源编号|分值|说明|录入人|更正序号 (序号 added below).
# The text that looks like a formula is shown, never run.
FLOW = """
2026-10-01 00:00|红旗支部|张三|D001|正式党员|基础分|履职|基础分|2026-Q4|60|2026-Q4 基础分|命令行|
2026-10-01 00:00|红旗支部|李四|D002|预备党员|基础分|履职|基础分|2026-Q4|60|2026-Q4 基础分|命令行|
2026-10-01 00:00|红旗支部|钱七|D007|正式党员|基础分|履职|基础分|2026-Q4|60|2026-Q4 基础分|命令行|
2026-10-01 00:00|红旗支部|孙八|D008|正式党员|基础分|履职|基础分|2026-Q4|60|2026-Q4 基础分|命令行|
2026-10-01 00:00|先锋支部|王五|D003|正式党员|基础分|履职|基础分|2026-Q4|60|2026-Q4 基础分|命令行|
2026-10-15 20:00|红旗支部|张三|D001|正式党员|加分|学习|知识竞赛|{g}|2|参加“党史知识赛”|系统|
2026-10-15 20:00|红旗支部|张三|D001|正式党员|加分|学习|知识竞赛|{g}|4|“党史知识赛”答对 4 题 × 1 分|系统|
2026-10-15 20:00|红旗支部|张三|D001|正式党员|加分|学习|知识竞赛|{g}|5|“党史知识赛”个人第 1 名|系统|
2026-10-15 20:00|红旗支部|张三|D001|正式党员|加分|学习|知识竞赛|{g}|2|“党史知识赛”支部第一名|系统|
2026-10-15 20:00|红旗支部|李四|D002|预备党员|加分|学习|知识竞赛|{g}|2|参加“党史知识赛”|系统|
2026-10-15 20:00|红旗支部|李四|D002|预备党员|加分|学习|知识竞赛|{g}|2|“党史知识赛”支部第一名|系统|
2026-10-15 20:00|红旗支部|孙八|D008|正式党员|加分|学习|知识竞赛|{g}|2|参加“党史知识赛”|系统|
2026-10-15 20:00|红旗支部|孙八|D008|正式党员|加分|学习|知识竞赛|{g}|3|“党史知识赛”答对 3 题 × 1 分|系统|
2026-10-15 20:00|红旗支部|孙八|D008|正式党员|加分|学习|知识竞赛|{g}|3|“党史知识赛”个人第 2 名|系统|
2026-10-15 20:00|红旗支部|孙八|D008|正式党员|加分|学习|知识竞赛|{g}|2|“党史知识赛”支部第一名|系统|
2026-10-15 20:00|先锋支部|王五|D003|正式党员|加分|学习|知识竞赛|{g}|2|参加“党史知识赛”|系统|
2026-10-15 20:00|先锋支部|王五|D003|正式党员|加分|学习|知识竞赛|{g}|2|“党史知识赛”答对 2 题 × 1 分|系统|
2026-10-15 20:00|先锋支部|王五|D003|正式党员|加分|学习|知识竞赛|{g}|2|“党史知识赛”个人第 3 名|系统|
2026-10-15 20:00|先锋支部|赵六|D004|群众|加分|学习|知识竞赛|{g}|2|参加“党史知识赛”|系统|
2026-10-15 20:00|先锋支部|赵六|D004|群众|加分|学习|知识竞赛|{g}|1|“党史知识赛”答对 1 题 × 1 分|系统|
2026-10-20 10:00|红旗支部|钱七|D007|正式党员|加分|学习|手工|r1|4|学习强国|组织委员|
2026-11-05 10:00|红旗支部|李四|D002|预备党员|扣分|组织生活|手工|r2|-3|缺席三会一课|组织委员|
2026-11-06 10:00|红旗支部|李四|D002|预备党员|加分|组织生活|更正|r3|3|更正第 {n} 条：已补课|组织委员|{n}
2026-11-10 10:00|先锋支部|赵六|D004|群众|加分|志愿服务|盲盒任务|card-7|5|完成任务卡“走访老党员”||
2026-11-10 10:30|先锋支部|孙八|D008|正式党员|加分|志愿服务|手工|r4|5|社区志愿|组织委员|
2026-11-10 11:00|先锋支部|王五|D003|正式党员|扣分|纪律|手工|r5|-2|会议迟到|组织委员|
2026-11-12 10:00|红旗支部|张三|D001|正式党员|加分|组织生活|手工|r6|3|'=HYPERLINK("http://x")|组织委员|
2026-12-31 23:59|先锋支部|赵六|D004|群众|加分|志愿服务|手工|r7|1|年末志愿|组织委员|
"""


def ledger_sheet(ledger: Ledger) -> list[tuple[Any, ...]]:
    """The 积分流水 rows: the game's 来源编号, 更正序号 and 序号 are the database's ids."""
    rows = table(FLOW, {9, 12}, g=ledger.game, n=ledger.deduction)
    return [(number, *row) for number, row in zip(ledger.entry_ids, rows, strict=True)]


def cells(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.values)


def formats(sheet: Any) -> dict[str, str]:
    """Every cell's number format other than General, by coordinate."""
    return {
        cell.coordinate: cell.number_format
        for row in sheet.iter_rows()
        for cell in row
        if cell.number_format != "General"
    }


def csv_rows(data: bytes) -> list[list[str]]:
    """A CSV export read back: UTF-8 with one BOM, CRLF line ends."""
    assert data[:3] == b"\xef\xbb\xbf" and data[3:6] != b"\xef\xbb\xbf"
    text = data[3:].decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def as_text(row: tuple[Any, ...]) -> list[str]:
    return ["" if value is None else str(value) for value in row]
