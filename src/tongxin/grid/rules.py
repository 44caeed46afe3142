"""Pure rules of grids, households and visits — no ORM, no I/O.

* `boundary_errors(geometry)`: a grid boundary is a GeoJSON geometry (RFC 7946 §3.1.6–3.1.7)
  of type Polygon or MultiPolygon in WGS84 longitude/latitude (RFC 7946 §4: positions are
  [longitude, latitude], optionally with an altitude); each linear ring has ≥ 4 positions,
  ends where it starts (§3.1.6) and encloses an area; a boundary has at most MAX_VERTICES
  positions and MAX_POLYGONS polygons (a hand-drawn grid has tens; a paste of a whole city
  is refused rather than stored). Self-intersection is not checked.
* `care_need_error(group, ...)`: which care groups name a person and which a family, and the
  age of "elderly living alone" (民政部 农村留守老年人/独居老人 practice: 60 years and over).
* `visit_date_error(visited_on, today)`: a visit is logged on or after the day it happened.
"""

from __future__ import annotations

import json
import math
from datetime import date
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _

MAX_VERTICES = 5000
MAX_POLYGONS = 100
MAX_RINGS = 50  # per polygon: the outer ring and holes
MAX_BOUNDARY_BYTES = 200_000  # of the JSON text a form or API accepts

# care groups
ELDERLY_ALONE = "elderly_alone"
DISABLED = "disabled"
SERIOUS_ILLNESS = "serious_illness"
FAMILY_IN_DIFFICULTY = "family_difficulty"
LOW_INCOME = "low_income"
SPECIAL_CARE = "special_care"
PERSONAL_GROUPS = frozenset({ELDERLY_ALONE, DISABLED, SERIOUS_ILLNESS})
FAMILY_GROUPS = frozenset({FAMILY_IN_DIFFICULTY, LOW_INCOME, SPECIAL_CARE})
ELDERLY_AGE = 60

HEAD = "head"


# ---------------------------------------------------------------- boundaries


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ring_errors(ring: Any, where: str) -> tuple[list[str], int]:
    """(messages, positions counted) of one linear ring."""
    if not isinstance(ring, list):
        return [_("%(where)s: a ring is a list of positions.") % {"where": where}], 0
    if len(ring) < 4:
        message = _("%(where)s: a ring needs at least 4 positions (the first repeated last).")
        return [message % {"where": where}], len(ring)
    for i, pos in enumerate(ring):
        at = f"{where}[{i}]"
        if not isinstance(pos, list) or len(pos) not in (2, 3) or not all(map(_is_number, pos)):
            return [_("%(where)s: a position is [longitude, latitude].") % {"where": at}], len(ring)
        lon, lat = pos[0], pos[1]
        if not -180 <= lon <= 180:
            message = _("%(where)s: longitude %(value)s is outside -180…180.")
            return [message % {"where": at, "value": lon}], len(ring)
        if not -90 <= lat <= 90:
            message = _(
                "%(where)s: latitude %(value)s is outside -90…90 (positions are "
                "[longitude, latitude])."
            )
            return [message % {"where": at, "value": lat}], len(ring)
    if ring[0][:2] != ring[-1][:2]:
        message = _("%(where)s: the ring is not closed (its last position must equal its first).")
        return [message % {"where": where}], len(ring)
    if len({tuple(p[:2]) for p in ring}) < 3 or ring_area(ring) == 0:
        return [_("%(where)s: the ring encloses no area.") % {"where": where}], len(ring)
    return [], len(ring)


def _polygon_errors(rings: Any, where: str) -> tuple[list[str], int]:
    if not isinstance(rings, list) or not rings:
        return [_("%(where)s: a polygon is a non-empty list of rings.") % {"where": where}], 0
    if len(rings) > MAX_RINGS:
        message = _("%(where)s: at most %(n)s rings in one polygon.")
        return [message % {"where": where, "n": MAX_RINGS}], 0
    errors: list[str] = []
    count = 0
    for i, ring in enumerate(rings):
        found, n = _ring_errors(ring, f"{where}[{i}]")
        errors += found
        count += n
    return errors, count


def boundary_errors(geometry: Any) -> list[str]:
    """Messages (each naming where in the coordinates) of what is wrong; [] when valid."""
    if not isinstance(geometry, dict):
        return [_("A boundary is a GeoJSON object.")]
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        return [_("The boundary must be a GeoJSON Polygon or MultiPolygon.")]
    if "crs" in geometry:
        return [_("Coordinates are WGS84 longitude/latitude; remove the crs member.")]
    if kind == "Polygon":
        errors, count = _polygon_errors(coordinates, "coordinates")
    else:
        if not isinstance(coordinates, list) or not coordinates:
            return [_("A MultiPolygon is a non-empty list of polygons.")]
        if len(coordinates) > MAX_POLYGONS:
            return [_("At most %(n)s polygons in one boundary.") % {"n": MAX_POLYGONS}]
        errors, count = [], 0
        for i, polygon in enumerate(coordinates):
            found, n = _polygon_errors(polygon, f"coordinates[{i}]")
            errors += found
            count += n
    if count > MAX_VERTICES:
        errors.append(
            _("At most %(n)s positions in one boundary (it has %(count)s).")
            % {"n": MAX_VERTICES, "count": count}
        )
    return errors[:10]


def normalise_boundary(value: Any) -> Any:
    """A Feature or a one-feature FeatureCollection (what drawing tools export) → its geometry;
    anything else unchanged (boundary_errors judges it)."""
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features")
        if isinstance(features, list) and len(features) == 1:
            value = features[0]
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    return value


def parse_boundary(text: str) -> tuple[Any, list[str]]:
    """(geometry or None, errors) of a boundary typed or pasted as JSON text; "" → (None, [])."""
    text = (text or "").strip()
    if not text:
        return None, []
    if len(text.encode()) > MAX_BOUNDARY_BYTES:
        return None, [_("The boundary is too large (at most 200 KB of GeoJSON).")]
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None, [_("The boundary is not valid JSON.")]
    value = normalise_boundary(value)
    errors = boundary_errors(value)
    return (None, errors) if errors else (value, [])


def polygons(geometry: dict) -> list[list]:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def ring_area(ring: list) -> float:
    """Planar area in square degrees (shoelace); 0 for a degenerate ring."""
    total = 0.0
    for (x1, y1, *_a), (x2, y2, *_b) in pairwise(ring):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def bounds(geometry: dict) -> tuple[float, float, float, float]:
    """(min longitude, min latitude, max longitude, max latitude) of a valid boundary."""
    points = [p for polygon in polygons(geometry) for ring in polygon for p in ring]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def centre(geometry: dict) -> tuple[float, float]:
    """(longitude, latitude) of the middle of the bounds."""
    x1, y1, x2, y2 = bounds(geometry)
    return (x1 + x2) / 2, (y1 + y2) / 2


# ---------------------------------------------------------------- care, visits, people


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def care_need_error(
    group: str,
    *,
    has_resident: bool,
    birth_date: date | None = None,
    household_size: int = 0,
    today: date,
) -> tuple[str, str] | None:
    """(field, message) of the rule a care need breaks, else None."""
    if group not in PERSONAL_GROUPS | FAMILY_GROUPS:
        return "group", _("unknown care group")
    if group in PERSONAL_GROUPS and not has_resident:
        return "resident", _("this care group names one resident of the household")
    if group in FAMILY_GROUPS and has_resident:
        return "resident", _("this care group is for the whole household, not one resident")
    if group == ELDERLY_ALONE:
        if birth_date is None or age_on(birth_date, today) < ELDERLY_AGE:
            return "resident", _("an elderly person living alone is 60 or older")
        if household_size != 1:
            return "resident", _("the household has other residents: not living alone")
    return None


def visit_date_error(visited_on: date | None, today: date) -> str | None:
    if visited_on is None:
        return _("This field is required.")
    if visited_on > today:
        return _("cannot be in the future")
    return None
