from django.shortcuts import render
from django.utils.translation import gettext as _


def _page(request, status, title, text):
    return render(request, "error.html", {"title": title, "text": text}, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, _("Bad request"), _("The request could not be understood."))


def forbidden(request, exception=None):
    return _page(
        request, 403, _("Not allowed"), _("Your roles do not allow this action or this page.")
    )


def not_found(request, exception=None):
    return _page(
        request, 404, _("Not found"), _("The page does not exist or lies outside your scope.")
    )


def server_error(request):
    return render(request, "500.html", status=500)
