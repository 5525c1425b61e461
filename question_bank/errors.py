"""Every error code the question-bank and roster readers can report, with its zh-CN text.

Codes are stable: the web pages, the CLI and the tests match on them. The message is
what an organizer reads; ``{…}`` fields are filled from the details of one problem.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # File-level problems: the whole file is refused.
    "empty_file": "文件是空的，没有可读取的内容。",
    "file_too_large": "文件大小为 {size}，超过上限 {limit}。",
    "unknown_format": "无法识别文件格式“{name}”，支持 {allowed}。",
    "bad_encoding": "文件编码无法识别，请以 UTF-8 或 GBK 编码保存后重试。",
    "not_xlsx": "文件内容不是 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    "xls_not_supported": "这是旧版 Excel 97-2003（.xls）文件，请在 Excel 或 WPS 中“另存为 .xlsx”后重试。",
    "encrypted_workbook": "工作簿设置了打开密码，请取消密码保护后重试。",
    "corrupt_file": "文件已损坏或不完整（{detail}），请重新导出或重新下载后重试。",
    "too_many_rows": "文件超过 {limit} 行，请拆分成多个文件导入。",
    "no_header": "前 {rows} 行中没有找到表头：至少需要{columns}。",
    "missing_column": "缺少必需的列“{column}”。",
    "no_questions": "文件中没有题目。",
    "no_rows": "文件中没有数据行。",
    "bad_syntax": "文件格式错误（第 {line} 行）：{detail}",
    "bad_structure": "文件结构不正确：{detail}",
    "no_sheet": "工作簿中没有工作表。",
    # Row-level problems: the row is rejected, the rest of the file loads.
    "missing_field": "“{column}”不能为空。",
    "unknown_type": "无法识别的题型“{value}”，可用：单选题、多选题、判断题、填空题、排序题。",
    "too_few_options": "{type}至少需要 2 个选项。",
    "too_many_options": "最多支持 6 个选项（A-F），本题有 {count} 个。",
    "option_gap": "选项不连续：选项{letter}为空，但后面还有选项。",
    "duplicate_option": "选项{letter}与选项{other}内容相同。",
    "option_too_long": "选项{letter}超过 {limit} 个字符。",
    "stem_too_long": "题干超过 {limit} 个字符。",
    "answer_out_of_range": "答案“{value}”超出选项范围（本题只有 {letters}）。",
    "answer_not_in_options": "答案“{value}”既不是选项字母，也与任何选项内容不一致。",
    "single_needs_one": "单选题只能有一个答案，本题给出了“{value}”。",
    "multiple_needs_two": "多选题至少需要两个正确答案，本题只有“{value}”。",
    "bad_judge_answer": "判断题答案“{value}”无法识别，请填写 对/错、正确/错误、√/×、T/F。",
    "judge_options": "判断题只能有“正确/错误”两个选项，本题有 {count} 个选项。",
    "bad_order_answer": "排序题答案“{value}”必须按正确顺序列出全部选项字母（{letters}）各一次。",
    "fill_blank_mismatch": "题干中有 {blanks} 个空，但答案给出了 {answers} 组。",
    "fill_has_options": "填空题不应填写选项。",
    "bad_number": "“{column}”应为整数，实际为“{value}”。",
    "number_out_of_range": "“{column}”应在 {low} 到 {high} 之间，实际为 {value}。",
    "bad_difficulty": "无法识别的难度“{value}”，请填写 1-5 或 简单/较易/中等/较难/困难。",
    "formula_cell": "单元格是公式（{value}），请改为直接填写内容（复制后“选择性粘贴 → 数值”）。",
    "bad_field": "“{column}”格式不正确：{detail}",
    "unknown_field": "未知字段“{column}”，可用字段：{allowed}。",
    "unsupported_question": "不支持的题目写法：{detail}",
    "duplicate_in_file": "与本文件第 {other} 行的题目重复（题干和选项相同）。",
    "duplicate_in_bank": "题库“{bank}”中已有相同的题目（题干和选项相同）。",
    # Roster rows.
    "bad_member_no": "工号“{value}”格式不正确（只能包含字母、数字和 - _ ，最多 32 个字符）。",
    "bad_phone": "手机号“{value}”格式不正确，应为 11 位数字。",
    "bad_member_type": "党员类别“{value}”无法识别，应为 正式党员、预备党员、入党积极分子 或 群众。",
    "duplicate_member_no": "工号“{value}”与第 {other} 行重复。",
    "name_too_long": "“{column}”超过 {limit} 个字符。",
}


def message(code: str, **details: object) -> str:
    """Return the zh-CN message for ``code`` with ``details`` filled in."""
    return MESSAGES[code].format(**details)


class BankFileError(Exception):
    """A problem with the whole file: nothing in it is imported."""

    def __init__(self, code: str, **details: object) -> None:
        self.code = code
        self.details = details
        self.message = message(code, **details)
        super().__init__(f"{code}: {self.message}")
