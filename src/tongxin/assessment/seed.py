"""Demo and benchmark data of the star rating: nothing invented — the ratings are computed
from what the seeders before this one recorded (meetings and their compliance snapshots,
dues, admission files, study hours, demands), for the seeded world's running year and the
year before, as of orgs.seed.REFERENCE_DATE."""

from time import perf_counter

from tongxin.assessment import services
from tongxin.orgs.seed import REFERENCE_DATE


def seed(*, scale, rng, out, context) -> dict:
    counts = {}
    for year in (REFERENCE_DATE.year - 1, REFERENCE_DATE.year):
        started = perf_counter()
        result = services.compute_ratings(
            year=year, today=REFERENCE_DATE, actor="tongxin seed", audited=False
        )
        out.write(
            f"assessment: ratings {year} for {result['branches']} branches in "
            f"{perf_counter() - started:.1f} s "
            f"({result['rated']} with stars: {result.get('stars', {})})"
        )
        counts[f"ratings_{year}"] = result["branches"]
    return counts
