"""Registering organisations, departments and users (the city's directory of people).

These are not cases and have no lifecycle; every change is kept in the directory's own
append-only trail (``DirectoryEvent``): who did what, to which, when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from db.models import Department, DirectoryEvent, Membership, Organisation, User, UserRole, UserSession
from states.roles import ROLES
from states.vocabulary import LANGUAGES, ORGANISATION_KINDS, OWNER_KINDS
from workflow.actors import Actor, load_actor
from workflow.calendar.clock import Clock, SystemClock
from workflow.errors import InvalidInput


def record(session: Session, subject: str, subject_id: int, action: str, *, actor_id: int | None = None,
           details: dict | None = None, clock: Clock | None = None) -> None:
    session.add(DirectoryEvent(subject=subject, subject_id=subject_id, action=action, actor_id=actor_id,
                               details=details or {}, at=(clock or SystemClock()).now()))


def add_member(session: Session, organisation_id: int, user_id: int, *, actor_id: int | None = None,
               is_contact: bool = True, clock: Clock | None = None) -> int:
    """Make a person a member (and, by default, a contact) of an organisation."""
    membership = Membership(organisation_id=organisation_id, user_id=user_id, is_contact=is_contact)
    session.add(membership)
    session.flush()
    record(session, "membership", membership.id, "added", actor_id=actor_id,
           details={"organisation_id": organisation_id, "user_id": user_id, "is_contact": is_contact}, clock=clock)
    return membership.id


def add_organisation(session: Session, name: str, kind: str, representative_name: str, *,
                     representative_title: str = "代表", email: str = "", clock: Clock | None = None,
                     actor_id: int | None = None) -> int:
    if kind not in ORGANISATION_KINDS:
        raise InvalidInput("kind", "団体の種類が正しくありません。", f"kind must be one of {list(ORGANISATION_KINDS)}")
    org = Organisation(name=name, kind=kind, representative_name=representative_name,
                       representative_title=representative_title, email=email,
                       created_at=(clock or SystemClock()).now())
    session.add(org)
    session.flush()
    record(session, "organisation", org.id, "registered", actor_id=actor_id, details={"name": name, "kind": kind},
           clock=clock)
    return org.id


def add_department(session: Session, code: str, name_ja: str, owner_kind: str, owner_name: str,
                   name_en: str = "", *, actor_id: int | None = None, clock: Clock | None = None) -> int:
    problems = department_problems(session, code, name_ja, owner_kind, owner_name, name_en)
    if problems:
        name, (ja, en) = next(iter(problems.items()))
        raise InvalidInput(name, ja, en)
    dept = Department(code=code, name_ja=name_ja, name_en=name_en, owner_kind=owner_kind, owner_name=owner_name)
    session.add(dept)
    session.flush()
    record(session, "department", dept.id, "added", actor_id=actor_id,
           details={"code": code, "name_ja": name_ja, "owner_kind": owner_kind, "owner_name": owner_name},
           clock=clock)
    return dept.id


def department_problems(session: Session, code: str, name_ja: str, owner_kind: str,
                        owner_name: str, name_en: str = "") -> dict[str, tuple[str, str]]:
    """What is wrong with a new department, by field, as (ja, en); empty when nothing."""
    found: dict[str, tuple[str, str]] = {}
    if not CODE_PATTERN.match(code):
        found["code"] = ("コードは英数字・ハイフン・下線で40文字以内にしてください。",
                         "the code is up to 40 letters, digits, hyphens or underscores")
    elif session.execute(select(Department.id).where(Department.code == code)).first():
        found["code"] = (f"コード「{code}」の所管課はすでにあります。", f"a department with code {code!r} exists")
    if not name_ja.strip() or not _fits(name_ja, 200) or not _fits(name_en, 200):
        found["name_ja"] = ("所管課の名称を200文字以内で入力してください。", "the department needs a name (up to 200 characters)")
    if owner_kind not in OWNER_KINDS:
        found["owner_kind"] = ("所管は区役所（ward）か局（bureau）です。", "owner_kind is ward or bureau")
    if not owner_name.strip() or not _fits(owner_name, 200):
        found["owner_name"] = ("区役所または局の名称を200文字以内で入力してください。",
                               "name the ward office or bureau (up to 200 characters)")
    return found


def add_user(session: Session, login: str, name: str, email: str, roles: tuple[str, ...], *,
             department_id: int | None = None, organisation_ids: tuple[int, ...] = (),
             language: str = "ja", is_department_head: bool = False, clock: Clock | None = None,
             actor_id: int | None = None) -> int:
    """Add a person (without a password: they set one through an invitation or a reset link)."""
    _check_roles(roles)
    if language not in LANGUAGES:
        raise InvalidInput("language", "言語は ja か en です。", "language is ja or en")
    user = User(login=login, name=name, email=email, language=language, department_id=department_id,
                is_department_head=is_department_head, created_at=(clock or SystemClock()).now())
    session.add(user)
    session.flush()
    session.add_all([UserRole(user_id=user.id, role=r) for r in roles])
    session.flush()
    record(session, "user", user.id, "added", actor_id=actor_id,
           details={"login": login, "roles": sorted(roles), "department_id": department_id,
                    "is_department_head": is_department_head}, clock=clock)
    for o in organisation_ids:
        add_member(session, o, user.id, actor_id=actor_id, clock=clock)
    return user.id


# What city administrators type: checked before anything is written, each problem by field.
LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9._-]{3,50}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def user_problems(session: Session, login: str, name: str, email: str, roles: tuple[str, ...],
                  department_id: int | None, language: str) -> dict[str, tuple[str, str]]:
    """What is wrong with a new person, by field, as (ja, en); empty when nothing."""
    found: dict[str, tuple[str, str]] = {}
    if not LOGIN_PATTERN.match(login):
        found["login"] = ("ログイン名は半角英数字と . _ - で3〜50文字にしてください。",
                          "the login name is 3 to 50 letters, digits, dots, underscores or hyphens")
    elif session.execute(select(User.id).where(User.login == login)).first():
        found["login"] = (f"ログイン名「{login}」はすでに使われています。", f"the login name {login!r} is taken")
    if not name.strip() or not _fits(name, 200):
        found["name"] = ("氏名を200文字以内で入力してください。", "enter the person's name (up to 200 characters)")
    if not EMAIL_PATTERN.match(email) or not _fits(email, 254):
        found["email"] = ("メールアドレスが正しくありません。", "not an e-mail address")
    if language not in LANGUAGES:
        found["language"] = ("言語は ja か en です。", "language is ja or en")
    found.update(role_problems(session, roles, department_id))
    return found


def _fits(value: str, limit: int) -> bool:
    """Within the column, and free of NUL (which PostgreSQL refuses in text)."""
    return len(value) <= limit and "\x00" not in value


def role_problems(session: Session, roles: tuple[str, ...], department_id: int | None) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    unknown = sorted(r for r in roles if r not in ROLES)
    if unknown:
        found["roles"] = (f"不明な役割です：{', '.join(unknown)}（使える役割：{', '.join(ROLES)}）",
                          f"unknown roles: {', '.join(unknown)} (roles: {', '.join(ROLES)})")
    elif not roles:
        found["roles"] = ("役割を一つ以上選んでください。", "choose at least one role")
    if department_id is not None and session.get(Department, department_id) is None:
        found["department"] = ("その所管課は登録されていません。", "no such department")
    elif "department" in roles and department_id is None:
        found["department"] = ("所管課の役割には所属する所管課が必要です。", "the department role needs a department")
    return found


def _check_roles(roles: tuple[str, ...]) -> None:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput("roles", f"不明な役割です：{unknown}", f"unknown roles: {unknown}")


def set_roles(session: Session, user_id: int, roles: tuple[str, ...], *, department_id: int | None,
              is_department_head: bool, actor_id: int | None = None, clock: Clock | None = None) -> bool:
    """Replace a person's roles, department and head flag; False when nothing changed.

    A change of roles takes effect on the person's next page: each request reads them anew.
    """
    problems = role_problems(session, roles, department_id)
    if problems:
        name, (ja, en) = next(iter(problems.items()))
        raise InvalidInput(name, ja, en)
    user = session.get(User, user_id)
    if user is None or user.login == SYSTEM_LOGIN:
        raise InvalidInput("user", "この利用者の役割は変更できません。", "this user's roles cannot be changed")
    before = sorted(session.execute(select(UserRole.role).where(UserRole.user_id == user_id)).scalars())
    after = sorted(set(roles))
    if (before, user.department_id, user.is_department_head) == (after, department_id, is_department_head):
        return False
    session.execute(delete(UserRole).where(UserRole.user_id == user_id))
    session.add_all([UserRole(user_id=user_id, role=r) for r in after])
    session.execute(update(User).where(User.id == user_id)
                    .values(department_id=department_id, is_department_head=is_department_head))
    session.flush()
    record(session, "user", user_id, "roles_changed", actor_id=actor_id, clock=clock, details={
        "roles": {"before": before, "after": after},
        "department_id": {"before": user.department_id, "after": department_id},
        "is_department_head": {"before": user.is_department_head, "after": is_department_head}})
    return True


@dataclass(frozen=True)
class Person:
    """One line of the list of people, as administrators read it."""

    id: int
    login: str
    name: str
    email: str
    language: str
    roles: tuple[str, ...]
    department_id: int | None
    department_ja: str
    department_en: str
    is_department_head: bool
    active: bool
    has_password: bool
    last_sign_in: datetime | None
    # Linked to the city's identity provider: signs in there, needs no password.
    linked: bool = False


def people(session: Session, *, role: str | None = None, active: bool | None = None, after: int | None = None,
           limit: int | None = None, user_id: int | None = None) -> list[Person]:
    """People by id (keyset paging with ``after``), the scheduled tasks' own account left out."""
    last = (select(func.max(UserSession.created_at)).where(UserSession.user_id == User.id)
            .correlate(User).scalar_subquery())
    q = (select(User, Department.name_ja, Department.name_en, last)
         .outerjoin(Department, Department.id == User.department_id)
         .where(User.login != SYSTEM_LOGIN).order_by(User.id))
    if user_id is not None:
        q = q.where(User.id == user_id)
    if role:
        q = q.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        q = q.where(User.active.is_(active))
    if after:
        q = q.where(User.id > after)
    if limit:
        q = q.limit(limit)
    rows = session.execute(q).all()
    roles: dict[int, list[str]] = {}
    for uid, r in session.execute(select(UserRole.user_id, UserRole.role)
                                  .where(UserRole.user_id.in_([row[0].id for row in rows]))):
        roles.setdefault(uid, []).append(r)
    return [Person(u.id, u.login, u.name, u.email, u.language, tuple(sorted(roles.get(u.id, ()))), u.department_id,
                   dept_ja or "", dept_en or "", u.is_department_head, u.active, u.password_hash is not None, seen,
                   u.oidc_subject is not None)
            for u, dept_ja, dept_en, seen in rows]


def person(session: Session, user_id: int) -> Person | None:
    found = people(session, user_id=user_id)
    return found[0] if found else None


def departments(session: Session) -> list[Department]:
    return list(session.execute(select(Department).order_by(Department.code)).scalars())


def department_by_code(session: Session, code: str) -> Department | None:
    return session.execute(select(Department).where(Department.code == code)).scalar()


SYSTEM_LOGIN = "kyodo-system"


def system_actor(session: Session) -> Actor:
    """The account scheduled tasks act as, so the audit trail names them honestly.

    It holds the secretariat role, has no password (nobody can sign in as it) and no
    e-mail address (it receives no notices). Created on first use.
    """
    user_id = session.execute(select(User.id).where(User.login == SYSTEM_LOGIN)).scalar()
    if user_id is None:
        user_id = add_user(session, SYSTEM_LOGIN, "Kyodo（自動処理）", "", ("secretariat",))
        session.commit()
    return load_actor(session, user_id)
