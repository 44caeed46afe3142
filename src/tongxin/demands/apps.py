from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandsConfig(AppConfig):
    name = "tongxin.demands"
    label = "demands"
    verbose_name = _("Residents' demands")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from tongxin.demands.models import Category, Open311Client

        # Cached rows (selectors.demands.active_categories, open311 client by key digest)
        # are dropped by every save or delete through the ORM.
        post_save.connect(_forget_categories, sender=Category, dispatch_uid="demands-cat-save")
        post_delete.connect(_forget_categories, sender=Category, dispatch_uid="demands-cat-del")
        post_save.connect(_forget_client, sender=Open311Client, dispatch_uid="open311-save")
        post_delete.connect(_forget_client, sender=Open311Client, dispatch_uid="open311-del")


def _forget_categories(sender, **kwargs):
    from tongxin.demands.selectors.demands import forget_categories

    forget_categories()


def _forget_client(sender, instance, **kwargs):
    from tongxin.demands.open311.clients import forget_client

    forget_client(instance.key_digest)
