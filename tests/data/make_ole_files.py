"""Regenerate encrypted.xlsx and legacy.xls (see README.md). Not run by the tests.

Needs packages the project does not depend on, so run it in a throwaway venv:
    python -m venv /tmp/gen && /tmp/gen/bin/pip install msoffcrypto-tool xlwt openpyxl
    /tmp/gen/bin/python tests/data/make_ole_files.py tests/data
"""

import io
import sys

import openpyxl
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

out = sys.argv[1]
HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案"]
ROW = [
    "单选题",
    "中国共产党的最高理想和最终目标是（ ）。",
    "实现社会主义现代化",
    "实现共产主义",
    "全面建成小康社会",
    "实现中华民族伟大复兴",
    "B",
]

book = openpyxl.Workbook()
book.active.append(HEADER)
book.active.append(ROW)
plain = io.BytesIO()
book.save(plain)
plain.seek(0)
with open(f"{out}/encrypted.xlsx", "wb") as encrypted:
    OOXMLFile(plain).encrypt("dangjian", encrypted)

legacy = xlwt.Workbook(encoding="utf-8")
sheet = legacy.add_sheet("题库")
for r, row in enumerate([HEADER, ROW]):
    for c, value in enumerate(row):
        sheet.write(r, c, value)
legacy.save(f"{out}/legacy.xls")
