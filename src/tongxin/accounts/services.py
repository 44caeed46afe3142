"""Login security (DOMAIN.md §9.1): lockout, two-factor, API tokens — every outcome audited."""

from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.accounts.models import ApiToken, Role, RoleAssignment, token_digest
from tongxin.core import audit
from tongxin.core.scoping import roles_of

User = get_user_model()


class LoginRefused(Exception):
    def __init__(self, message: str, *, locked_until=None):
        super().__init__(message)
        self.message = message
        self.locked_until = locked_until


def _cfg(name: str):
    return settings.TONGXIN[name]


def _record_failure(user, *, reason: str) -> None:
    user.failed_login_count += 1
    changes = {"reason": [None, reason]}
    if user.failed_login_count >= _cfg("LOGIN_MAX_FAILURES"):
        user.locked_until = timezone.now() + timedelta(minutes=_cfg("LOGIN_LOCKOUT_MINUTES"))
        user.failed_login_count = 0
        changes["locked_until"] = [None, user.locked_until]
    user.save(update_fields=["failed_login_count", "locked_until"])
    audit.record(actor=user, action="login_failed", obj=user, changes=changes, result="failed")


def _locked_message(user) -> LoginRefused:
    local = timezone.localtime(user.locked_until)
    return LoginRefused(
        _("Too many failed attempts: this account is locked until %(time)s.")
        % {"time": local.strftime("%H:%M")},
        locked_until=user.locked_until,
    )


def requires_two_factor(user) -> bool:
    if user.totp_confirmed:
        return True
    return _cfg("REQUIRE_ADMIN_2FA") and Role.DISTRICT_ADMIN in roles_of(user)


def check_password(*, username: str, password: str):
    """The user whose password matches, or LoginRefused. Counts failures per account.

    The failure is committed before LoginRefused is raised (raising inside the atomic block
    would roll the count and its audit entry back).
    """
    user, refused = _check_password(username=username, password=password)
    if refused:
        raise refused
    return user


@transaction.atomic
def _check_password(*, username: str, password: str):
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        audit.record(
            actor=None,
            action="login_failed",
            object_type="accounts.user",
            object_repr=username[:200],
            result="failed",
        )
        return None, LoginRefused(_("Wrong user name or password."))
    if user.is_locked():
        audit.record(
            actor=user,
            action="login_failed",
            obj=user,
            changes={"reason": [None, "locked"]},
            result="denied",
        )
        return None, _locked_message(user)
    if not user.is_active or not user.check_password(password):
        _record_failure(user, reason="password")
        if user.is_locked():
            return None, _locked_message(user)
        return None, LoginRefused(_("Wrong user name or password."))
    return user, None


def verify_totp(*, user, code: str) -> bool:
    """Checks a TOTP code once (a code is never accepted twice); failures count to lockout."""
    ok, refused = _verify_totp(user=user, code=code)
    if refused:
        raise refused
    return ok


@transaction.atomic
def _verify_totp(*, user, code: str):
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_locked():
        return False, _locked_message(user)
    totp = pyotp.TOTP(user.totp_secret) if user.totp_secret else None
    code = (code or "").strip()
    step = int(timezone.now().timestamp()) // 30
    ok = False
    if totp and code.isdigit():
        for offset in (-1, 0, 1):
            candidate = step + offset
            if candidate > user.totp_last_step and totp.at(candidate * 30) == code:
                user.totp_last_step = candidate
                ok = True
                break
    if not ok:
        _record_failure(user, reason="totp")
        return False, (_locked_message(user) if user.is_locked() else None)
    first_time = not user.totp_confirmed
    user.totp_confirmed = True
    user.save(update_fields=["totp_last_step", "totp_confirmed"])
    if first_time:
        audit.record(actor=user, action="enable_2fa", obj=user)
    return True, None


@transaction.atomic
def start_totp_enrolment(*, user) -> str:
    """A fresh secret for a user who has not confirmed two-factor yet."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.totp_confirmed:
        return user.totp_secret
    user.totp_secret = pyotp.random_base32()
    user.save(update_fields=["totp_secret"])
    audit.record(
        actor=user,
        action="start_2fa_enrolment",
        obj=user,
        changes={"totp_secret": [audit.MASK, audit.MASK]},
    )
    return user.totp_secret


def provisioning_uri(user) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name="Tongxin")


@transaction.atomic
def record_login(*, user) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=0, last_login=timezone.now())
    audit.record(actor=user, action="login", obj=user)


@transaction.atomic
def issue_api_token(*, user) -> str:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user,
        digest=token_digest(raw),
        expires_at=timezone.now() + timedelta(hours=_cfg("API_TOKEN_HOURS")),
    )
    audit.record(actor=user, action="issue_api_token", obj=user)
    return raw


def user_for_token(raw: str):
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


@transaction.atomic
def assign_role(*, actor, user, role: str, org) -> RoleAssignment:
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, org=org)
    if created:
        audit.record(
            actor=actor,
            action="assign_role",
            obj=assignment,
            changes={"role": [None, role], "org": [None, org.pk if org else None]},
        )
    return assignment
