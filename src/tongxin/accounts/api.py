from ninja import Router, Schema
from ninja.errors import HttpError

from tongxin.accounts import services

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = None


class TokenOut(Schema):
    token: str


@router.post("/token", response=TokenOut, auth=None)
def issue_token(request, payload: TokenIn):
    """Exchange user name and password (and a TOTP code where two-factor is on) for a token."""
    try:
        user = services.check_password(username=payload.username, password=payload.password)
        if services.requires_two_factor(user):
            if not user.totp_confirmed:
                raise HttpError(403, "two-factor authentication must be set up in the web UI first")
            if not payload.otp or not services.verify_totp(user=user, code=payload.otp):
                raise HttpError(401, "otp: a valid two-factor code is required")
    except services.LoginRefused as refused:
        raise HttpError(401, refused.message) from None
    return {"token": services.issue_api_token(user=user)}
