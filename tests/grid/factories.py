"""Grid factories: rows written directly (the services have their own tests)."""

import itertools
from datetime import date

from tongxin.core.crypto import digest
from tongxin.core.pinyin import search_key
from tongxin.grid.models import Building, Grid, Household, Resident, Visit

_seq = itertools.count(1)


def square(lon=119.30, lat=26.08, size=0.004):
    """A closed square ring as a GeoJSON Polygon."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def make_grid(community, *, leader=None, workers=(), **fields) -> Grid:
    n = next(_seq)
    name = fields.pop("name", f"第{n}网格")
    grid = Grid.objects.create(
        community=community,
        code=fields.pop("code", f"G{n:05d}"),
        name=name,
        boundary=fields.pop("boundary", square(119.30 + n * 0.01)),
        leader=leader,
        search_key=search_key(name),
        **fields,
    )
    if workers:
        grid.workers.set(workers)
    return grid


def make_household(grid, **fields) -> Household:
    n = next(_seq)
    building = fields.pop("building", None)
    if building is None and fields.pop("with_building", True):
        building, _ = Building.objects.get_or_create(
            grid=grid, name=fields.pop("building_name", "1号楼")
        )
    phone = fields.pop("phone", f"138{n:08d}")
    head = fields.pop("head_name", f"户主{n}")
    return Household.objects.create(
        grid=grid,
        building=building,
        room=fields.pop("room", f"{100 + n}"),
        address=fields.pop("address", f"鼓楼区南后街{n}号"),
        head_name=head,
        phone=phone,
        phone_tail=phone[-4:],
        search_key=search_key(head),
        **fields,
    )


def make_resident(household, *, id_number="", **fields) -> Resident:
    n = next(_seq)
    name = fields.pop("name", f"居民{n}")
    return Resident.objects.create(
        household=household,
        name=name,
        gender=fields.pop("gender", "female"),
        birth_date=fields.pop("birth_date", date(1950, 5, 5)),
        id_number=id_number,
        id_digest=digest(id_number) if id_number else "",
        id_tail=id_number[-4:],
        phone=fields.pop("phone", f"137{n:08d}"),
        relation=fields.pop("relation", "other"),
        search_key=search_key(name),
        **fields,
    )


def make_visit(household, visitor, **fields) -> Visit:
    problem = fields.pop("problem_found", "")
    return Visit.objects.create(
        grid=household.grid,
        household=household,
        visitor=visitor,
        visited_on=fields.pop("visited_on", date(2026, 11, 1)),
        learned=fields.pop("learned", "老人身体尚可"),
        problem_found=problem,
        has_problem=bool(problem),
        **fields,
    )
