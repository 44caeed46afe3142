"""Two people record the same step at the same moment: one wins, the other is refused with
step_order (the file is locked with SELECT … FOR UPDATE). PostgreSQL only (helper H1)."""

import threading
from datetime import date as D

import pytest
from django.db import connection, connections

from tests.development.admission_factories import TODAY, open_applicant
from tests.factories import District
from tongxin.development import services
from tongxin.development.models import Applicant, StepRecord
from tongxin.development.services import StepRefused

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_same_step_recorded_twice_at_once():
    district = District()
    applicant = open_applicant(district)
    barrier = threading.Barrier(2)
    outcomes: list = []

    def record():
        try:
            barrier.wait()
            mine = Applicant.objects.get(pk=applicant.pk)
            services.record_step(
                actor=district.secretary, applicant=mine, step=2, on=D(2023, 1, 20), today=TODAY
            )
            outcomes.append("ok")
        except StepRefused as exc:
            outcomes.append([v.rule for v in exc.violations])
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes, key=str) == sorted(["ok", ["step_order"]], key=str)
    assert StepRecord.objects.filter(applicant=applicant, step=2).count() == 1
