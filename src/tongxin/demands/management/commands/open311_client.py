from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tongxin.demands.models import Open311Client
from tongxin.demands.open311.clients import create_client, set_active


class Command(BaseCommand):
    help = (
        "Open311 clients (GeoReport v2 POST at /open311/v2/requests.json|xml): --name creates "
        "one and prints its api_key ONCE (only a digest is kept); --list shows the clients; "
        "--disable/--enable ID switches one off or on."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--name", help="create a client with this name")
        group.add_argument("--list", action="store_true", help="list the clients")
        group.add_argument("--disable", type=int, metavar="ID", help="refuse this client's key")
        group.add_argument("--enable", type=int, metavar="ID", help="accept this client's key")

    def handle(self, *args, **options):
        actor = "manage.py open311_client"
        if options["name"] is not None:
            try:
                client, key = create_client(actor=actor, name=options["name"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            self.stdout.write(f"client {client.pk}: {client.name}")
            self.stdout.write(f"api_key: {key}")
            self.stdout.write("The key is shown only now; keep it safe.")
            return
        if options["list"]:
            for c in Open311Client.objects.order_by("id"):
                state = "active" if c.active else "disabled"
                self.stdout.write(
                    f"{c.pk}\t{c.name}\t…{c.key_hint}\t{state}\t{c.created_at:%Y-%m-%d}"
                )
            return
        pk = options["disable"] or options["enable"]
        client = Open311Client.objects.filter(pk=pk).first()
        if client is None:
            raise CommandError(f"no Open311 client {pk}")
        set_active(actor=actor, client=client, active=options["enable"] is not None)
        self.stdout.write(f"client {client.pk}: {'active' if client.active else 'disabled'}")
