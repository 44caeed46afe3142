"""Daily work of organisational life, part of `tongxin run_daily_checks` (members.tasks).

Order matters: compliance snapshots first (the rating reads them), then the term reminders,
then the running year's star ratings.
"""

from django.utils import timezone


def run_daily_meeting_checks(today=None) -> dict:
    """Compliance recompute of the running year, term reminders, this year's ratings."""
    from tongxin.assessment.services import compute_ratings
    from tongxin.meetings.services.compliance import recompute_all
    from tongxin.meetings.services.elections import remind_terms

    today = today or timezone.localdate()
    result = {
        "compliance": recompute_all(today=today),
        "terms": remind_terms(today=today),
        "ratings": compute_ratings(year=today.year, today=today),
    }
    if today.month == 1:  # last year's December has ended: its compliance and rating are final
        result["last_year_compliance"] = recompute_all(today=today, year=today.year - 1)
        result["last_year_ratings"] = compute_ratings(year=today.year - 1, today=today)
    return result
