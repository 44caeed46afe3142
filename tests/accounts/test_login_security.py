from datetime import timedelta

import pyotp
import pytest
from django.utils import timezone

from tests.factories import PASSWORD, make_user
from tongxin.core.models import AuditEntry


def login(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_login_and_audit(client, district):
    r = login(client, "community_a1")
    assert r.status_code == 302 and r["Location"] == "/"
    assert AuditEntry.objects.filter(action="login", actor=district.community_admin).exists()
    assert client.get("/").status_code == 200


def test_lockout_after_configured_failures(client, district, settings):
    settings.TONGXIN = {**settings.TONGXIN, "LOGIN_MAX_FAILURES": 3, "LOGIN_LOCKOUT_MINUTES": 15}
    for _ in range(2):
        assert login(client, "community_a1", "wrong").status_code == 400
    r = login(client, "community_a1", "wrong")
    assert "锁定" in r.content.decode() or "locked" in r.content.decode()
    user = district.community_admin
    user.refresh_from_db()
    assert user.is_locked()
    # the right password does not open a locked account
    assert login(client, "community_a1").status_code == 400
    assert AuditEntry.objects.filter(action="login_failed", actor=user).count() == 4
    # after the lockout period it works again
    user.locked_until = timezone.now() - timedelta(seconds=1)
    user.save(update_fields=["locked_until"])
    assert login(client, "community_a1").status_code == 302


def test_unknown_user_gets_the_same_message(client, district):
    a = login(client, "nobody", "x").content.decode()
    b = login(client, "community_a1", "x").content.decode()
    assert "用户名或密码错误" in a or "Wrong user name or password" in a
    assert ("用户名或密码错误" in b) == ("用户名或密码错误" in a)


def test_district_admin_must_enrol_two_factor(client, district):
    r = login(client, "district")
    assert r.status_code == 302 and r["Location"] == "/login/two-factor/"
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get("/login/two-factor/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    district.admin.refresh_from_db()
    secret = district.admin.totp_secret
    assert secret and not district.admin.totp_confirmed
    assert client.post("/login/two-factor/", {"code": "000000"}).status_code == 400
    r = client.post("/login/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302
    assert client.get("/audit/").status_code == 200
    district.admin.refresh_from_db()
    assert district.admin.totp_confirmed


def test_totp_code_cannot_be_replayed(client, district):
    user = make_user("u2fa", totp_secret=pyotp.random_base32(), totp_confirmed=True)
    code = pyotp.TOTP(user.totp_secret).now()
    login(client, "u2fa")
    assert client.post("/login/two-factor/", {"code": code}).status_code == 302
    client.logout()
    login(client, "u2fa")
    assert client.post("/login/two-factor/", {"code": code}).status_code == 400


def test_two_factor_optional_when_configured_off(client, district, settings):
    settings.TONGXIN = {**settings.TONGXIN, "REQUIRE_ADMIN_2FA": False}
    assert login(client, "district")["Location"] == "/"


def test_idle_timeout(client, district, settings):
    settings.TONGXIN = {**settings.TONGXIN, "IDLE_TIMEOUT_MINUTES": 30}
    login(client, "community_a1")
    session = client.session
    session["last_seen"] = int(timezone.now().timestamp()) - 31 * 60
    session.save()
    r = client.get("/orgs/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert client.get("/orgs/").status_code == 302


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short1A", False),
        ("alllowercaseletters", False),
        ("Tongxin-2026-ok", True),
        ("12345678901234", False),
    ],
)
def test_password_validators(password, ok):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password)
    except ValidationError:
        assert not ok
    else:
        assert ok


def test_open_redirect_is_refused(client, district):
    r = client.post(
        "/login/",
        {"username": "community_a1", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert r["Location"] == "/"
