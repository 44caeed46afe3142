from tongxin.members.views import care, dues, imports, lapse, registry, transfers

app_name = "members"
urlpatterns = [
    *registry.urlpatterns,
    *dues.urlpatterns,
    *transfers.urlpatterns,
    *lapse.urlpatterns,
    *care.urlpatterns,
    *imports.urlpatterns,
]
