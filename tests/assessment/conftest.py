import json

import pytest

from tongxin.accounts.services import issue_api_token


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None):
        headers = {"Accept-Language": "en"}
        if user is not None:
            headers["Authorization"] = f"Bearer {issue_api_token(user=user)}"
        data = None if payload is None else json.dumps(payload)
        return client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )

    return call


@pytest.fixture
def no_study(monkeypatch):
    """Study hours unmeasured whatever the education module answers (deterministic sums)."""
    from tongxin.assessment import services

    monkeypatch.setattr(services, "measure_study", lambda *args, **kwargs: ({}, False))
