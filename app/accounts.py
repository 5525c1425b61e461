"""Accounts: organizer and secretary logins, and members' logins to their task cards."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from typing import TypeVar

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import Member, User

log = logging.getLogger(__name__)
T = TypeVar("T")

ROLES = ("organizer", "host", "secretary")  # staff accounts; members log in on their own pages
USERNAME = re.compile(r"^[\w.\-]{2,40}$")
MIN_PASSWORD = 8
# werkzeug's scrypt, spelled out (N=2**15, r=8, p=1: memory-hard, about 0.1-0.2 s of a small
# server's CPU per hash). The test suite lowers N for the apps it runs in its own process
# (tests/conftest.py); a hash names its own parameters, so either kind checks anywhere.
PASSWORD_HASH = "scrypt:32768:8:1"


def hash_secret(secret: str) -> str:
    """A password's or a login code's hash, as stored."""
    return generate_password_hash(secret, method=PASSWORD_HASH)


# Checked against when the username is unknown, so both paths cost one hash.
_DUMMY_HASH = hash_secret("not-a-password")


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
    if role not in ROLES:
        raise AccountError(
            "bad_role", "角色只能是 organizer（组织者）、host（主持人）或 secretary（支部书记）。"
        )
    if role == "secretary" and branch_id is None:
        raise AccountError("branch_required", "支部书记账号需要指定所在支部。")
    user.role = role
    user.branch_id = branch_id if role == "secretary" else None
    user.password_hash = hash_secret(password)
    user.active = True
    return user, created


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


# -- members (我的盲盒) ------------------------------------------------------------------
# A member logs in with member_no and a login code the organizer issued (8 characters
# without look-alikes, valid LOGIN_CODE_DAYS days, good for one login), then sets a
# password of their own; later logins use member_no and that password.

LOGIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LOGIN_CODE_LENGTH = 8
LOGIN_CODE_DAYS = 14


def issue_login_code(member: Member, now: dt.datetime) -> str:
    """A fresh code for ``member`` (any earlier one stops working); shown once."""
    code = "".join(secrets.choice(LOGIN_CODE_ALPHABET) for _ in range(LOGIN_CODE_LENGTH))
    member.login_code_hash = hash_secret(code)
    member.login_code_expires = now + dt.timedelta(days=LOGIN_CODE_DAYS)
    return code


def _code_form(text: str) -> str:
    """What a member types, as issued: full-width and lower case, spaces and dashes forgiven."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch.isalnum())


def authenticate_member(
    session: Session, member_no: str, secret: str, now: dt.datetime
) -> tuple[Member | None, bool]:
    """(member, used_code): a right password, or a right unexpired login code (then spent,
    and the member must set a password). (None, False) for anything else, at one hash's cost."""
    number = unicodedata.normalize("NFKC", member_no).strip()
    member = session.scalar(select(Member).where(Member.member_no == number, Member.active.is_(True)))
    if member is None:
        check_password_hash(_DUMMY_HASH, secret)
        return None, False
    if member.password_hash and check_password_hash(member.password_hash, secret):
        return member, False
    code = _code_form(secret)
    if (
        member.login_code_hash
        and member.login_code_expires is not None
        and now <= member.login_code_expires
        and len(code) == LOGIN_CODE_LENGTH
        and check_password_hash(member.login_code_hash, code)
    ):
        member.login_code_hash = None
        member.login_code_expires = None
        return member, True
    return None, False


def set_member_password(member: Member, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("weak_password", f"密码至少 {MIN_PASSWORD} 位。")
    if len(password) > 200:
        raise AccountError("bad_password", "密码太长了。")
    member.password_hash = hash_secret(password)


# -- login throttling --------------------------------------------------------------------
# Failed logins are counted per account and per client address in a window that starts
# with the first failure: past the limit, logins are refused (even right ones) until the
# window ends, so a password cannot be guessed faster than ACCOUNT_LIMIT per window.
# The address limit is high on purpose: a whole office may share one address.

THROTTLE_WINDOW_S = 15 * 60
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 100

# INCR and set the window's expiry on the first failure, in one step.
_COUNT_FAILURE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class LoginThrottle:
    """Owns the ``arena:login:*`` keys (docs/REDIS.md). ``kind`` is ``user`` (staff) or
    ``member`` (我的盲盒). If Redis is down, logins are not throttled rather than refused:
    the organizer must still get in to see what is wrong."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._count_failure = client.register_script(_COUNT_FAILURE)

    @staticmethod
    def _keys(kind: str, name: str, address: str) -> tuple[str, str]:
        folded = unicodedata.normalize("NFKC", name).strip().casefold()
        return f"arena:login:{kind}:{folded}", f"arena:login:addr:{address}"

    def attempt(
        self, kind: str, name: str, address: str, check: Callable[[], T | None]
    ) -> tuple[T | None, int]:
        """Run ``check`` (the password check, None when wrong) unless the account or the
        address is locked: (its result, 0), or (None, minutes to wait). A wrong one is
        counted, a right one clears the account's count."""
        wait = self.wait_minutes(kind, name, address)
        if wait:
            return None, wait
        result = check()
        if result is None:
            self.failed(kind, name, address)
        else:
            self.succeeded(kind, name)
        return result, 0

    def wait_minutes(self, kind: str, name: str, address: str) -> int:
        """0 when a login may be tried, else the whole minutes until it may."""
        account, client = self._keys(kind, name, address)
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(account)
            pipe.ttl(account)
            pipe.get(client)
            pipe.ttl(client)
            failures, account_ttl, address_failures, address_ttl = pipe.execute()
        except redis.RedisError:
            log.warning("login throttle unavailable (Redis)")
            return 0
        waits = []
        if int(failures or 0) >= ACCOUNT_LIMIT:
            waits.append(account_ttl)
        if int(address_failures or 0) >= ADDRESS_LIMIT:
            waits.append(address_ttl)
        return -(-max(waits) // 60) if waits else 0

    def failed(self, kind: str, name: str, address: str) -> None:
        try:
            for key in self._keys(kind, name, address):
                self._count_failure(keys=[key], args=[THROTTLE_WINDOW_S])
        except redis.RedisError:
            log.warning("login throttle unavailable (Redis)")

    def succeeded(self, kind: str, name: str) -> None:
        try:
            self.redis.delete(self._keys(kind, name, "")[0])
        except redis.RedisError:
            log.warning("login throttle unavailable (Redis)")

    @staticmethod
    def message(minutes: int) -> str:
        return f"登录失败次数过多，请 {minutes} 分钟后再试。"
