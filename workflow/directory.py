"""Registering organisations, departments and users (the city's directory of people).

These are not cases and have no lifecycle; every change is kept in the directory's own
append-only trail (``DirectoryEvent``): who did what, to which, when.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from db.models import Department, DirectoryEvent, Membership, Organisation, User, UserRole
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
                   name_en: str = "") -> int:
    if owner_kind not in OWNER_KINDS:
        raise InvalidInput("owner_kind", "所管は区役所（ward）か局（bureau）です。", "owner_kind is ward or bureau")
    dept = Department(code=code, name_ja=name_ja, name_en=name_en, owner_kind=owner_kind, owner_name=owner_name)
    session.add(dept)
    session.flush()
    return dept.id


def add_user(session: Session, login: str, name: str, email: str, roles: tuple[str, ...], *,
             department_id: int | None = None, organisation_ids: tuple[int, ...] = (),
             language: str = "ja", is_department_head: bool = False, clock: Clock | None = None) -> int:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput("roles", f"不明な役割です：{unknown}", f"unknown roles: {unknown}")
    if language not in LANGUAGES:
        raise InvalidInput("language", "言語は ja か en です。", "language is ja or en")
    user = User(login=login, name=name, email=email, language=language, department_id=department_id,
                is_department_head=is_department_head, created_at=(clock or SystemClock()).now())
    session.add(user)
    session.flush()
    session.add_all([UserRole(user_id=user.id, role=r) for r in roles])
    session.flush()
    record(session, "user", user.id, "added", details={"login": login, "roles": sorted(roles),
                                                       "department_id": department_id}, clock=clock)
    for o in organisation_ids:
        add_member(session, o, user.id, clock=clock)
    return user.id


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
