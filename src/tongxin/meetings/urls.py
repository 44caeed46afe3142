"""Meeting pages, mounted at /meetings/ (app "meetings")."""

from django.urls import path

from tongxin.meetings.views import meetings, printing, signin

app_name = "meetings"
urlpatterns = [
    path("", meetings.meeting_list, name="list"),
    path("new/", meetings.meeting_plan, name="plan"),
    path("review/", meetings.review_queue, name="review"),
    path("mine/", meetings.my_meetings, name="mine"),
    path("signin/", signin.signin_code, name="signin"),
    path("s/<str:token>/", signin.signin_token, name="signin_token"),
    path("<int:meeting_id>/", meetings.meeting_detail, name="detail"),
    path("<int:meeting_id>/edit/", meetings.meeting_edit, name="edit"),
    path("<int:meeting_id>/attendance/", meetings.meeting_attendance, name="attendance"),
    path("<int:meeting_id>/held/", meetings.meeting_held, name="held"),
    path("<int:meeting_id>/submit/", meetings.meeting_submit, name="submit"),
    path("<int:meeting_id>/review/", meetings.meeting_review, name="review_action"),
    path("<int:meeting_id>/cancel/", meetings.meeting_cancel, name="cancel"),
    path("<int:meeting_id>/attachments/", meetings.meeting_attachment, name="attachment"),
    path(
        "<int:meeting_id>/attachments/<int:attachment_id>/",
        meetings.attachment_file,
        name="attachment_file",
    ),
    path("<int:meeting_id>/appraisal/", meetings.meeting_appraisal, name="appraisal"),
    # printables (views/printing.py, H6)
    path("<int:meeting_id>/pdf/", printing.meeting_pdf, name="pdf"),
    path("summary/<int:org_id>/<int:year>/pdf/", printing.yearly_summary_pdf, name="yearly_pdf"),
]
