from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "tongxin.assessment"
    label = "assessment"
    verbose_name = _("Branch vitality and star rating")
