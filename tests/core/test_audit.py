from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tongxin.core import crypto
from tongxin.core.models import AppendOnlyError, AuditEntry


def test_audit_is_append_only(district):
    entry = AuditEntry.objects.first()
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def test_audit_records_request_context(client, district):
    client.force_login(district.community_admin)
    client.post(
        f"/units/{district.unit_a1.pk}/edit/",
        {
            "name": "改名科技公司",
            "credit_code": district.unit_a1.credit_code,
            "category": "non_public_enterprise",
            "street": district.street_a.pk,
            "community": district.comm_a1.pk,
            "employee_count": 9,
            "party_member_count": 4,
            "coverage": "own_org",
            "org_code": "B-A1",
            "active": "on",
        },
        REMOTE_ADDR="10.1.2.3",
    )
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "update" and entry.ip == "10.1.2.3" and len(entry.request_id) == 32
    assert entry.changes["name"] == ["福州三坊科技有限公司", "改名科技公司"]


def test_purge_refuses_inside_retention(district, settings):
    with pytest.raises(CommandError, match="180"):
        call_command("purge_audit", "--older-than-days", "179")


def test_purge_deletes_only_old_entries(district):
    old = AuditEntry.objects.create(action="create", object_type="x")
    # back-date one entry through SQL (the application itself cannot edit entries)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET at = %s WHERE id = %s",
            [timezone.now() - timedelta(days=200), old.pk],
        )
    total = AuditEntry.objects.count()
    call_command("purge_audit", "--older-than-days", "180")
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    # the purge removed one entry and recorded itself
    assert AuditEntry.objects.count() == total
    assert AuditEntry.objects.latest("id").action == "purge_audit"


def test_audit_browser_is_for_district_admins_only(client, district):
    client.force_login(district.street_admin)
    assert client.get("/audit/").status_code == 403
    client.force_login(district.admin)
    page = client.get("/audit/?action=create&since=2020-01-01&until=2999-02-30")
    assert page.status_code == 200 and "鼓东街道党工委" in page.content.decode()


@pytest.mark.parametrize("cipher", ["aes-gcm", "sm4-gcm"])
def test_field_encryption_round_trip(settings, cipher):
    settings.TONGXIN = {**settings.TONGXIN, "FIELD_CIPHER": cipher}
    stored = crypto.encrypt("350102199001011234")
    assert "350102199001011234" not in stored
    assert crypto.decrypt(stored) == "350102199001011234"
    assert crypto.encrypt("x") != crypto.encrypt("x")  # random nonce


def test_totp_secret_is_encrypted_at_rest(district):
    from django.db import connection

    user = district.admin
    user.totp_secret = "JBSWY3DPEHPK3PXP"
    user.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_user WHERE id = %s", [user.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("a1:") and "JBSWY3DPEHPK3PXP" not in raw
    user.refresh_from_db()
    assert user.totp_secret == "JBSWY3DPEHPK3PXP"
