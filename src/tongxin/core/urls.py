from django.urls import path

from tongxin.core import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notifications_read_all"),
]
