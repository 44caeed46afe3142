from django.core.management.base import BaseCommand, CommandError

from tongxin.core import calendar


def parse_years(text: str) -> list[int]:
    """ "2025" → [2025]; "2024-2026" → [2024, 2025, 2026]; "2024,2026" → [2024, 2026]."""
    years: list[int] = []
    try:
        for part in text.split(","):
            first, dash, last = part.strip().partition("-")
            start = int(first)
            end = int(last) if dash else start
            if end < start or end - start > 200:
                raise ValueError
            years.extend(range(start, end + 1))
    except ValueError:
        raise CommandError(
            f"--years {text!r}: expected a year, a range like 2024-2026, or a list"
        ) from None
    return sorted(set(years))


class Command(BaseCommand):
    help = (
        "Load the official working-day calendar (holidays and adjusted workdays, DOMAIN.md "
        "§8.4): from the chinese-calendar package (--years, default every year it knows), "
        "or one year from a CSV file of rows date,kind,name (--file) as published by the "
        "State Council."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", help="e.g. 2025, 2024-2026 (from the package)")
        parser.add_argument("--file", help="CSV file: date,kind,name; kind holiday|workday")
        parser.add_argument("--year", type=int, help="the year in --file (default: from rows)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="with --years: overwrite years that were imported or edited by hand",
        )

    def handle(self, *args, years, file, year, replace, **options):
        if file:
            if years:
                raise CommandError("give either --file or --years, not both")
            self._import(file, year)
            return
        wanted = parse_years(years) if years else calendar.package_years()
        result = calendar.seed_from_package(wanted, replace=replace)
        if result.loaded:
            self.stdout.write(f"loaded from the package: {_span(result.loaded)}")
        if result.kept:
            self.stdout.write(
                f"kept (imported or edited; --replace to overwrite): {_span(result.kept)}"
            )
        if result.unknown:
            self.stderr.write(
                f"not in the chinese-calendar package: {_span(result.unknown)} — import the "
                "State Council's notice with --file; until then these years count Monday to "
                "Friday only"
            )

    def _import(self, path, year):
        try:
            rows = calendar.read_csv(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        if year is None:
            year = _year_of(rows)
        try:
            count = calendar.import_year(rows, year)
        except calendar.CalendarImportError as exc:
            raise CommandError(
                f"{path} refused, nothing written:\n" + "\n".join(exc.errors)
            ) from None
        self.stdout.write(f"imported {count} days for {year} from {path}")


def _year_of(rows) -> int:
    for row in rows:
        if row and row[0].strip()[:4].isdigit():
            return int(row[0].strip()[:4])
    raise CommandError("cannot tell the year from the file; give --year")


def _span(years: list[int]) -> str:
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)
