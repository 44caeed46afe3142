import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.translation import gettext as _


class IdleTimeoutMiddleware:
    """Logs a session out after TONGXIN_IDLE_TIMEOUT_MINUTES without a request (§9.1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen")
            limit = settings.TONGXIN["IDLE_TIMEOUT_MINUTES"] * 60
            if last is not None and now - last > limit:
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                response = redirect(settings.LOGIN_URL)
                if getattr(request, "htmx", False):
                    response["HX-Redirect"] = response["Location"]
                return response
            if last is None or now - last > 30:
                request.session["last_seen"] = now
        return self.get_response(request)
