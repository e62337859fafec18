"""City staff sign in through the city's identity provider (OpenID Connect), against a real local provider.

The provider is ``oidc-provider-mock``, a real OpenID Connect server (discovery, JWKS,
signed ID tokens, the authorization code flow) run on a thread; a person's claims are set
on it before they sign in, as the city's directory would hold them.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread
from sqlalchemy import select, update

from config import Settings
from db.models import DirectoryEvent, User, UserRole
from tests.web.conftest import PASSWORD, Visitor, _hashed, web_settings
from web.app import create_app
from workflow import accounts


@pytest.fixture(scope="module")
def idp():
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def _app(world, db_engine, tmp_path, idp, **oidc):
    settings = Settings(required_reviews=2, var_dir=tmp_path / "var", base_url="http://testserver")
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    values = dict(oidc_issuer=idp, oidc_client_id="kyodo", oidc_client_secret="client-secret")
    values.update(oidc)
    return create_app(engine=db_engine, clock=world.clock, settings=settings,
                      web_settings=web_settings(tmp_path, **values))


@pytest.fixture
def city(world, db_engine, tmp_path, idp):
    return _app(world, db_engine, tmp_path, idp)


def subject() -> str:
    return "staff-" + secrets.token_hex(6)


def at_provider(visitor: Visitor, idp: str, sub: str, claims: dict | None, next: str = "/queue"):
    """The whole round trip a browser makes: Kyodo → the provider's consent → Kyodo's callback."""
    if claims is not None:
        assert httpx.put(f"{idp}/users/{sub}", json=claims).status_code == 204
    start = visitor.get(f"/login/oidc?next={next}")
    assert start.status_code in (302, 303), start.text[:500]
    authorize = start.headers["location"]
    assert authorize.startswith(idp + "/oauth2/authorize")
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["redirect_uri"] == ["http://testserver/login/oidc/callback"] and "openid" in asked["scope"][0]
    answer = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    back = answer.headers["location"]
    assert back.startswith("http://testserver/login/oidc/callback?")
    return visitor.get(back.removeprefix("http://testserver"))


def _user(world, sub):
    user = world.s.execute(select(User).where(User.oidc_subject == sub)).scalar()
    roles = set(world.s.execute(select(UserRole.role).where(UserRole.user_id == user.id)).scalars()) if user else set()
    world.s.commit()
    return user, roles


def test_a_new_approver_signs_in_through_the_provider_and_lands_on_the_queue(world, city, idp):
    sub = subject()
    v = Visitor(city)
    done = at_provider(v, idp, sub, {"name": "佐藤 一郎", "email": f"{sub}@city.example.jp",
                                     "preferred_username": sub, "roles": ["approver"]})
    assert done.status_code == 303 and done.headers["location"] == "/queue"
    queue = v.get("/queue")
    assert queue.status_code == 200 and "佐藤 一郎" in queue.text
    user, roles = _user(world, sub)
    assert (user.login, user.name, user.password_hash, roles) == (sub, "佐藤 一郎", None, {"approver"})
    trail = world.s.execute(select(DirectoryEvent.action).where(DirectoryEvent.subject_id == user.id)).scalars().all()
    assert {"added", "linked"} <= set(trail)
    # The next sign-in finds the same account: no second one.
    again = at_provider(Visitor(city), idp, sub, None)
    assert again.status_code == 303
    assert world.s.execute(select(User).where(User.email == f"{sub}@city.example.jp")).scalars().all() == [user]


def test_department_staff_get_their_department_from_the_claim(world, city, idp):
    sub = subject()
    v = Visitor(city)
    at_provider(v, idp, sub, {"name": "課員", "email": f"{sub}@city.example.jp", "roles": "department",
                              "department": "env"})
    user, roles = _user(world, sub)
    assert roles == {"department"} and user.department_id == world.dept
    pid = world.new_proposal()
    world.to_in_coordination(pid)
    assert v.get(f"/proposals/{pid}").status_code == 200  # the department's own case


def test_an_unknown_department_code_refuses_the_sign_in_naming_the_code(world, city, idp):
    sub = subject()
    v = Visitor(city)
    page = at_provider(v, idp, sub, {"name": "課員", "roles": ["department"], "department": "no-such-dept"})
    assert page.status_code == 403
    assert "no-such-dept" in page.text and "登録されていません" in page.text
    assert _user(world, sub)[0] is None
    assert v.get("/queue").status_code in (302, 303, 401)  # still signed out


def test_a_person_without_a_kyodo_role_is_refused_and_no_account_is_made(world, city, idp):
    sub = subject()
    page = at_provider(Visitor(city), idp, sub, {"name": "他部署の職員", "roles": ["payroll"]})
    assert page.status_code == 403 and "役割が割り当てられていません" in page.text
    assert _user(world, sub)[0] is None


def test_the_provider_never_makes_anyone_a_proposing_group(world, city, idp):
    sub = subject()
    page = at_provider(Visitor(city), idp, sub, {"name": "なりすまし", "roles": ["proposer"]})
    assert page.status_code == 403 and _user(world, sub)[0] is None


def test_roles_follow_the_claims_at_every_sign_in_but_kyodo_own_roles_stay(world, db_engine, tmp_path, idp):
    app = _app(world, db_engine, tmp_path, idp, oidc_roles_claim="groups",
               oidc_role_map={"kyodo-approvers": "approver", "kyodo-secretariat": "secretariat"})
    sub = subject()
    at_provider(Visitor(app), idp, sub, {"name": "異動する人", "groups": ["kyodo-approvers", "all-staff"]})
    user, roles = _user(world, sub)
    assert roles == {"approver"}
    # The secretariat also made the person a reviewer in Kyodo (not a role the provider manages).
    world.s.add(UserRole(user_id=user.id, role="reviewer"))
    world.s.commit()
    # Moved to the secretariat: the provider's groups change.
    v = Visitor(app)
    assert at_provider(v, idp, sub, {"name": "異動する人", "groups": ["kyodo-secretariat"]}).status_code == 303
    assert _user(world, sub)[1] == {"secretariat", "reviewer"}
    assert v.get("/secretariat").status_code == 200


def test_an_account_registered_in_kyodo_is_linked_by_its_verified_address(world, db_engine, tmp_path, idp):
    # This city keeps roles in Kyodo (no roles claim); 田中 (s@city.jp) was added with `kyodo users add`.
    city = _app(world, db_engine, tmp_path, idp, oidc_roles_claim="")
    sub = subject()
    v = Visitor(city)
    done = at_provider(v, idp, sub, {"name": "田中", "email": "s@city.jp", "email_verified": True})
    assert done.status_code == 303
    user, roles = _user(world, sub)
    assert (user.id, roles) == (world["secretariat"].user_id, {"secretariat"})
    # From now on the account's password no longer opens it: the provider decides.
    world.s.execute(update(User).where(User.id == user.id).values(password_hash=_hashed()))
    world.s.commit()
    refused = Visitor(city).login("s", PASSWORD)
    assert refused.status_code == 403 and "庁内アカウント" in refused.text


def test_an_unverified_address_links_nothing_and_makes_no_second_account(world, city, idp):
    sub = subject()
    page = at_provider(Visitor(city), idp, sub, {"name": "田中", "email": "s@city.jp", "roles": ["secretariat"]})
    assert page.status_code == 403 and "kyodo users link" in page.text
    assert _user(world, sub)[0] is None
    assert world.s.execute(select(User).where(User.email == "s@city.jp")).scalars().all().__len__() == 1


def test_a_person_the_provider_no_longer_gives_any_role_is_refused(world, city, idp):
    sub = subject()
    at_provider(Visitor(city), idp, sub, {"name": "異動した人", "roles": ["approver"]})
    # Keycloak and others leave an empty roles claim out altogether.
    page = at_provider(Visitor(city), idp, sub, {"name": "異動した人"})
    assert page.status_code == 403 and "役割が割り当てられていません" in page.text
    assert _user(world, sub)[1] == {"approver"}  # unchanged: the refused sign-in wrote nothing


def test_a_disabled_person_cannot_sign_in_through_the_provider(world, city, idp):
    sub = subject()
    at_provider(Visitor(city), idp, sub, {"name": "退職者", "roles": ["approver"]})
    user, _ = _user(world, sub)
    accounts.disable(world.s, user.id, world.clock.now())
    world.s.commit()
    page = at_provider(Visitor(city), idp, sub, None)
    assert page.status_code == 403 and "利用停止中" in page.text


def test_a_forged_or_replayed_callback_signs_nobody_in(world, city, idp):
    sub = subject()
    httpx.put(f"{idp}/users/{sub}", json={"name": "x", "roles": ["approver"]})
    victim = Visitor(city)
    victim.get("/login/oidc")
    # The attacker's own code and state, pushed into the victim's browser (login CSRF).
    attacker = Visitor(city)
    authorize = attacker.get("/login/oidc").headers["location"]
    back = httpx.post(authorize, data={"sub": sub}, follow_redirects=False).headers["location"]
    page = victim.get(back.removeprefix("http://testserver"))
    assert page.status_code == 400 and victim.get("/queue").status_code != 200
    assert _user(world, sub)[0] is None
    # The person declining at the provider.
    assert victim.get("/login/oidc/callback?error=access_denied&state=x").status_code == 401


def test_the_login_page_offers_the_provider_only_when_configured(web, city):
    assert "/login/oidc" in Visitor(city).get("/login").text
    assert "/login/oidc" not in Visitor(web).get("/login").text
    assert Visitor(web).get("/login/oidc").status_code == 404
    assert Visitor(web).get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_an_unreachable_provider_is_a_clear_page_not_a_500(world, db_engine, tmp_path):
    app = _app(world, db_engine, tmp_path, "http://127.0.0.1:9")  # nothing listens there
    page = Visitor(app).get("/login/oidc")
    assert page.status_code == 503 and "接続できませんでした" in page.text


def test_configuration_mistakes_are_named(tmp_path):
    from pydantic import ValidationError

    for bad, words in ((dict(oidc_issuer="login.city.jp", oidc_client_id="k"), "KYODO_OIDC_ISSUER"),
                       (dict(oidc_issuer="https://login.city.jp"), "KYODO_OIDC_CLIENT_ID"),
                       (dict(oidc_issuer="https://login.city.jp", oidc_client_id="k", oidc_role_map={"x": "proposer"}),
                        "KYODO_OIDC_ROLE_MAP"),
                       (dict(oidc_issuer="https://login.city.jp", oidc_client_id="k", oidc_scopes="email"), "openid")):
        with pytest.raises(ValidationError, match=words):
            web_settings(tmp_path, **bad)
