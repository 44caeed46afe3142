"""Pages of compliance (owner fills in)."""

app_name = "compliance"
urlpatterns: list = []
