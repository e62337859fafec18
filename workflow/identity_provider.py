"""City staff signed in by the city's identity provider (OpenID Connect): who they are in Kyodo.

The provider vouches for a person (the ID token's claims); this module decides which
Kyodo account that is, and what it may do:

- **Which account.** The one linked to the provider's subject (``sub``); else, once, a
  person registered in Kyodo with the same e-mail address and no link yet, when the
  provider says the address is verified (``email_verified``) or the city trusts its
  addresses (``KYODO_OIDC_TRUST_EMAIL``); else a new account, when the claims give the
  person at least one Kyodo role. Anyone else is refused: signing in at the city's
  provider alone opens nothing.
- **Which roles.** With a roles claim configured (``KYODO_OIDC_ROLES_CLAIM``), the roles
  the provider manages are set from it at every sign-in (a person moved out of the
  secretariat loses that role at their next sign-in); roles outside the mapping (a
  reviewer kept by hand, a group's member) stay as they are. Without a roles claim, the
  roles are the ones set in Kyodo (``kyodo users roles``).
- **Which department.** With a department claim (default ``department``), the value is a
  department code (``kyodo departments list``); an unknown code refuses the sign-in,
  naming the code, so nobody lands in the wrong department's queue.

A linked person signs in at the provider only; their password, if they had one, no
longer opens the account. Groups (citizens) keep signing in with a password: the
provider never grants ``proposer``. Every link, new account and change of roles is kept
in the directory's trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from sqlalchemy import select, update
from sqlmodel import Session

from db.models import User, UserRole
from states.roles import ROLES
from workflow import directory
from workflow.calendar.clock import Clock
from workflow.errors import InvalidInput, KyodoError

# The provider may grant every role but the group's own.
GRANTABLE = tuple(r for r in ROLES if r != "proposer")
VIA = "oidc"


class SignInRefused(KyodoError):
    """The provider vouched for the person, but Kyodo has no place for them."""

    code = "sign_in_refused"


@dataclass(frozen=True)
class Policy:
    """How the city's claims are read (``KYODO_OIDC_*``)."""

    roles_claim: str = "roles"
    # Claim value -> Kyodo role. Empty: a value that is a Kyodo role's name is that role.
    role_map: Mapping[str, str] = field(default_factory=dict)
    department_claim: str = "department"
    trust_email: bool = False

    @property
    def managed_roles(self) -> frozenset[str]:
        """The roles the provider sets and takes away; the others are Kyodo's own."""
        if not self.roles_claim:
            return frozenset()
        return frozenset(self.role_map.values()) if self.role_map else frozenset(GRANTABLE)

    def roles_of(self, claims: Mapping[str, Any]) -> frozenset[str]:
        values = _values(claims.get(self.roles_claim)) if self.roles_claim else []
        if self.role_map:
            return frozenset(self.role_map[v] for v in values if v in self.role_map)
        return frozenset(v for v in values if v in GRANTABLE)


def policy_problems(role_map: Mapping[str, str]) -> list[str]:
    """What is wrong with a configured role map (a target that is no role the provider may grant)."""
    return [f"{claim!r} -> {role!r}" for claim, role in role_map.items() if role not in GRANTABLE]


def _values(raw: Any) -> list[str]:
    """A roles claim as providers send it: a list, or one string of names separated by spaces or commas."""
    if isinstance(raw, str):
        return [v for v in re.split(r"[\s,]+", raw) if v]
    if isinstance(raw, (list, tuple)):
        return [v for v in raw if isinstance(v, str)]
    return []


def _text(claims: Mapping[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def sign_in(session: Session, claims: Mapping[str, Any], policy: Policy, clock: Clock) -> int:
    """The Kyodo account the provider's claims stand for, linked, created and updated as needed.

    Raises ``SignInRefused`` (with what the person or the secretariat can do) when there is
    none. The caller commits.
    """
    subject = _text(claims, "sub", 255)
    if not subject:
        raise SignInRefused("認証基盤から利用者の識別子が届きませんでした。", "the identity provider sent no subject",
                            "時間をおいてやり直し、続くときは事務局に連絡してください。",
                            "try again later; if it persists, contact the secretariat")
    email = _text(claims, "email", 254)
    roles = policy.roles_of(claims)
    department_id = _department(session, claims, policy)

    user = session.execute(select(User).where(User.oidc_subject == subject)).scalar()
    if user is None and email:
        user = session.execute(select(User).where(User.email == email, User.oidc_subject.is_(None),
                                                  User.login != directory.SYSTEM_LOGIN)
                               .order_by(User.id)).scalars().first()
        if user is not None and not (claims.get("email_verified") is True or policy.trust_email):
            # Neither a second account for the same person nor a link on an address nobody checked.
            raise SignInRefused("このメールアドレスの Kyodo アカウントがありますが、認証基盤がメールアドレスを確認済みとしていないため、自動では結び付けられません。",
                                "a Kyodo account has this e-mail address, but the provider has not verified it, "
                                "so it is not linked automatically",
                                "事務局に連絡してください（kyodo users link で結び付けられます）。",
                                "contact the secretariat (kyodo users link links the accounts)")
        if user is not None:
            session.execute(update(User).where(User.id == user.id).values(oidc_subject=subject))
            directory.record(session, "user", user.id, "linked", details={"via": VIA, "by": "email"}, clock=clock)
    if user is None:
        if not roles:
            raise _no_role()
        user_id = _create(session, claims, subject, email, roles, department_id, clock)
    else:
        if not user.active:
            raise SignInRefused("このアカウントは利用停止中です。", "this account is disabled",
                                "事務局に連絡してください。", "contact the secretariat")
        user_id = user.id
        _sync_roles(session, user, roles, department_id, policy, clock)
    if not session.execute(select(UserRole.role).where(UserRole.user_id == user_id)).first():
        raise _no_role()
    return user_id


def _no_role() -> SignInRefused:
    return SignInRefused("認証はできましたが、Kyodo での役割が割り当てられていません。",
                         "you are signed in at the city's provider, but have no role in Kyodo",
                         "所属の担当者または市民協働推進課（事務局）に役割の設定を依頼してください。",
                         "ask your administrator or the collaboration section to give you a role")


def _department(session: Session, claims: Mapping[str, Any], policy: Policy) -> int | None:
    code = _text(claims, policy.department_claim, 40) if policy.department_claim else ""
    if not code:
        return None
    dept = directory.department_by_code(session, code)
    if dept is None:
        raise SignInRefused(f"所属コード「{code}」の所管課が Kyodo に登録されていません。",
                            f"no department with code {code!r} is registered in Kyodo",
                            f"事務局に所管課「{code}」の登録（kyodo departments add）を依頼してください。",
                            f"ask the secretariat to add the department {code!r} (kyodo departments add)")
    return dept.id


def _login_for(session: Session, claims: Mapping[str, Any], subject: str) -> str:
    """A login name for a new account: the provider's preferred one if free, else one from the subject."""
    for candidate in (_text(claims, "preferred_username", 50), (_text(claims, "email", 254).split("@")[0])[:50]):
        candidate = re.sub(r"[^A-Za-z0-9._-]", "", candidate)
        if len(candidate) >= 3 and not session.execute(select(User.id).where(User.login == candidate)).first():
            return candidate
    base = "sso-" + re.sub(r"[^A-Za-z0-9._-]", "", subject)[:30]
    login, n = base, 1
    while session.execute(select(User.id).where(User.login == login)).first():
        n += 1
        login = f"{base}-{n}"
    return login


def _create(session: Session, claims: Mapping[str, Any], subject: str, email: str, roles: frozenset[str],
            department_id: int | None, clock: Clock) -> int:
    problems = directory.role_problems(session, tuple(sorted(roles)), department_id)
    if problems:
        _, (ja, en) = next(iter(problems.items()))
        raise SignInRefused(ja, en, "所属の設定を確かめるよう事務局に依頼してください。",
                            "ask the secretariat to check your department")
    name = _text(claims, "name", 200) or " ".join(
        p for p in (_text(claims, "family_name", 100), _text(claims, "given_name", 100)) if p) or email or subject
    language = "en" if _text(claims, "locale", 10).lower().startswith("en") else "ja"
    user_id = directory.add_user(session, _login_for(session, claims, subject), name[:200], email,
                                 tuple(sorted(roles)), department_id=department_id, language=language, clock=clock)
    session.execute(update(User).where(User.id == user_id).values(oidc_subject=subject))
    directory.record(session, "user", user_id, "linked", details={"via": VIA, "by": "new_account"}, clock=clock)
    return user_id


def _sync_roles(session: Session, user: User, granted: frozenset[str], department_id: int | None, policy: Policy,
                clock: Clock) -> None:
    managed = policy.managed_roles
    current = frozenset(session.execute(select(UserRole.role).where(UserRole.user_id == user.id)).scalars())
    roles = (current - managed) | granted if managed else current
    department = department_id if department_id is not None else user.department_id
    if roles == current and department == user.department_id:
        return
    if not roles:
        # A provider leaves out an empty roles claim: no claim means no role, never "keep the old ones".
        raise _no_role()
    problems = directory.role_problems(session, tuple(sorted(roles)), department)
    if problems:
        _, (ja, en) = next(iter(problems.items()))
        raise SignInRefused(ja, en, "所属の設定を確かめるよう事務局に依頼してください。",
                            "ask the secretariat to check your department")
    directory.set_roles(session, user.id, tuple(sorted(roles)), department_id=department,
                        is_department_head=user.is_department_head, clock=clock)


def link(session: Session, user_id: int, subject: str, clock: Clock, *, actor_id: int | None = None) -> None:
    """Link a person by hand (``kyodo users link``), e.g. when the provider does not verify addresses."""
    subject = subject.strip()
    if not subject or len(subject) > 255 or "\x00" in subject:
        raise InvalidInput("subject", "識別子（sub）は1〜255文字で指定してください。", "give a subject of 1–255 characters")
    holder = session.execute(select(User.login).where(User.oidc_subject == subject, User.id != user_id)).scalar()
    if holder is not None:
        raise InvalidInput("subject", f"この識別子はすでに「{holder}」に結び付いています。",
                           f"this subject is already linked to {holder!r}")
    session.execute(update(User).where(User.id == user_id).values(oidc_subject=subject))
    directory.record(session, "user", user_id, "linked", actor_id=actor_id, details={"via": VIA, "by": "hand"},
                     clock=clock)


def unlink(session: Session, user_id: int, clock: Clock, *, actor_id: int | None = None) -> None:
    session.execute(update(User).where(User.id == user_id).values(oidc_subject=None))
    directory.record(session, "user", user_id, "unlinked", actor_id=actor_id, details={"via": VIA}, clock=clock)
