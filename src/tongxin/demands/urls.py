"""Staff pages of the demand loop, mounted at /demands/ (app "demands").

The measures pages have their own module (urls_measures, app "demand_measures", mounted at
/demands/measures/ in tongxin/urls.py); the resident portal is at /portal/.
"""

from django.urls import path

from tongxin.demands.views import catalogue, staff

app_name = "demands"
urlpatterns = [
    path("", staff.demand_list, name="list"),
    path("new/", staff.demand_new, name="new"),
    path("patrol/", staff.patrol_report, name="patrol"),
    path("<int:pk>/", staff.demand_detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", staff.demand_act, name="act"),
    path("<int:pk>/photos/<int:photo_id>/", staff.demand_photo, name="photo"),
    path("<int:pk>/reveal/", staff.demand_reveal, name="reveal"),
    # district administrators: the catalogue and the routing
    path("settings/categories/", catalogue.category_list, name="categories"),
    path("settings/categories/new/", catalogue.category_edit, name="category_new"),
    path("settings/categories/<int:pk>/", catalogue.category_edit, name="category_edit"),
    path("settings/departments/", catalogue.department_list, name="departments"),
    path("settings/departments/new/", catalogue.department_edit, name="department_new"),
    path("settings/departments/<int:pk>/", catalogue.department_edit, name="department_edit"),
    path("settings/routes/", catalogue.route_list, name="routes"),
    path("settings/routes/<int:pk>/delete/", catalogue.route_delete, name="route_delete"),
    path("settings/states/", catalogue.state_names, name="states"),
]
