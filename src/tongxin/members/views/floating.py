"""HTML views (thin). Registers its own routes in `urlpatterns`, joined by members/urls.py."""

urlpatterns: list = []
