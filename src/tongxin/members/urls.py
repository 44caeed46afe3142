from tongxin.members.views import care, dues, floating, imports, lapse, registry, transfers

app_name = "members"
urlpatterns = [
    *registry.urlpatterns,
    *dues.urlpatterns,
    *transfers.urlpatterns,
    *floating.urlpatterns,
    *lapse.urlpatterns,
    *care.urlpatterns,
    *imports.urlpatterns,
]
