"""Organizer accounts: creation with validation, and password login."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import User

USERNAME = re.compile(r"^[\w.\-]{2,40}$")
MIN_PASSWORD = 8
# Checked against when the username is unknown, so both paths cost one hash.
_DUMMY_HASH = generate_password_hash("not-a-password")


class AccountError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def set_user(
    session: Session,
    username: str,
    password: str,
    *,
    display_name: str = "",
    role: str = "organizer",
    branch_id: int | None = None,
) -> tuple[User, bool]:
    """Create the account, or reset its password if it exists. Returns (user, created)."""
    username = username.strip()
    if not USERNAME.match(username):
        raise AccountError("bad_username", "用户名应为 2-40 个字母、数字、汉字或 . _ -")
    if len(password) < MIN_PASSWORD:
        raise AccountError("weak_password", f"密码至少 {MIN_PASSWORD} 位。")
    user = session.scalar(select(User).where(User.username == username))
    created = user is None
    if user is None:
        user = User(username=username, display_name=display_name or username, role=role)
        session.add(user)
    elif display_name:
        user.display_name = display_name
    if role not in ("organizer", "secretary"):
        raise AccountError("bad_role", "角色只能是 organizer（组织者）或 secretary（支部书记）。")
    if role == "secretary" and branch_id is None:
        raise AccountError("branch_required", "支部书记账号需要指定所在支部。")
    user.role = role
    user.branch_id = branch_id if role == "secretary" else None
    user.set_password(password)
    user.active = True
    return user, created


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        from werkzeug.security import check_password_hash

        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.check_password(password) else None
