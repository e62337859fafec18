"""Accounts as a city runs them: sessions held on the server, login delays that never lock the
owner out, invitations and password resets by one-time links, the secretariat's people page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from db.models import AccountToken, DirectoryEvent, Notice, User, UserRole, UserSession
from db.models.notices import SENT
from tests.web.conftest import CSRF, PASSWORD, Visitor
from workflow import accounts

NEW_PASSWORD = "a brand new secret"


def fresh(world):
    world.s.expire_all()
    world.s.commit()


def letters(world, kind: str, login: str) -> list[Notice]:
    fresh(world)
    found = list(world.s.execute(select(Notice).join(User, User.id == Notice.recipient_id)
                                 .where(Notice.kind == kind, User.login == login).order_by(Notice.id)).scalars())
    world.s.commit()
    return found


def link_of(notice: Notice) -> str:
    """The path and query of the letter's link, as the browser opens it."""
    url = urlsplit(notice.context["link"])
    return f"{url.path}?{url.query}"


def trail(world, user_id: int) -> list[str]:
    fresh(world)
    actions = list(world.s.execute(select(DirectoryEvent.action).where(
        DirectoryEvent.subject == "user", DirectoryEvent.subject_id == user_id).order_by(DirectoryEvent.id)).scalars())
    world.s.commit()
    return actions


def copy_of(v: Visitor, web) -> Visitor:
    """Another browser holding a copy of ``v``'s session cookie (a stolen or kept cookie)."""
    other = Visitor(web)
    other.client.cookies.set("kyodo_session", v.client.cookies.get("kyodo_session"))
    return other


# --- sessions held on the server


def test_a_copied_cookie_is_refused_after_logout(web, world, as_):
    p = as_("proposer")
    copy = copy_of(p, web)
    assert copy.get("/portal").status_code == 200  # the copy works while the session lives
    assert p.post("/logout").status_code == 303
    r = copy.get("/portal")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert p.get("/portal").status_code == 303


def test_a_new_password_ends_every_session_even_this_browsers_old_cookie(web, world, as_):
    first, second = as_("proposer"), as_("proposer")
    old_cookie_of_first = copy_of(first, web)
    r = first.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                          "new_password_confirm": NEW_PASSWORD})
    assert r.status_code == 303
    assert first.get("/portal").status_code == 200  # this browser got a fresh session
    assert second.get("/portal").status_code == 303
    assert old_cookie_of_first.get("/portal").status_code == 303
    assert trail(world, world["proposer"].user_id)[-1] == "password_set"


def test_signing_out_everywhere(web, world, as_):
    first, second = as_("secretariat"), as_("secretariat")
    page = first.get("/account")
    assert page.text.count("<tr><td>") == 2 and "（この端末）" in page.text  # both browsers listed
    assert first.post("/account/sessions/end").status_code == 303
    assert first.get("/secretariat").status_code == 303 and second.get("/secretariat").status_code == 303


def test_a_session_expires_on_the_server(web, world, as_, monkeypatch):
    from workflow.calendar.clock import MovableClock

    later = MovableClock(accounts.SESSION_CLOCK.now())
    p = as_("proposer")
    monkeypatch.setattr(accounts, "SESSION_CLOCK", later)
    later.advance(hours=7, minutes=59)
    assert p.get("/portal").status_code == 200
    later.advance(minutes=2)
    assert p.get("/portal").status_code == 303


def test_the_account_page_tells_when_a_browser_was_last_seen(web, world, as_, monkeypatch):
    from web.i18n import fmt_time
    from workflow.calendar.clock import MovableClock

    later = MovableClock(accounts.SESSION_CLOCK.now())
    monkeypatch.setattr(accounts, "SESSION_CLOCK", later)
    p = as_("proposer")
    later.advance(minutes=2)  # within a few minutes a page view is not written down again
    assert p.get("/portal").status_code == 200
    assert fmt_time("ja", later.now()) not in p.get("/account").text
    later.advance(hours=3)
    assert p.get("/portal").status_code == 200
    assert fmt_time("ja", later.now()) in p.get("/account").text


def test_the_cases_clock_moving_on_signs_nobody_out(web, world, as_):
    p = as_("proposer")
    world.clock.advance(days=30)  # a test or a demo moving the cases' time
    assert p.get("/portal").status_code == 200


def test_disabling_a_person_ends_their_sessions_at_once_and_enabling_does_not_revive_them(web, world, as_):
    p, s = as_("proposer"), as_("secretariat")
    uid = world["proposer"].user_id
    assert s.post(f"/secretariat/users/{uid}/disable").status_code == 303
    assert p.get("/portal").status_code == 303
    assert Visitor(web).login("p").status_code == 401  # and cannot sign in again
    fresh(world)
    assert world.s.execute(select(UserSession.ended_reason).where(UserSession.user_id == uid)).scalars().all() \
        == [accounts.DISABLED]
    world.s.commit()
    assert s.post(f"/secretariat/users/{uid}/enable").status_code == 303
    assert p.get("/portal").status_code == 303  # the old session stays ended
    assert Visitor(web).login("p").status_code == 303
    assert trail(world, uid)[-2:] == ["disabled", "enabled"]


# --- login delays: the attacker is slowed, the owner never locked out


def test_wrong_passwords_from_one_address_never_lock_the_owner_out(web, world):
    attacker = Visitor(web, "198.51.100.7")
    for _ in range(5):
        assert attacker.login("a", "guess guess guess").status_code == 401
    assert attacker.login("a", "guess guess guess").status_code == 429  # the attacker waits
    owner = Visitor(web, "203.0.113.20")
    r = owner.login("a")  # at once, from the approver's own desk
    assert r.status_code == 303 and r.headers["location"] == "/queue"


def test_an_address_failing_on_many_names_is_slowed_for_every_name(web, world):
    spray = Visitor(web, "198.51.100.8")
    names = ["p", "o", "s", "r1", "r2", "r3", "d", "d2", "a", "admin"]
    for i in range(30):  # a password sprayed over many names: few tries per name
        assert spray.login(names[i % len(names)], f"Spring2026!{i}").status_code == 401
    assert spray.login("r4", "Spring2026!x").status_code == 429  # a name it never tried
    assert Visitor(web, "203.0.113.21").login("r4").status_code == 303


# --- a forgotten password


def ask_reset(web, who: str, address: str = "testclient"):
    v = Visitor(web, address)
    return v, v.post("/password/forgot", {"who": who})


def without_token(html: str) -> str:
    return CSRF.sub("", html)


def test_a_reset_request_never_says_whether_the_account_exists(web, world):
    _, known = ask_reset(web, "p")
    _, by_mail = ask_reset(web, "o@example.jp")
    _, unknown = ask_reset(web, "nobody-here")
    assert known.status_code == by_mail.status_code == unknown.status_code == 200
    assert without_token(known.text) == without_token(by_mail.text) == without_token(unknown.text)
    assert "一致するアカウントがあれば" in known.text
    assert len(letters(world, "password_reset", "p")) == 1 and len(letters(world, "password_reset", "o")) == 1


def test_password_reset_by_a_one_time_link(web, world, as_):
    signed_in = as_("proposer")
    assert "/password/forgot" in Visitor(web).get("/login").text  # 「パスワードを忘れた方」
    ask_reset(web, "p")
    (letter,) = letters(world, "password_reset", "p")
    assert letter.context["valid_hours"] == 1 and letter.context["login"] == "p"
    token = parse_qs(urlsplit(letter.context["link"]).query)["token"][0]
    fresh(world)
    stored = world.s.execute(select(AccountToken)).scalar_one()
    world.s.commit()
    assert stored.token_hash == accounts.digest(token) and token not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(hours=1)

    v = Visitor(web)
    r = v.get(link_of(letter))
    assert r.status_code == 303 and r.headers["location"] == "/password/set"  # the token leaves the address bar
    page = v.follow(r)
    assert page.status_code == 200 and "「p」の新しいパスワード" in page.text
    r = v.post("/password/set", {"new_password": "short", "new_password_confirm": "short"})
    assert r.status_code == 422 and "10文字以上" in r.text
    r = v.post("/password/set", {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/login?login=p"
    assert "パスワードを設定しました" in v.follow(r).text

    assert signed_in.get("/portal").status_code == 303  # every session ended
    assert Visitor(web).login("p").status_code == 401
    assert Visitor(web).login("p", NEW_PASSWORD).status_code == 303
    again = Visitor(web)
    assert again.follow(again.get(link_of(letter))).status_code == 410  # used once, never again
    assert trail(world, world["proposer"].user_id)[-2:] == ["reset_link_sent", "password_set"]


def test_a_reset_link_expires_after_an_hour(web, world):
    ask_reset(web, "p")
    (letter,) = letters(world, "password_reset", "p")
    world.clock.advance(hours=1, seconds=1)
    v = Visitor(web)
    page = v.follow(v.get(link_of(letter)))
    assert page.status_code == 410 and "有効期限が切れています" in page.text and "/password/forgot" in page.text
    r = v.post("/password/set", {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
    assert r.status_code == 410
    assert Visitor(web).login("p").status_code == 303  # the password is unchanged


def test_a_newer_link_ends_the_older_one_and_requests_are_not_a_mail_flood(web, world):
    ask_reset(web, "p")
    ask_reset(web, "p")  # within five minutes: no second letter
    assert len(letters(world, "password_reset", "p")) == 1
    world.clock.advance(minutes=6)
    ask_reset(web, "p")
    older, newer = letters(world, "password_reset", "p")
    v = Visitor(web)
    assert v.follow(v.get(link_of(older))).status_code == 410
    assert v.follow(v.get(link_of(newer))).status_code == 200


def test_a_used_link_is_erased_from_the_letter_already_sent(web, world):
    ask_reset(web, "p")
    (letter,) = letters(world, "password_reset", "p")
    path = link_of(letter)
    world.s.execute(update(Notice).where(Notice.id == letter.id).values(status=SENT))
    world.s.commit()
    v = Visitor(web)
    v.get(path)
    assert v.post("/password/set", {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}) \
        .status_code == 303
    (letter,) = letters(world, "password_reset", "p")
    assert letter.context["link"] == ""  # nothing left in the database that opens the account


def test_a_disabled_persons_link_is_dead(web, world, as_):
    ask_reset(web, "o")
    (letter,) = letters(world, "password_reset", "o")
    assert as_("secretariat").post(f"/secretariat/users/{world['outsider'].user_id}/disable").status_code == 303
    v = Visitor(web)
    assert v.follow(v.get(link_of(letter))).status_code == 410


# --- the secretariat's page of people and departments


def test_the_secretariat_invites_a_new_staff_member_who_sets_a_password(web, world, as_):
    s = as_("secretariat")
    people = s.get("/secretariat/users")
    assert people.status_code == 200 and "/secretariat/users" in people.text and "松本" in people.text
    assert "kyodo-system" not in people.text
    r = s.post("/secretariat/users", {"login": "hanako", "name": "山田 花子", "email": "hanako@city.example.jp",
                                      "language": "ja", "roles": ["department"], "department": str(world.dept),
                                      "head": "1", "invite": "1"})
    assert r.status_code == 303
    page = s.follow(r)
    assert "パスワード設定の案内を送りました" in page.text and "パスワード未設定" in page.text
    fresh(world)
    user = world.s.execute(select(User).where(User.login == "hanako")).scalar_one()
    roles = world.s.execute(select(UserRole.role).where(UserRole.user_id == user.id)).scalars().all()
    world.s.commit()
    assert user.password_hash is None and user.department_id == world.dept and user.is_department_head
    assert roles == ["department"]
    (letter,) = letters(world, "account_invitation", "hanako")
    assert letter.context["valid_hours"] == 72 and letter.email == "hanako@city.example.jp"
    assert Visitor(web).login("hanako", "").status_code == 401  # no password, no way in

    v = Visitor(web)
    welcome = v.follow(v.get(link_of(letter)))
    assert "山田 花子 さん、ようこそ" in welcome.text
    assert v.post("/password/set", {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}) \
        .status_code == 303
    r = Visitor(web).login("hanako", NEW_PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    assert trail(world, user.id) == ["added", "invited", "password_set"]
    world.clock.advance(hours=73)
    again = Visitor(web)
    assert again.follow(again.get(link_of(letter))).status_code == 410


def test_the_secretariat_sets_roles_and_department_and_the_trail_keeps_it(web, world, as_):
    s = as_("secretariat")
    uid = world["reviewer3"].user_id
    r3 = as_("reviewer3")
    assert r3.get("/department").status_code == 403
    r = s.post(f"/secretariat/users/{uid}/roles", {"roles": ["reviewer", "department"], "department": ""})
    assert r.status_code == 422 and "所管課の役割には所属する所管課が必要です" in r.text
    r = s.post(f"/secretariat/users/{uid}/roles", {"roles": ["reviewer", "department"],
                                                   "department": str(world.dept)})
    assert r.status_code == 303
    assert r3.get("/department").status_code == 200  # on the person's very next page
    page = s.get(f"/secretariat/users/{uid}")
    assert "役割・所管課を変更" in page.text and "田中" in page.text  # what, and by whom
    fresh(world)
    details = world.s.execute(select(DirectoryEvent.details).where(
        DirectoryEvent.subject_id == uid, DirectoryEvent.action == "roles_changed")).scalar_one()
    world.s.commit()
    assert details["roles"] == {"before": ["reviewer"], "after": ["department", "reviewer"]}


def test_only_the_secretariat_administers_people_and_nobody_changes_themselves(web, world, as_):
    for who in ("proposer", "reviewer1", "department", "approver"):
        v = as_(who)
        assert v.get("/secretariat/users").status_code == 403
        assert v.post(f"/secretariat/users/{world['outsider'].user_id}/disable").status_code == 403
    assert Visitor(web).get("/secretariat/users").status_code == 303
    s = as_("secretariat")
    me = world["secretariat"].user_id
    assert s.post(f"/secretariat/users/{me}/disable").status_code == 403
    assert s.post(f"/secretariat/users/{me}/roles", {"roles": ["admin", "secretariat"]}).status_code == 403
    assert "ほかの担当者が行います" in s.get(f"/secretariat/users/{me}").text
    assert s.get("/secretariat/users/999999").status_code == 404
    assert s.get("/secretariat/users/99999999999").status_code in (404, 422)


def test_adding_a_person_says_what_is_wrong_beside_each_field(web, world, as_):
    s = as_("secretariat")
    r = s.post("/secretariat/users", {"login": "admin", "name": "", "email": "not-mail", "roles": ["wizard"],
                                      "department": "abc"})
    assert r.status_code == 422
    for expected in ("すでに使われています", "氏名を200文字以内で", "メールアドレスが正しくありません", "不明な役割です",
                     "その所管課は登録されていません"):
        assert expected in r.text, expected
    assert 'aria-invalid="true"' in r.text


def test_departments_are_listed_and_added(web, world, as_):
    s = as_("secretariat")
    page = s.get("/secretariat/departments")
    assert "環境活動支援課" in page.text and "kohoku" in page.text
    r = s.post("/secretariat/departments", {"code": "env", "name_ja": "", "owner_kind": "city", "owner_name": ""})
    assert r.status_code == 422 and "すでにあります" in r.text and "区役所（ward）か局（bureau）" in r.text
    r = s.post("/secretariat/departments", {"code": "kodomo", "name_ja": "青少年育成課", "name_en": "Youth Division",
                                            "owner_kind": "bureau", "owner_name": "こども青少年局"})
    assert r.status_code == 303 and "青少年育成課" in s.follow(r).text
    assert "青少年育成課" in s.get("/secretariat/users").text  # offered when adding a person
    fresh(world)
    assert world.s.execute(select(DirectoryEvent.action).where(DirectoryEvent.subject == "department")
                           ).scalars().all()[-1] == "added"
    world.s.commit()


def test_the_people_page_is_linked_for_the_secretariat_and_pages_in_english(web, world, as_):
    s = as_("secretariat")
    assert 'href="/secretariat/users"' in s.get("/secretariat").text
    assert 'href="/secretariat/users"' not in as_("proposer").get("/portal").text
    en = s.get("/secretariat/users?lang=en")
    assert "Add a person" in en.text and "Send an invitation" in en.text
    assert "Forgot your password?" in Visitor(web).get("/login?lang=en").text


@pytest.mark.parametrize("path", ["/password/set?token=" + "x" * 5000, "/password/set?token=%00"])
def test_nonsense_links_are_just_invalid(web, path):
    v = Visitor(web)
    r = v.get(path)
    assert r.status_code in (303, 422)
    if r.status_code == 303:
        assert v.follow(r).status_code == 410


def test_csrf_guards_the_new_forms(web, world):
    v = Visitor(web)
    assert v.client.post("/password/forgot", data={"who": "p"}).status_code == 403
    assert len(letters(world, "password_reset", "p")) == 0
    assert re.search(r"csrf_token", v.get("/password/forgot").text)


def test_account_letters_carry_the_link_and_escape_what_people_typed():
    from notifications.render import render

    ctx = {"recipient_name": "<script>x</script> 花子", "login": "hanako", "valid_hours": 72,
           "link": "https://kyodo.example.jp/password/set?token=a&b", "city_name": "横浜市",
           "sender_section": "市民協働推進課"}
    for kind in ("account_invitation", "password_reset"):
        for lang in ("ja", "en"):
            r = render(kind, lang, ctx)
            assert "<script>" not in r.html and "&lt;script&gt;" in r.html
            assert 'href="https://kyodo.example.jp/password/set?token=a&amp;b"' in r.html
            assert "https://kyodo.example.jp/password/set?token=a&b" in r.text and "hanako" in r.text


def test_the_people_list_filters_and_refuses_unknown_filters(web, world, as_):
    s = as_("secretariat")
    reviewers = s.get("/secretariat/users?role=reviewer").text
    assert "伊藤" in reviewers and "松本" not in reviewers
    assert s.post(f"/secretariat/users/{world['reviewer3'].user_id}/disable").status_code == 303
    disabled = s.get("/secretariat/users?status=disabled").text
    assert "中村" in disabled and "伊藤" not in disabled
    for path in ("/secretariat/users?role=wizard", "/secretariat/users?status=asleep"):
        r = s.get(path)
        assert r.status_code == 422 and "ありません" in r.text, path
