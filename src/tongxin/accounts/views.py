import segno
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongxin.accounts import services
from tongxin.accounts.forms import LoginForm, TotpForm
from tongxin.accounts.models import Role

PENDING = "pending_2fa_user"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


def login_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            user = services.check_password(**form.cleaned_data)
        except services.LoginRefused as refused:
            error = refused.message
        else:
            if services.requires_two_factor(user):
                request.session[PENDING] = user.pk
                request.session["next"] = _next_url(request)
                return redirect("accounts:two_factor")
            services.record_login(user=user)
            login(request, user)
            return redirect(_next_url(request))
    status = 400 if error or form.errors else 200
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": request.GET.get("next", "")},
        status=status,
    )


def two_factor_view(request):
    pk = request.session.get(PENDING)
    user = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        return redirect("accounts:login")
    enrolling = not user.totp_confirmed
    if enrolling and not user.totp_secret:
        services.start_totp_enrolment(user=user)
        user.refresh_from_db()
    form = TotpForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            ok = services.verify_totp(user=user, code=form.cleaned_data["code"])
        except services.LoginRefused as refused:
            request.session.pop(PENDING, None)
            messages.error(request, refused.message)
            return redirect("accounts:login")
        if ok:
            next_url = request.session.pop("next", reverse("home"))
            request.session.pop(PENDING, None)
            services.record_login(user=user)
            login(request, user)
            return redirect(next_url)
        error = _("The code is wrong or has already been used.")
    context = {"form": form, "error": error, "enrolling": enrolling}
    if enrolling:
        uri = services.provisioning_uri(user)
        context["qr_svg"] = segno.make(uri).svg_inline(scale=4)
        context["secret"] = user.totp_secret
    return render(
        request, "accounts/two_factor.html", context, status=400 if error or form.errors else 200
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


@login_required
def account_view(request):
    assignments = request.user.role_assignments.select_related("org").filter(active=True)
    return render(
        request,
        "accounts/account.html",
        {
            "assignments": assignments,
            "two_factor_required": Role.DISTRICT_ADMIN in {a.role for a in assignments},
        },
    )
