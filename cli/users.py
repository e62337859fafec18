"""`kyodo users …` and `kyodo departments …`: the city's people and departments from the command line.

Every change goes through ``workflow.directory``/``workflow.accounts`` and is kept in the
directory's trail, by "the command line". Nobody's password is typed here: an invitation
is a one-time link to set it, sent as a notice (``kyodo worker`` or ``kyodo serve``
delivers it) and valid for 72 hours.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table
from sqlalchemy import select

from cli.database import require_schema
from cli.errors import fail, friendly
from cli.output import console, jtime
from config import get_settings
from db.models import User, UserRole
from db.session import new_session, write
from states.roles import ROLES
from states.vocabulary import OWNER_KINDS
from workflow import accounts, directory, identity_provider
from workflow.calendar.clock import SystemClock

app = typer.Typer(help="利用者とアカウント / people and their accounts", no_args_is_help=True)
departments_app = typer.Typer(help="所管課 / departments", no_args_is_help=True)

ROLE_HELP = "役割（繰り返し指定可）/ role, repeatable: " + ", ".join(ROLES)
DEPT_HELP = "所管課のコード（kyodo departments list）/ department code"


def _problems(found: dict[str, tuple[str, str]]) -> None:
    if found:
        fail("／".join(ja for ja, _ in found.values()), "; ".join(en for _, en in found.values()),
             "内容を直して、もう一度実行してください。", "correct the values and run the command again")


def _department_id(s, code: str | None) -> int | None:
    if not code:
        return None
    dept = directory.department_by_code(s, code)
    if dept is None:
        known = ", ".join(d.code for d in directory.departments(s)) or "なし / none"
        fail(f"コード「{code}」の所管課はありません。", f"no department with code {code!r}",
             f"登録済みのコード：{known}（追加は kyodo departments add）",
             f"known codes: {known} (add one with kyodo departments add)")
    return dept.id


def _user(s, login: str) -> User:
    user = s.execute(select(User).where(User.login == login)).scalar()
    if user is None or user.login == directory.SYSTEM_LOGIN:
        fail(f"ログイン名「{login}」の利用者はいません。", f"no user with login {login!r}",
             "kyodo users list で確かめてください。", "see kyodo users list")
    return user


def _create(s, login, name, email, role, department, language, head) -> int:
    dept = _department_id(s, department)
    roles = tuple(sorted(set(role or ())))
    _problems(directory.user_problems(s, login, name or "", email or "", roles, dept, language))
    return directory.add_user(s, login, name, email, roles, department_id=dept, language=language,
                              is_department_head=head, clock=SystemClock())


def _roles_text(roles) -> str:
    return "、".join(ROLES[r].label_ja for r in roles if r in ROLES) + " / " + ", ".join(roles)


@app.command("add")
@friendly
def add(login: str = typer.Argument(..., help="ログイン名 / login name"),
        name: str = typer.Option(..., "--name", help="氏名 / full name"),
        email: str = typer.Option(..., "--email", help="メールアドレス / e-mail address"),
        role: list[str] = typer.Option(..., "--role", "-r", help=ROLE_HELP),
        department: Optional[str] = typer.Option(None, "--department", "-d", help=DEPT_HELP),
        language: str = typer.Option("ja", "--language", help="通知の言語 ja|en / language of notices"),
        head: bool = typer.Option(False, "--head", help="所管課長 / head of the department")) -> None:
    """利用者を登録します（パスワードなし。設定は invite か「パスワードを忘れた方」から）/ add a person without a password."""
    require_schema()
    with new_session() as s, write(s):
        _create(s, login, name, email, role, department, language, head)
    console.print(f"利用者「{login}」を登録しました。パスワードは、kyodo users invite {login} で案内を送って設定してもらいます。")
    console.print(f"[dim]added {login}; send an invitation to set a password with: kyodo users invite {login}[/]")


@app.command("invite")
@friendly
def invite(login: str = typer.Argument(..., help="ログイン名 / login name"),
           name: Optional[str] = typer.Option(None, "--name", help="氏名（新しく登録するとき）/ full name, for a new person"),
           email: Optional[str] = typer.Option(None, "--email", help="メールアドレス（新規）/ e-mail address, for a new person"),
           role: Optional[list[str]] = typer.Option(None, "--role", "-r", help=ROLE_HELP),
           department: Optional[str] = typer.Option(None, "--department", "-d", help=DEPT_HELP),
           language: str = typer.Option("ja", "--language", help="通知の言語 ja|en / language of notices"),
           head: bool = typer.Option(False, "--head", help="所管課長 / head of the department")) -> None:
    """パスワード設定の案内（72時間有効の1回限りのリンク）を送ります。新しい方はこのとき登録します / invite a person (new or existing) to set a password."""
    require_schema()
    settings = get_settings()
    with new_session() as s, write(s):
        existing = s.execute(select(User.id).where(User.login == login)).scalar()
        if existing is None:
            if not (name and email and role):
                fail(f"ログイン名「{login}」の利用者はまだいません。新しく登録するには --name、--email、--role を指定してください。",
                     f"no user {login!r} yet; to add and invite them give --name, --email and --role",
                     f"例：kyodo users invite {login} --name \"山田 花子\" --email hanako@city.example.jp "
                     "--role department -d env",
                     f"e.g. kyodo users invite {login} --name 'Hanako Yamada' --email hanako@city.example.jp "
                     "--role department -d env")
            uid = _create(s, login, name, email, role, department, language, head)
        else:
            if name or email or role or department:
                fail(f"「{login}」はすでに登録されています。案内を送り直すだけなら、ほかの指定は不要です。",
                     f"{login!r} exists already; to send a new invitation give the login name alone",
                     f"役割の変更は kyodo users roles {login} で行います。", f"change roles with kyodo users roles {login}")
            uid = _user(s, login).id
        accounts.invite(s, uid, SystemClock().now(), settings)
    console.print(f"「{login}」にパスワード設定の案内を送ります（有効期限72時間、1回限り。以前の案内は使えなくなります）。"
                  "配信は kyodo worker（または kyodo serve）が行います。")
    console.print(f"[dim]an invitation to set a password is queued for {login} (one use, expires in 72 hours; "
                  "earlier links stop working); kyodo worker or kyodo serve delivers it[/]")


@app.command("disable")
@friendly
def disable(login: str = typer.Argument(..., help="ログイン名 / login name")) -> None:
    """利用を停止します。ログイン中の端末もすべてログアウトします / disable a person; every session ends."""
    require_schema()
    with new_session() as s, write(s):
        accounts.disable(s, _user(s, login).id, SystemClock().now())
    console.print(f"「{login}」の利用を停止しました。ログイン中の端末もすべてログアウトしました。")
    console.print(f"[dim]{login} is disabled; every session of it has ended[/]")


@app.command("enable")
@friendly
def enable(login: str = typer.Argument(..., help="ログイン名 / login name")) -> None:
    """停止した利用を再開します / enable a disabled person again."""
    require_schema()
    with new_session() as s, write(s):
        accounts.enable(s, _user(s, login).id, SystemClock().now())
    console.print(f"「{login}」の利用を再開しました。")
    console.print(f"[dim]{login} is enabled[/]")


@app.command("roles")
@friendly
def roles(login: str = typer.Argument(..., help="ログイン名 / login name"),
          role: Optional[list[str]] = typer.Option(None, "--role", "-r",
                                                   help=ROLE_HELP + "（省略時は今のまま / default: unchanged）"),
          department: Optional[str] = typer.Option(None, "--department", "-d", help=DEPT_HELP),
          no_department: bool = typer.Option(False, "--no-department", help="所管課を外す / remove the department"),
          head: Optional[bool] = typer.Option(None, "--head/--no-head", help="所管課長か / head of the department")) -> None:
    """役割・所管課・所管課長の別を設定します / set a person's roles, department and head flag."""
    require_schema()
    if department and no_department:
        fail("--department と --no-department は同時に指定できません。", "give --department or --no-department, not both")
    with new_session() as s, write(s):
        user = _user(s, login)
        current = tuple(s.execute(select(UserRole.role).where(UserRole.user_id == user.id)).scalars())
        dept = None if no_department else _department_id(s, department) if department else user.department_id
        new_roles = tuple(sorted(set(role))) if role else current
        changed = directory.set_roles(s, user.id, new_roles, department_id=dept,
                                      is_department_head=user.is_department_head if head is None else head,
                                      clock=SystemClock())
    if changed:
        console.print(f"「{login}」の役割を {_roles_text(new_roles)} にしました。次のページ表示から反映されます。")
        console.print(f"[dim]{login} now has roles {', '.join(new_roles)}; it takes effect on their next page[/]")
    else:
        console.print("変更はありませんでした。/ nothing changed.")


@app.command("link")
@friendly
def link(login: str = typer.Argument(..., help="ログイン名 / login name"),
         subject: str = typer.Argument(..., help="認証基盤での識別子（sub）/ the person's subject at the provider")) -> None:
    """庁内アカウント（OpenID Connect）と結び付けます / link a person to their account at the city's provider."""
    require_schema()
    with new_session() as s, write(s):
        identity_provider.link(s, _user(s, login).id, subject, SystemClock())
    console.print(f"「{login}」を庁内アカウント（{subject}）と結び付けました。以後は庁内アカウントでログインします。")
    console.print(f"[dim]{login} is linked to {subject!r} at the city's provider and signs in there from now on[/]")


@app.command("unlink")
@friendly
def unlink(login: str = typer.Argument(..., help="ログイン名 / login name")) -> None:
    """庁内アカウントとの結び付きを外します / unlink a person from the city's provider."""
    require_schema()
    with new_session() as s, write(s):
        identity_provider.unlink(s, _user(s, login).id, SystemClock())
    console.print(f"「{login}」と庁内アカウントの結び付きを外しました。パスワードで入るには kyodo users invite で案内を送ってください。")
    console.print(f"[dim]{login} is unlinked; send an invitation (kyodo users invite) to sign in with a password[/]")


@app.command("list")
@friendly
def list_people(role: Optional[str] = typer.Option(None, "--role", "-r", help="この役割の人だけ / only this role"),
                disabled: bool = typer.Option(False, "--disabled", help="停止中の人だけ / only disabled people")) -> None:
    """利用者の一覧 / list people."""
    if role and role not in ROLES:
        fail(f"役割「{role}」はありません。", f"unknown role {role!r}",
             f"次のいずれかを指定してください：{', '.join(ROLES)}", f"use one of: {', '.join(ROLES)}")
    require_schema()
    with new_session() as s:
        found = directory.people(s, role=role, active=False if disabled else None)
    if not found:
        console.print("該当する利用者はいません。/ nobody matches.")
        return
    table = Table("ログイン名 / login", "氏名 / name", "メール / e-mail", "役割 / roles", "所管課 / department",
                  "状態 / status", "最終ログイン / last sign-in")
    for p in found:
        status = ("停止中 / disabled" if not p.active else "庁内アカウント / city account" if p.linked
                  else "パスワード未設定 / no password" if not p.has_password else "有効 / active")
        dept = (p.department_ja + ("（課長 / head）" if p.is_department_head else "")) if p.department_ja else "—"
        table.add_row(p.login, p.name, p.email, ", ".join(p.roles), dept, status, jtime(p.last_sign_in))
    console.print(table)


@departments_app.command("add")
@friendly
def add_department(code: str = typer.Argument(..., help="コード（半角英数字）/ code"),
                   name_ja: str = typer.Option(..., "--name-ja", help="名称 / name in Japanese"),
                   owner_kind: str = typer.Option(..., "--owner-kind", help="ward（区役所）| bureau（局）"),
                   owner_name: str = typer.Option(..., "--owner-name", help="区役所・局の名称 / ward office or bureau"),
                   name_en: str = typer.Option("", "--name-en", help="英語の名称 / name in English")) -> None:
    """所管課を登録します / add a department."""
    require_schema()
    with new_session() as s, write(s):
        _problems(directory.department_problems(s, code, name_ja, owner_kind, owner_name, name_en))
        directory.add_department(s, code, name_ja, owner_kind, owner_name, name_en=name_en, clock=SystemClock())
    console.print(f"所管課「{name_ja}」（{code}）を登録しました。")
    console.print(f"[dim]department {code} added[/]")


@departments_app.command("list")
@friendly
def list_departments() -> None:
    """所管課の一覧 / list departments."""
    require_schema()
    with new_session() as s:
        found = directory.departments(s)
    if not found:
        console.print("所管課はまだ登録されていません。kyodo departments add で登録します。/ no department yet.")
        return
    table = Table("コード / code", "名称 / name", "英語 / English", "区役所・局 / owner")
    for d in found:
        kind = OWNER_KINDS.get(d.owner_kind, (d.owner_kind, d.owner_kind))[0]
        table.add_row(d.code, d.name_ja, d.name_en or "—", f"{d.owner_name}（{kind}）")
    console.print(table)
