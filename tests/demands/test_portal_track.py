"""The public resident portal: following a demand (/portal/track/), rating, one reopen."""

import re

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.demands.portal_helpers import PHONE, TAIL, make_category
from tests.factories import make_user
from tongxin.demands import services
from tongxin.demands.models import Demand, DemandEvent, Department, StateLabel

TRACK = "/portal/track/"


@pytest.fixture(autouse=True)
def clean_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def demand(district):
    category = make_category()
    return services.submit(
        channel="portal",
        category=category,
        description='窨井盖破损 <script>alert("x")</script>',
        community=district.comm_a1,
        address="南后街 12 号",
        contact_name="李阿姨",
        phone=PHONE,
    )


def set_state(demand, state, **fields):
    Demand.objects.filter(pk=demand.pk).update(state=state, **fields)
    demand.refresh_from_db()
    return demand


def prove(client, demand, tail=TAIL):
    return client.post(TRACK, {"code": demand.code, "phone_tail": tail})


def progress_url(demand):
    return reverse("portal:progress", args=[demand.code])


# ------------------------------------------------------------------ lookup


def test_track_form_is_public_and_prefills_the_code(demand):
    response = Client().get(TRACK + f"?code={demand.code}")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{demand.code}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert reverse("accounts:logout") not in html


def test_right_code_and_digits_show_the_progress(demand):
    client = Client()
    response = prove(client, demand)
    assert response.status_code == 302
    assert response["Location"] == progress_url(demand)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert demand.code in html
    assert 'id="state"' in html
    assert "南后街 12 号" in html
    assert 'id="timeline"' in html


def test_code_is_forgiving_about_case_and_spaces(demand):
    client = Client()
    spaced = " ".join([demand.code[:6].lower(), demand.code[6:].lower()])
    assert prove(client, demand).status_code == 302
    response = client.post(TRACK, {"code": spaced, "phone_tail": TAIL})
    assert response.status_code == 302


def test_wrong_code_or_digits_give_the_same_answer(demand):
    other = "261126ZZZZZZ" if demand.code != "261126ZZZZZZ" else "261126YYYYYY"
    tries = [
        {"code": demand.code, "phone_tail": "0000"},  # wrong digits
        {"code": other, "phone_tail": TAIL},  # wrong code
        {"code": other, "phone_tail": "0000"},  # both wrong
    ]
    answers = []
    with translation.override("en"):
        for data in tries:
            response = Client(HTTP_ACCEPT_LANGUAGE="en").post(TRACK, data)
            assert response.status_code == 400
            html = response.content.decode()
            block = re.search(r'<ul class="errors[^"]*"[^>]*id="track-error">.*?</ul>', html, re.S)
            assert block, html
            answers.append(block.group(0))
            # no field is singled out
            assert response.context["form"].errors.keys() == {"__all__"}
    assert answers[0] == answers[1] == answers[2]
    assert "No demand matches this tracking code and these phone digits" in answers[0]


def test_progress_page_needs_the_proof(demand):
    response = Client().get(progress_url(demand))
    assert response.status_code == 302
    assert response["Location"] == f"{TRACK}?code={demand.code}"


def test_proof_is_per_code(district, demand):
    second = services.submit(
        channel="portal",
        category=demand.category,
        description="另一户的诉求内容",
        community=district.comm_a1,
        address="东街 1 号",
        phone="13911112222",
    )
    client = Client()
    prove(client, demand)
    assert client.get(progress_url(demand)).status_code == 200
    # proving one code does not open another resident's demand
    response = client.get(progress_url(second))
    assert response.status_code == 302
    assert "东街 1 号" not in client.get(progress_url(demand)).content.decode()


def test_malformed_digits_are_a_field_error(demand):
    response = Client().post(TRACK, {"code": demand.code, "phone_tail": "12a4"})
    assert response.status_code == 400
    assert "phone_tail" in response.context["form"].errors


def test_rate_limit_on_track_attempts(demand, settings):
    settings.TONGXIN = {**settings.TONGXIN, "PORTAL_TRACK_RATE": "3/10m"}
    client = Client(REMOTE_ADDR="203.0.113.50", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        assert client.post(TRACK, {"code": demand.code, "phone_tail": "0000"}).status_code == 400
    with translation.override("en"):
        response = prove(client, demand)  # even the right answer, once over the limit
        assert response.status_code == 429
        assert "Too many attempts" in response.content.decode()
    assert response["Retry-After"]
    assert prove(Client(REMOTE_ADDR="203.0.113.51"), demand).status_code == 302


def test_track_csrf_is_enforced(demand):
    client = Client(enforce_csrf_checks=True)
    assert prove(client, demand).status_code == 403
    page = client.get(TRACK).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = client.post(
        TRACK, {"code": demand.code, "phone_tail": TAIL, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


# ------------------------------------------------------------------ what the page shows


def test_no_staff_data_leaks(district, demand):
    handler = make_user("handler_wang", first_name="王处理")
    department = Department.objects.create(code="CG", name="区城管局", org=district.root)
    department.handlers.add(handler)
    set_state(demand, "handling", department=department, handler=handler)
    DemandEvent.objects.create(
        demand=demand,
        action="progress",
        from_state="handling",
        to_state="handling",
        note="内部备注：联系人情绪激动",
        public=False,
        actor=handler,
        actor_label="王处理",
    )
    DemandEvent.objects.create(
        demand=demand,
        action="claim",
        from_state="dispatched",
        to_state="handling",
        note="已安排人员上门",
        public=True,
        actor=handler,
        actor_label="王处理",
    )
    client = Client()
    prove(client, demand)
    html = client.get(progress_url(demand)).content.decode()
    assert "已安排人员上门" in html  # the public note
    assert "内部备注" not in html  # internal notes stay inside
    assert "王处理" not in html and "handler_wang" not in html  # no staff names
    assert "区城管局" in html  # the department, as a body, is shown
    assert PHONE not in html and "李阿姨" not in html  # not even the resident's own details


def test_script_in_description_renders_as_text(demand):
    client = Client()
    prove(client, demand)
    html = client.get(progress_url(demand)).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_state_in_the_districts_own_words(demand):
    StateLabel.objects.update_or_create(state="pending", defaults={"label": "等待街道受理"})
    client = Client()
    prove(client, demand)
    html = client.get(progress_url(demand)).content.decode()
    assert re.search(r'id="state">等待街道受理<', html)


def test_refusal_reason_is_shown(demand):
    set_state(demand, "refused", refuse_reason="不属于本区管辖范围")
    client = Client()
    prove(client, demand)
    html = client.get(progress_url(demand)).content.decode()
    assert 'id="refused"' in html and "不属于本区管辖范围" in html
    assert 'id="rate-form"' not in html and 'id="reopen-form"' not in html


def test_open_demand_has_no_rating_form(demand):
    client = Client()
    prove(client, demand)
    html = client.get(progress_url(demand)).content.decode()
    assert 'id="rate-form"' not in html and 'id="reopen-form"' not in html


# ------------------------------------------------------------------ rating and reopening


def test_rate_satisfied(demand):
    set_state(demand, "closed", answer="已更换井盖。")
    client = Client()
    prove(client, demand)
    html = client.get(progress_url(demand)).content.decode()
    assert 'id="answer"' in html and "已更换井盖。" in html
    assert 'id="rate-form"' in html
    assert 'name="rating" value="satisfied"' in html
    response = client.post(
        reverse("portal:rate", args=[demand.code]), {"rating": "satisfied", "comment": "很快"}
    )
    assert response.status_code == 302
    demand.refresh_from_db()
    assert demand.state == "rated" and demand.rating == "satisfied"
    assert demand.rating_comment == "很快"
    assert DemandEvent.objects.filter(demand=demand, action="rate", public=True).exists()
    html = client.get(progress_url(demand)).content.decode()
    assert 'id="rating"' in html
    assert 'id="rate-form"' not in html
    assert 'id="reopen-form"' not in html  # satisfied: no reopening


def test_rate_unsatisfied_then_reopen_once(demand):
    set_state(demand, "closed", answer="已处理。")
    client = Client()
    prove(client, demand)
    response = client.post(reverse("portal:rate", args=[demand.code]), {"rating": "unsatisfied"})
    assert response.status_code == 302
    html = client.get(progress_url(demand)).content.decode()
    assert 'id="reopen-form"' in html
    response = client.post(reverse("portal:reopen", args=[demand.code]), {"comment": "还是漏水"})
    assert response.status_code == 302
    demand.refresh_from_db()
    assert demand.state == "reopened" and demand.reopen_count == 1
    assert DemandEvent.objects.filter(demand=demand, action="reopen").count() == 1
    # answered and closed again, rated unsatisfied again: no second reopen
    set_state(demand, "closed", answer="再次处理。")
    client.post(reverse("portal:rate", args=[demand.code]), {"rating": "unsatisfied"})
    demand.refresh_from_db()
    html = client.get(progress_url(demand)).content.decode()
    assert 'id="reopen-form"' not in html
    response = client.post(reverse("portal:reopen", args=[demand.code]), {}, follow=True)
    assert response.status_code == 200
    demand.refresh_from_db()
    assert demand.reopen_count == 1 and demand.state != "reopened"
    assert DemandEvent.objects.filter(demand=demand, action="reopen").count() == 1
    assert 'class="msg msg-error"' in response.content.decode()


def test_closed_unrated_may_reopen_directly(demand):
    set_state(demand, "closed", answer="已处理。")
    client = Client()
    prove(client, demand)
    html = client.get(progress_url(demand)).content.decode()
    assert 'id="rate-form"' in html and 'id="reopen-form"' in html
    assert client.post(reverse("portal:reopen", args=[demand.code])).status_code == 302
    demand.refresh_from_db()
    assert demand.state == "reopened"


def test_answered_not_yet_closed_explains_when_to_rate(demand):
    set_state(demand, "answered", answer="已派人处理。")
    client = Client()
    prove(client, demand)
    html = client.get(progress_url(demand)).content.decode()
    assert 'id="answer"' in html
    assert 'id="rate-later"' in html
    assert 'id="rate-form"' not in html


def test_rating_must_be_a_choice(demand):
    set_state(demand, "closed", answer="已处理。")
    client = Client()
    prove(client, demand)
    response = client.post(reverse("portal:rate", args=[demand.code]), {"rating": "great"})
    assert response.status_code == 400
    demand.refresh_from_db()
    assert demand.state == "closed" and demand.rating == ""


def test_rating_without_proof_is_refused(demand):
    set_state(demand, "closed", answer="已处理。")
    response = Client().post(reverse("portal:rate", args=[demand.code]), {"rating": "satisfied"})
    assert response.status_code == 302
    assert response["Location"].startswith(TRACK)
    demand.refresh_from_db()
    assert demand.state == "closed"


def test_rating_in_a_wrong_state_is_refused_clearly(demand):
    client = Client()
    prove(client, demand)  # still pending
    response = client.post(
        reverse("portal:rate", args=[demand.code]), {"rating": "satisfied"}, follow=True
    )
    assert response.status_code == 200
    assert 'class="msg msg-error"' in response.content.decode()
    demand.refresh_from_db()
    assert demand.state == "pending"


def test_rate_csrf_is_enforced(demand):
    set_state(demand, "closed", answer="已处理。")
    client = Client(enforce_csrf_checks=True)
    page = client.get(TRACK).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    client.post(TRACK, {"code": demand.code, "phone_tail": TAIL, "csrfmiddlewaretoken": token})
    response = client.post(reverse("portal:rate", args=[demand.code]), {"rating": "satisfied"})
    assert response.status_code == 403
    demand.refresh_from_db()
    assert demand.state == "closed"


def test_progress_page_query_budget(demand, django_assert_max_num_queries):
    set_state(demand, "closed", answer="已处理。")
    client = Client()
    prove(client, demand)
    with django_assert_max_num_queries(10):
        assert client.get(progress_url(demand)).status_code == 200
