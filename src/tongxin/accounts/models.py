import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.core.crypto import EncryptedTextField


class Role(models.TextChoices):
    """DOMAIN.md §2. Each assignment binds a role to an org node (later: department/unit)."""

    DISTRICT_ADMIN = "district_admin", _("District organisation department")
    STREET_ADMIN = "street_admin", _("Street working committee")
    COMMUNITY_ADMIN = "community_admin", _("Community committee")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    PARTY_MEMBER = "party_member", _("Party member")
    GRID_WORKER = "grid_worker", _("Grid worker")
    DEPT_HANDLER = "dept_handler", _("Department handler")
    REPRESENTATIVE = "representative", _("Party representative")
    ALLIANCE_CONTACT = "alliance_contact", _("Alliance unit contact")


class User(AbstractUser):
    display_name = models.CharField(_("name"), max_length=50, blank=True)
    failed_login_count = models.PositiveSmallIntegerField(_("failed logins"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    totp_secret = EncryptedTextField(_("two-factor secret"), blank=True, default="")
    totp_confirmed = models.BooleanField(_("two-factor enabled"), default=False)
    totp_last_step = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role)
    org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "org"], name="uniq_role_assignment")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.org or '-'}"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """Bearer token for the API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user} token {self.pk}"

    @staticmethod
    def new_raw() -> str:
        return secrets.token_urlsafe(32)
