"""Admission pages, mounted at /admissions/ (app "development")."""

from django.urls import path

from tongxin.development.views import files, printing, reports

app_name = "development"
urlpatterns = [
    path("", files.file_list, name="list"),
    path("new/", files.file_open, name="open"),
    path("funnel/", reports.funnel, name="funnel"),
    path("overdue/", reports.overdue, name="overdue"),
    path("report/", reports.admissions_report, name="report"),
    path("report/export/", reports.admissions_export, name="report_export"),
    path("settings/", reports.local_rules, name="settings"),
    path("<int:file_id>/", files.file_detail, name="detail"),
    path("<int:file_id>/steps/", files.file_step, name="step"),
    path("<int:file_id>/reviews/", files.file_review, name="review"),
    path("<int:file_id>/documents/", files.file_document, name="document"),
    path("<int:file_id>/vote/", files.file_vote, name="vote"),
    path("<int:file_id>/close/", files.file_close, name="close"),
    path(
        "<int:file_id>/documents/<int:document_id>/",
        files.document_file,
        name="document_file",
    ),
    path("<int:file_id>/pdf/", printing.file_pdf, name="file_pdf"),
]
