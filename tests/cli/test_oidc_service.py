"""From an empty PostgreSQL database to a running service with staff signed in through OpenID Connect.

Only what the README's "Staff sign-in" section tells an operator to run: ``kyodo db
upgrade``, ``kyodo departments add``, ``kyodo serve`` with the ``KYODO_OIDC_*`` settings, as
real processes; the city's provider is a real local OpenID Connect server
(``oidc-provider-mock``), and the browser is an HTTP client that follows the redirects.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from oidc_provider_mock import run_server_in_thread
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, _probe_postgres, need_service

BIN = Path(sys.executable).parent / "kyodo"
COMMAND = [str(BIN)] if BIN.exists() else [sys.executable, "-c", "from cli.main import run; run()"]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def empty_database():
    """A database of its own on the PostgreSQL server, empty, dropped afterwards."""
    need_service("postgres", POSTGRES_URL, _probe_postgres)
    url = make_url(POSTGRES_URL)
    name = "kyodo_oidc_" + secrets.token_hex(4)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*COMMAND, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


def sign_in(base: str, idp: str, sub: str, claims: dict) -> httpx.Client:
    """A browser signing in on the service's login page with the staff button."""
    assert httpx.put(f"{idp}/users/{sub}", json=claims).status_code == 204
    browser = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    login = browser.get("/login")
    assert login.status_code == 200 and 'href="/login/oidc' in login.text
    to_provider = browser.get("/login/oidc")
    assert to_provider.status_code == 302
    consent = httpx.post(to_provider.headers["location"], data={"sub": sub}, follow_redirects=False)
    back = urlsplit(consent.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == base
    landed = browser.get(f"{back.path}?{back.query}")
    assert landed.status_code == 303, landed.text[:1000]
    return browser


def test_a_city_goes_from_an_empty_database_to_staff_signed_in_through_its_provider(empty_database, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with run_server_in_thread() as provider:
        idp = f"http://localhost:{provider.server_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KYODO_")}
        env.update(KYODO_DATABASE_URL=empty_database, KYODO_VAR_DIR=str(tmp_path / "var"), KYODO_ENV="production",
                   KYODO_SECRET_KEY=secrets.token_urlsafe(48), KYODO_BASE_URL=base,
                   KYODO_OIDC_ISSUER=idp, KYODO_OIDC_CLIENT_ID="kyodo", KYODO_OIDC_CLIENT_SECRET="from-the-provider")
        run(env, "db", "upgrade")
        run(env, "departments", "add", "kankyo", "--name-ja", "環境活動支援課", "--owner-kind", "bureau",
            "--owner-name", "環境創造局")
        server = subprocess.Popen([*COMMAND, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail("kyodo serve did not answer: " + server.communicate()[0][-3000:])
                time.sleep(0.3)
            secretariat = sign_in(base, idp, "tanaka@city", {
                "name": "田中 誠", "email": "tanaka@city.example.jp", "email_verified": True,
                "preferred_username": "tanaka", "roles": ["secretariat"]})
            assert "田中 誠" in secretariat.get("/secretariat").text
            department = sign_in(base, idp, "matsumoto@city", {
                "name": "松本 恵", "email": "matsumoto@city.example.jp", "roles": ["department"],
                "department": "kankyo"})
            queue = department.get("/queue")
            assert queue.status_code == 200 and "松本 恵" in queue.text
            # The secretariat sees both on its list of people, each signing in at the city's provider.
            people = secretariat.get("/secretariat/users").text
            assert "tanaka" in people and "松本 恵" in people and people.count("庁内アカウント") >= 2
            listed = run({**env, "COLUMNS": "250"}, "users", "list").stdout
            assert "tanaka" in listed and listed.count("city account") == 2 and "環境活動支援課" in listed
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
