from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tongxin.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from tongxin.core.models import CalendarDay, CalendarYear

        # The cached official calendar (core.calendar.official_calendar) is dropped by
        # every row written or deleted through the ORM, wherever it is written from.
        for model in (CalendarDay, CalendarYear):
            post_save.connect(_forget_calendar, sender=model, dispatch_uid=f"calendar-{model}")
            post_delete.connect(_forget_calendar, sender=model, dispatch_uid=f"cal-del-{model}")


def _forget_calendar(sender, **kwargs):
    from tongxin.core.calendar import forget_calendar

    forget_calendar()
