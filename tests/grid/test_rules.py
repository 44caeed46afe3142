"""The pure rules of grids: GeoJSON boundaries, care groups, visit dates."""

import json
from datetime import date

import pytest
from django.utils import translation

from tongxin.grid import rules

RING = [[119.30, 26.08], [119.31, 26.08], [119.31, 26.09], [119.30, 26.09], [119.30, 26.08]]
HOLE = [[119.302, 26.082], [119.304, 26.082], [119.304, 26.084], [119.302, 26.082]]


def poly(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def multi(*polygons):
    return {"type": "MultiPolygon", "coordinates": list(polygons)}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


VALID = [
    ("square", poly(RING)),
    ("with a hole", poly(RING, HOLE)),
    ("with altitude", poly([[*p, 12.5] for p in RING])),
    ("multipolygon", {"type": "MultiPolygon", "coordinates": [[RING], [HOLE]]}),
    ("integers", poly([[0, 0], [1, 0], [1, 1], [0, 0]])),
    ("edge of the world", poly([[-180, -90], [180, -90], [180, 90], [-180, -90]])),
]


@pytest.mark.parametrize(("label", "geometry"), VALID, ids=[v[0] for v in VALID])
def test_valid_boundaries(label, geometry):
    assert rules.boundary_errors(geometry) == []


INVALID = [
    ("not an object", [1, 2], "GeoJSON object"),
    ("a point", {"type": "Point", "coordinates": [119.3, 26.08]}, "Polygon or MultiPolygon"),
    ("a line", {"type": "LineString", "coordinates": RING}, "Polygon or MultiPolygon"),
    ("no coordinates", {"type": "Polygon"}, "non-empty list of rings"),
    ("empty polygon", poly(), "non-empty list of rings"),
    ("open ring", poly([*RING[:-1], [119.305, 26.085]]), "not closed"),
    ("three positions", poly([*RING[:2], RING[0]]), "at least 4 positions"),
    ("ring not a list", poly("abc"), "a ring is a list"),
    ("position of one number", poly([[119.3], *RING[1:]]), "[longitude, latitude]"),
    ("position with text", poly([["119.3", 26.08], *RING[1:]]), "[longitude, latitude]"),
    ("position with a bool", poly([[True, 26.08], *RING[1:]]), "[longitude, latitude]"),
    ("NaN", poly([[float("nan"), 26.08], *RING[1:]]), "[longitude, latitude]"),
    ("infinity", poly([[float("inf"), 26.08], *RING[1:]]), "[longitude, latitude]"),
    ("longitude too big", poly([[190.0, 26.0], [191, 26], [191, 27], [190.0, 26.0]]), "longitude"),
    ("lat/lon swapped", poly([[26.08, 119.3], [26.09, 119.3], [26.09, 119.31], [26.08, 119.3]]),
     "latitude 119.3"),
    ("no area", poly([[0, 0], [1, 1], [2, 2], [0, 0]]), "encloses no area"),
    ("repeated points", poly([[0, 0], [1, 1], [0, 0], [0, 0]]), "encloses no area"),
    ("crs member", {**poly(RING), "crs": {"type": "name"}}, "WGS84"),
    ("empty multipolygon", multi(), "non-empty list of polygons"),
    ("too many polygons", multi(*[[RING]] * 101), "At most 100 polygons"),
    ("too many rings", poly(*[RING] * 51), "at most 50 rings"),
    (
        "too many vertices",
        {"type": "MultiPolygon", "coordinates": [[RING * 21]] * 50},
        "At most 5000 positions",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("label", "geometry", "expected"), INVALID, ids=[v[0] for v in INVALID])
def test_invalid_boundaries_name_the_rule(label, geometry, expected):
    errors = rules.boundary_errors(geometry)
    assert errors, label
    assert any(expected in e for e in errors), errors


def test_errors_say_where_in_the_coordinates():
    errors = rules.boundary_errors({"type": "MultiPolygon", "coordinates": [[RING], [RING[:-1]]]})
    assert errors == [
        "coordinates[1][0]: the ring is not closed (its last position must equal its first)."
    ]
    errors = rules.boundary_errors(poly(RING, [[0, 0], [1, 0], [0, 0]]))
    assert errors == [
        "coordinates[1]: a ring needs at least 4 positions (the first repeated last)."
    ]


def test_parse_boundary_unwraps_features_and_refuses_bad_json():
    feature = {"type": "Feature", "properties": {}, "geometry": poly(RING)}
    assert rules.parse_boundary(json.dumps(feature)) == (poly(RING), [])
    collection = {"type": "FeatureCollection", "features": [feature]}
    assert rules.parse_boundary(json.dumps(collection)) == (poly(RING), [])
    assert rules.parse_boundary("") == (None, [])
    assert rules.parse_boundary("{not json") == (None, ["The boundary is not valid JSON."])
    assert rules.parse_boundary("[" * 100_000)[1] == ["The boundary is not valid JSON."]
    big = json.dumps({**feature, "properties": {"note": "x" * 200_001}})
    assert "too large" in rules.parse_boundary(big)[1][0]


def test_bounds_and_centre():
    geometry = {"type": "MultiPolygon", "coordinates": [[RING], [[[0, 0], [1, 0], [1, 1], [0, 0]]]]}
    assert rules.bounds(geometry) == (0, 0, 119.31, 26.09)
    assert rules.centre(poly(RING)) == pytest.approx((119.305, 26.085))


TODAY = date(2026, 11, 26)


def person(birth, size=1):
    return {"has_resident": True, "birth_date": birth, "household_size": size}


@pytest.mark.parametrize(
    ("group", "kwargs", "expected"),
    [
        ("elderly_alone", person(date(1950, 1, 1)), None),
        ("elderly_alone", person(date(1966, 11, 27)), "60 or older"),  # 60 tomorrow
        ("elderly_alone", person(date(1966, 11, 26)), None),  # 60 today
        ("elderly_alone", person(None), "60 or older"),
        ("elderly_alone", person(date(1940, 1, 1), size=2), "not living alone"),
        ("elderly_alone", {"has_resident": False}, "names one resident"),
        ("disabled", {"has_resident": True}, None),
        ("disabled", {"has_resident": False}, "names one resident"),
        ("family_difficulty", {"has_resident": False}, None),
        ("family_difficulty", {"has_resident": True}, "whole household"),
        ("low_income", {"has_resident": False}, None),
        ("petitioner", {"has_resident": False}, "unknown care group"),
    ],
)
def test_care_need_rules(group, kwargs, expected):
    result = rules.care_need_error(group, today=TODAY, **kwargs)
    if expected is None:
        assert result is None
    else:
        assert expected in result[1]


def test_visit_date_rules():
    assert rules.visit_date_error(TODAY, TODAY) is None
    assert rules.visit_date_error(date(2026, 11, 27), TODAY) == "cannot be in the future"
    assert rules.visit_date_error(None, TODAY) == "This field is required."
