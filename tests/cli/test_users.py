"""`kyodo users` and `kyodo departments` as a city's administrator runs them, from an empty database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from db.models import AccountToken, DirectoryEvent, Notice, User, UserRole, UserSession
from db.session import new_session, write
from tests.cli.test_cli import fresh, run  # noqa: F401  (fresh is a fixture)
from workflow import accounts


def _user(login: str) -> tuple[User, list[str]]:
    with new_session() as s:
        user = s.execute(select(User).where(User.login == login)).scalar_one()
        roles = sorted(s.execute(select(UserRole.role).where(UserRole.user_id == user.id)).scalars())
    return user, roles


def _trail(user_id: int) -> list[str]:
    with new_session() as s:
        return list(s.execute(select(DirectoryEvent.action).where(
            DirectoryEvent.subject == "user", DirectoryEvent.subject_id == user_id).order_by(DirectoryEvent.id))
            .scalars())


def test_from_an_empty_database_to_staff_invited_roles_set_and_disabled(fresh):
    env = fresh
    assert run(env, "db", "upgrade").returncode == 0
    r = run(env, "departments", "add", "kankyo", "--name-ja", "環境活動支援課", "--owner-kind", "bureau",
            "--owner-name", "環境創造局", "--name-en", "Environmental Activities Support Division")
    assert r.returncode == 0 and "登録しました" in r.out
    assert "kankyo" in run(env, "departments", "list").out

    r = run(env, "users", "invite", "tanaka", "--name", "田中 誠", "--email", "tanaka@city.example.jp",
            "--role", "department", "--department", "kankyo", "--head")
    assert r.returncode == 0 and "72時間" in r.out and "kyodo worker" in r.out
    user, roles = _user("tanaka")
    assert roles == ["department"] and user.password_hash is None and user.is_department_head
    with new_session() as s:
        (letter,) = s.execute(select(Notice).where(Notice.recipient_id == user.id)).scalars().all()
        (token,) = s.execute(select(AccountToken).where(AccountToken.user_id == user.id)).scalars().all()
    assert letter.kind == "account_invitation" and letter.email == "tanaka@city.example.jp"
    assert token.purpose == accounts.INVITATION and token.expires_at - token.created_at == timedelta(hours=72)
    assert token.token_hash not in letter.context["link"]  # the letter has the link, the table its hash

    r = run(env, "users", "invite", "tanaka")  # again: a new link, the first one ends
    assert r.returncode == 0
    with new_session() as s:
        tokens = s.execute(select(AccountToken).where(AccountToken.user_id == user.id)
                           .order_by(AccountToken.id)).scalars().all()
    assert len(tokens) == 2 and tokens[0].expires_at <= tokens[1].created_at

    assert run(env, "users", "add", "sato", "--name", "佐藤 一郎", "--email", "sato@city.example.jp",
               "-r", "reviewer").returncode == 0
    r = run(env, "users", "roles", "sato", "-r", "reviewer", "-r", "approver")
    assert r.returncode == 0 and "approver, reviewer" in r.out
    assert _user("sato")[1] == ["approver", "reviewer"]
    assert "変更はありませんでした" in run(env, "users", "roles", "sato", "-r", "approver", "-r", "reviewer").out

    with new_session() as s, write(s):
        accounts.start_session(s, user.id, timedelta(hours=8))
    r = run(env, "users", "disable", "tanaka")
    assert r.returncode == 0 and "ログアウト" in r.out
    with new_session() as s:
        ended = s.execute(select(UserSession.ended_reason).where(UserSession.user_id == user.id)).scalars().all()
        live_links = s.execute(select(AccountToken.id).where(
            AccountToken.user_id == user.id, AccountToken.expires_at > datetime.now(timezone.utc))).all()
    assert ended == [accounts.DISABLED] and _user("tanaka")[0].active is False
    assert live_links == []  # the invitation died with the account
    listing = run(env, "users", "list", "--disabled").out
    assert "tanaka" in listing and "sato" not in listing and "停止中" in listing
    assert run(env, "users", "enable", "tanaka").returncode == 0
    assert _trail(user.id) == ["added", "invited", "invited", "disabled", "enabled"]
    listing = run(env, "users", "list", "--role", "approver").out
    assert "sato" in listing and "tanaka" not in listing and "kyodo-system" not in listing


def test_every_mistake_is_said_in_both_languages_with_exit_1(fresh):
    env = fresh
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "departments", "add", "kankyo", "--name-ja", "環境活動支援課", "--owner-kind", "bureau",
               "--owner-name", "環境創造局").returncode == 0
    assert run(env, "users", "add", "tanaka", "--name", "田中", "--email", "t@city.example.jp",
               "-r", "secretariat").returncode == 0
    cases = [
        (("departments", "add", "kankyo", "--name-ja", "x", "--owner-kind", "city", "--owner-name", "y"),
         ("すでにあります", "区役所（ward）か局（bureau）", "owner_kind is ward or bureau")),
        (("users", "add", "x!", "--name", "", "--email", "nope", "-r", "wizard"),
         ("3〜50文字", "氏名", "メールアドレスが正しくありません", "unknown roles: wizard", "secretariat")),
        (("users", "add", "tanaka", "--name", "田中", "--email", "t@city.example.jp", "-r", "secretariat"),
         ("すでに使われています", "is taken")),
        (("users", "add", "suzuki", "--name", "鈴木", "--email", "s@city.example.jp", "-r", "department"),
         ("所管課の役割には所属する所管課が必要です", "needs a department")),
        (("users", "add", "suzuki", "--name", "鈴木", "--email", "s@city.example.jp", "-r", "department",
          "-d", "nowhere"), ("コード「nowhere」の所管課はありません", "kankyo")),
        (("users", "invite", "nobody"), ("--name、--email、--role", "give --name, --email and --role")),
        (("users", "invite", "tanaka", "--name", "別名"), ("すでに登録されています", "login name alone")),
        (("users", "disable", "ghost"), ("ログイン名「ghost」の利用者はいません", "kyodo users list")),
        (("users", "disable", "kyodo-system"), ("利用者はいません",)),
        (("users", "roles", "tanaka", "-d", "kankyo", "--no-department"), ("同時に指定できません",)),
        (("users", "list", "--role", "wizard"), ("役割「wizard」はありません", "use one of")),
    ]
    for args, expected in cases:
        r = run(env, *args)
        assert r.returncode == 1, (args, r.out)
        assert "エラー:" in r.out and "error:" in r.out, (args, r.out)
        for words in expected:
            assert words in r.out, (args, words, r.out)
    assert _user("tanaka")[1] == ["secretariat"]  # nothing half-written


def test_the_commands_need_a_database(fresh):
    r = run(fresh, "users", "list")
    assert r.returncode == 1 and "kyodo db upgrade" in r.out
