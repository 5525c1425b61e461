"""Organizer pages through the real Flask app: login, upload with report, list, export."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl

from question_bank import read_bank, template_xlsx
from tests.conftest import ORGANIZER, csrf_token


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析"]
MIXED_BANK = [
    ["党史知识竞赛题库"],
    HEADER,
    [
        "单选题",
        "中国共产党第一次全国代表大会召开于（ ）年。",
        "1919",
        "1921",
        "1927",
        "1949",
        "B",
        "1921 年 7 月。",
    ],
    ["单选题", "遵义会议召开于（ ）年。", "1934", "1935", "1936", "1937", "E", ""],
    ["问答题", "请谈谈你的学习体会。", "", "", "", "", "无", ""],
    ["判断题", "预备党员的预备期为一年。", "", "", "", "", "对", "党章第七条。"],
]


def upload(client: Any, data: bytes, filename: str, bank: str = "党史题库") -> Any:
    return client.post(
        "/admin/banks/upload",
        data={
            "bank": bank,
            "file": (io.BytesIO(data), filename),
            "csrf_token": csrf_token(client, "/admin/banks"),
        },
        content_type="multipart/form-data",
    )


def test_admin_pages_require_login(client: Any) -> None:
    for path in ("/admin/banks", "/admin/roster", "/admin/template.xlsx", "/admin/banks/1"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")


def test_login_with_a_wrong_password_is_refused(app: Any, client: Any, organizer: Any) -> None:
    other = app.test_client()
    response = other.post(
        "/login",
        data={"username": ORGANIZER[0], "password": "wrong-password", "csrf_token": csrf_token(other)},
    )
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert other.get("/admin/banks").status_code == 302


def test_login_redirects_only_to_local_paths(app: Any, client: Any, organizer: Any) -> None:
    other = app.test_client()
    token = csrf_token(other)
    data = {"username": ORGANIZER[0], "password": ORGANIZER[1], "csrf_token": token}
    response = other.post("/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/admin/banks"
    other.post("/logout", data={"csrf_token": csrf_token(other, "/admin/banks")})
    response = other.post("/login?next=/admin/roster", data={**data, "csrf_token": csrf_token(other)})
    assert response.headers["Location"] == "/admin/roster"


def test_a_form_without_its_csrf_token_is_refused(client: Any) -> None:
    response = client.post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert 'data-error-code="csrf_failed"' in response.get_data(as_text=True)


def test_upload_shows_the_report_with_rejected_rows_first(organizer: Any) -> None:
    response = upload(organizer, xlsx(MIXED_BANK), "党史.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "接受 2 题" in page and "拒绝 2 行" in page
    assert "已写入题库“党史题库” 2 题" in page
    rejected = re.findall(r'<tr class="rejected" data-row="(\d+)" data-code="(\w+)">', page)
    assert rejected == [("4", "answer_out_of_range"), ("5", "unknown_type")]
    assert page.index("被拒绝的行") < page.index("接受的题目")
    assert "答案“E”超出选项范围（本题只有 ABCD）" in page
    assert "无法识别的题型“问答题”" in page


def test_bad_upload_shows_the_error_and_stores_nothing(organizer: Any) -> None:
    response = upload(organizer, b"%PDF-1.4 not a workbook", "题库.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-error-code="not_xlsx"' in page
    assert "文件内容不是 Excel 工作簿" in page
    assert "党史题库" not in organizer.get("/admin/banks").get_data(as_text=True)


def test_upload_without_a_file_is_a_clear_error(organizer: Any) -> None:
    response = organizer.post(
        "/admin/banks/upload", data={"bank": "x", "csrf_token": csrf_token(organizer, "/admin/banks")}
    )
    assert response.status_code == 400
    assert 'data-error-code="file_required"' in response.get_data(as_text=True)


def test_an_upload_over_the_size_limit_gets_a_zh_error_page(app: Any, organizer: Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(organizer, b"x" * 4096, "big.csv")
    assert response.status_code == 413
    assert 'data-error-code="file_too_large"' in response.get_data(as_text=True)


def test_bank_page_lists_and_searches_questions(organizer: Any) -> None:
    upload(organizer, template_xlsx(), "模板.xlsx", bank="示例")
    banks_page = organizer.get("/admin/banks").get_data(as_text=True)
    bank_id = re.search(r'href="/admin/banks/(\d+)">示例</a>', banks_page).group(1)
    page = organizer.get(f"/admin/banks/{bank_id}").get_data(as_text=True)
    assert "共 <span data-total>5</span> 题" in page
    page = organizer.get(f"/admin/banks/{bank_id}?q=遵义会议").get_data(as_text=True)
    assert "共 <span data-total>1</span> 题" in page and "请将下列会议按召开时间先后排序" in page
    page = organizer.get(f"/admin/banks/{bank_id}?tag=党员权利").get_data(as_text=True)
    assert "共 <span data-total>1</span> 题" in page and "党员的权利包括" in page
    assert organizer.get("/admin/banks/99999").status_code == 404


def test_user_text_is_escaped(organizer: Any) -> None:
    rows = [HEADER, ["判断题", "<script>alert(1)</script>是否正确？", "", "", "", "", "对", ""]]
    upload(organizer, xlsx(rows), "x.xlsx", bank="<b>题库</b>")
    page = organizer.get("/admin/banks").get_data(as_text=True)
    assert "<b>题库</b>" not in page and "&lt;b&gt;题库&lt;/b&gt;" in page


def test_exports_load_back_unchanged(organizer: Any) -> None:
    upload(organizer, template_xlsx(), "模板.xlsx", bank="示例")
    bank_id = re.search(
        r'href="/admin/banks/(\d+)">示例</a>', organizer.get("/admin/banks").get_data(as_text=True)
    ).group(1)
    original = read_bank(template_xlsx(), "t.xlsx").accepted
    for fmt in ("xlsx", "csv", "yaml", "json"):
        response = organizer.get(f"/admin/banks/{bank_id}/export.{fmt}")
        assert response.status_code == 200, fmt
        assert "attachment" in response.headers["Content-Disposition"]
        assert read_bank(response.data, f"export.{fmt}").accepted == original, fmt
    assert organizer.get(f"/admin/banks/{bank_id}/export.exe").status_code == 404


def test_template_download_is_the_import_template(organizer: Any) -> None:
    response = organizer.get("/admin/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    report = read_bank(response.data, "模板.xlsx")
    assert sorted(q.type for q in report.accepted) == ["fill", "judge", "multiple", "order", "single"]


def test_roster_upload_shows_counts_and_the_branches(organizer: Any) -> None:
    csv = (
        "姓名,工号,支部,手机\n张三,D001,第一党支部,13800000001\n"
        "李四,D002,第二党支部,\n王五,D003,第二党支部,12\n"
    )
    response = organizer.post(
        "/admin/roster",
        data={
            "file": (io.BytesIO(csv.encode("gbk")), "花名册.csv"),
            "csrf_token": csrf_token(organizer, "/admin/roster"),
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "新增 2 人，更新 0 人，未变 0 人，新增支部 2 个" in page
    assert re.findall(r'data-row="(\d+)" data-code="(\w+)"', page) == [("4", "bad_phone")]
    assert re.search(r"<td>第二党支部</td><td class=\"num\">1</td>", page)


def test_pages_send_security_headers(client: Any) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)  # no inline script anywhere


def test_unknown_page_is_a_zh_404(client: Any) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
