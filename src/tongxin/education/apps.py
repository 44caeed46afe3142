from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    name = "tongxin.education"
    label = "education"
    verbose_name = _("Study and education")
