"""One demand's life: the walk through the state machine up to the seeded now."""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import datetime
from time import perf_counter

from django.db import connection
from django.db.models import Max

from tongxin.core import crypto
from tongxin.core.workdays import SHANGHAI
from tongxin.demands import rules
from tongxin.demands.models import (
    Demand,
    DemandEvent,
    Escalation,
    ExtensionRequest,
    Summons,
    Supervision,
)
from tongxin.demands.seed.clock import LOCAL, WorkClock, _ts
from tongxin.demands.seed.world import (
    ANSWERS,
    CHANNELS,
    CODE_ALPHABET,
    CODE_SPACE,
    GIVEN,
    PROBLEMS,
    RATING_COMMENTS,
    REFERENCE_NOW,
    REFUSE_REASONS,
    SURNAMES,
    Cat,
    Place,
    World,
    _limits,
)
from tongxin.demands.seed.writing import _BULK, _COPY
from tongxin.orgs.seed import ROADS

# --- one demand's life ----------------------------------------------------------------------


class Life:
    """Walks one demand through the state machine up to `now`, collecting the row, its
    events and side rows (escalations, summonses, supervisions, extensions)."""

    __slots__ = ("events", "late_flagged", "now", "row", "s", "state", "stopped", "version")

    def __init__(self, s: _Seeder, row: dict):
        self.s = s
        self.row = row
        self.events: list[tuple] = []
        self.now = s.now
        self.state = ""  # "submit" makes it PENDING
        self.version = 0
        self.stopped = False
        self.late_flagged = False

    def ev(self, at, action, to_state, actor=None, label="", note="", payload=None):
        frm = self.state
        target = self.state if to_state is None else to_state
        self.events.append((at, action, frm, target, actor, label, note, payload))
        if action not in ("submit", "overdue"):
            self.version += 1
        self.state = target

    def until(self, ts: int) -> bool:
        """False (and the walk stops) when `ts` lies after the seeded world's now."""
        if ts > self.now:
            self.stopped = True
            return False
        return True

    def missed(self, due: int | None, done: int | None) -> None:
        """The overdue check's view: a due time passed before the step was done (or by now)
        flags the demand once per clock — a later clock flags again (services/overdue.py) —
        with an "overdue" event a few minutes after the due time (before the step; its
        from/to state is set by `replay`)."""
        if due is None or (self.late_flagged and due <= (self.row["overdue_since"] or due)):
            return
        if (done is None and due < self.now) or (done is not None and done > due):
            at = due + self.s.rng.randint(1, 5) * 60
            if done is not None:
                at = min(at, due + (done - due) // 2)
            if at > self.now:
                return
            self.late_flagged = True
            self.row["overdue"] = True
            self.row["overdue_since"] = due
            self.events.append((at, "overdue", "", "", None, "system", "", {"due": due}))

    def replay(self) -> list[tuple]:
        """The events in time order, each "overdue" event in the state of its moment."""
        events = sorted(self.events, key=lambda e: e[0])
        state = ""
        out = []
        for e in events:
            if e[1] == "overdue":
                e = (e[0], e[1], state, state, *e[4:])
            else:
                state = e[3]
            out.append(e)
        return out


class _Seeder:
    def __init__(self, scale: str, rng: random.Random, world: World, clock: WorkClock, out):
        self.scale = scale
        self.rng = rng
        self.world = world
        self.clock = clock
        self.out = out
        self.now = _ts(REFERENCE_NOW)
        self.copy = connection.vendor == "postgresql"
        self.full_events = scale == "demo"
        self.limits = _limits()
        self.next = {m: _next_id(m) for m in (Demand, DemandEvent, Escalation, Summons,
                                                 Supervision, ExtensionRequest)}  # fmt: skip
        self.rows: dict[type, list] = {m: [] for m in self.next}
        self.counts: dict[str, int] = {}
        self.written: dict[type, int] = dict.fromkeys(self.next, 0)
        self.write_seconds = 0.0
        self.people = self._people()
        self.day_seq: dict[int, int] = {}
        self.visits = self._visits() if scale == "demo" else {}
        self.showcase_street: int | None = None

    def _people(self) -> list[tuple]:
        """(name, phone, tail, encrypted name, encrypted phone): a pool encrypted once."""
        rng = self.rng
        pool = []
        for _ in range(300 if self.scale == "demo" else 3000):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            phone = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randrange(10**8):08d}"
            pool.append((name, phone, phone[-4:], crypto.encrypt(name), crypto.encrypt(phone)))
        return pool

    def _visits(self) -> dict[int, list[tuple]]:
        from tongxin.grid.models import Visit

        out: dict[int, list[tuple]] = {}
        for pk, comm, problem, on in Visit.objects.filter(has_problem=True).values_list(
            "pk", "grid__community_id", "problem_found", "visited_on"
        ):
            out.setdefault(comm, []).append((pk, problem, on))
        return out

    def new(self, model) -> int:
        pk = self.next[model]
        self.next[model] += 1
        return pk

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    # --- the code of a demand: YYMMDD + a bijection of the day's sequence number
    def code(self, ts: int) -> str:
        local_day = (ts + LOCAL) // 86400
        seq = self.day_seq.get(local_day, 0)
        self.day_seq[local_day] = seq + 1
        n = (seq * 1_103_515_245 + 12_345 + local_day * 7_919) % CODE_SPACE  # odd multiplier
        chars = []
        for _ in range(6):
            n, r = divmod(n, 32)
            chars.append(CODE_ALPHABET[r])
        day = datetime.fromtimestamp(ts, SHANGHAI).strftime("%y%m%d")
        return day + "".join(chars)

    # --- one demand
    def demand(self, created: int, place: Place) -> None:
        rng, w = self.rng, self.world
        cat = w.cats[bisect_right(w.cat_weights, rng.random() * w.cat_weights[-1])]
        channel = _pick(rng, CHANNELS)
        pk = self.new(Demand)
        person = rng.choice(self.people)
        road = rng.choice(ROADS)
        description = rng.choice(PROBLEMS.get(cat.top, PROBLEMS["OTH"])).format(road=road)
        grid, lon, lat = None, None, None
        if place.grids:
            grid, box = rng.choice(place.grids)
            if box is not None and channel in ("portal", "patrol", "open311", "visit"):
                lon = round(rng.uniform(box[0], box[2]), 6)
                lat = round(rng.uniform(box[1], box[3]), 6)
        visit = None
        if channel == "visit" and self.visits.get(place.id):
            vid, problem, _on = rng.choice(self.visits[place.id])
            visit, description = vid, problem or description
        row = {
            "id": pk,
            "code": self.code(created),
            "channel": channel,
            "category_id": cat.id,
            "title": description[:30],
            "description": description,
            "address": f"鼓楼区{road}{rng.randint(1, 399)}号",
            "latitude": lat,
            "longitude": lon,
            "street_id": place.street_id,
            "community_id": place.id,
            "grid_id": grid,
            "person": person,
            "confidential": channel == "hotline" and rng.random() < 0.1,
            "visit_id": visit,
            "duplicate_of_id": None,
            "external_id": f"FZ12345-{pk}" if channel == "open311" else "",
            "open311_client_id": w.open311_client if channel == "open311" else None,
            "state": rules.PENDING,
            "version": 0,
            "department_id": None,
            "handler_id": None,
            "answer": "",
            "refuse_reason": "",
            "rating": "",
            "rating_comment": "",
            "reopen_count": 0,
            "supervised": False,
            "escalated": False,
            "accept_due_at": None,
            "accepted_at": None,
            "due_at": None,
            "dispatched_at": None,
            "answered_at": None,
            "closed_at": None,
            "rated_at": None,
            "visit_due_at": None,
            "overdue": False,
            "overdue_since": None,
            "handling_minutes": None,
            "created_at": created,
        }
        life = Life(self, row)
        self.walk(life, cat, place, created, channel)
        row["state"], row["version"] = life.state, life.version
        timeline = life.replay()
        row["updated_at"] = timeline[-1][0]
        self.rows[Demand].append(row)
        keep_all = self.full_events or place.showcase or life.state in rules.OPEN_STATES
        events = timeline if keep_all or len(timeline) <= 2 else _ends(timeline)
        for e in events:
            self.rows[DemandEvent].append((self.new(DemandEvent), pk, *e))
        self.bump(f"state_{life.state}")
        if row["overdue"]:
            self.bump("overdue")
        if life.state not in (rules.DUPLICATE,):
            place.last_ids.append(pk)
            if len(place.last_ids) > 20:
                del place.last_ids[0]

    def actors(self, place: Place) -> dict:
        """Who acts for the community, the street and the district (ids or labels)."""
        a = self.world.accounts
        street_showcase = place.street_id == self.showcase_street
        short = place.name.removesuffix("党委")
        return {
            "dispatcher": a.get("community_admin") if place.showcase else None,
            "dispatcher_label": f"{short}工作人员",
            "street": a.get("street_admin") if street_showcase else None,
            "street_label": "街道工作人员",
            "district": a.get("district_admin"),
        }

    def walk(self, life: Life, cat: Cat, place: Place, created: int, channel: str) -> None:
        rng, clock, row = self.rng, self.clock, life.row
        who = self.actors(place)
        disp, disp_label = who["dispatcher"], who["dispatcher_label"]
        staff_channel = channel not in ("portal", "open311")
        submit_actor = None
        if staff_channel and place.showcase:
            submit_actor = self.world.accounts.get(
                "grid_worker" if channel in ("patrol", "visit") else "community_admin"
            )
        label = {"portal": "resident", "open311": "福州12345便民服务平台"}.get(channel, "")
        if staff_channel and submit_actor is None:
            label = disp_label
        life.ev(created, "submit", rules.PENDING, submit_actor, label, payload={"channel": channel})
        # acceptance: one working hour (clock hours for urgent categories)
        accept_due = (
            created + round(self.limits.accept_working_hours * 3600)
            if cat.urgent
            else clock.add_hours(created, self.limits.accept_working_hours)
        )
        row["accept_due_at"] = accept_due
        late = rng.random() < 0.05
        if cat.urgent:
            decided = created + rng.randint(3, 50 if not late else 180) * 60
        else:
            minutes = rng.randint(3, 55) if not late else rng.randint(62, 600)
            decided = clock.at(clock.w(created) + minutes * 60)
            decided = max(decided, created + 60)
        life.missed(accept_due, decided if decided <= self.now else None)
        if not life.until(decided):
            return
        roll = rng.random()
        if roll < 0.025:
            reason = rng.choice(REFUSE_REASONS)
            row["accepted_at"], row["refuse_reason"] = decided, reason
            life.ev(decided, "refuse", rules.REFUSED, disp, disp_label, note=reason)
            return
        if roll < 0.045 and place.last_ids:
            original = rng.choice(place.last_ids)
            row["accepted_at"], row["duplicate_of_id"] = decided, original
            life.ev(decided, "mark_duplicate", rules.DUPLICATE, disp, disp_label,
                    payload={"original": original})  # fmt: skip
            return
        row["accepted_at"] = decided
        row["due_at"] = self.handle_due(cat, decided)
        life.ev(decided, "accept", rules.ACCEPTED, disp, disp_label)
        self.handle(life, cat, place, decided, who)

    def handle_due(self, cat: Cat, start: int) -> int:
        if cat.limit.unit == rules.HOURS:
            return start + round(cat.limit.value * 3600)
        return self.clock.due_days(start, int(cat.limit.value))

    def route(self, cat: Cat, place: Place) -> int | None:
        key = (cat.id, place.id)
        routes = self.world.routes
        if key not in routes:
            chosen = rules.choose_route(cat.routes, place.path)
            routes[key] = chosen.department if chosen else None
        return routes[key]

    def handle(self, life: Life, cat: Cat, place: Place, start: int, who: dict) -> None:
        """From ACCEPTED (or REOPENED): dispatch, claim, maybe return/escalate/extend/
        supervise, answer, close, rate, reopen, return visit, archive."""
        rng, row = self.rng, life.row
        disp, disp_label = who["dispatcher"], who["dispatcher_label"]
        t = start + rng.randint(2, 90) * 60
        if not life.until(t):
            return self.stop_open(life, rules.HANDLING)
        reopened = life.state == rules.REOPENED
        dept = self.route(cat, place)
        if reopened:
            row["due_at"] = self.handle_due(cat, t)
        row["dispatched_at"] = t
        handlers = self.world.handlers.get(dept, []) if dept else []
        if dept is None:
            row["department_id"], row["handler_id"] = None, disp
            life.ev(t, "dispatch", rules.HANDLING, disp, disp_label,
                    payload={"department": None})  # fmt: skip
            handler, handler_label = disp, disp_label
        else:
            row["department_id"], row["handler_id"] = dept, None
            life.ev(t, "dispatch", rules.DISPATCHED, disp, disp_label,
                    payload={"department": dept})  # fmt: skip
            # 4%: "not ours" — returned with a reason and dispatched again (to the district
            # bureau, or kept by the community when no other department fits)
            if rng.random() < 0.04:
                t += rng.randint(20, 300) * 60
                if not life.until(t):
                    return self.stop_open(life, rules.DISPATCHED)
                row["department_id"], row["handler_id"] = None, None
                life.ev(t, "return", rules.RETURNED, rng.choice(handlers) if handlers else None,
                        "", note="不属于本部门职责，请重新派单")  # fmt: skip
                t += rng.randint(10, 240) * 60
                if not life.until(t):
                    return self.stop_open(life, rules.RETURNED)
                other = [d for d in self.world.handlers if d != dept]
                dept = rng.choice(other) if other and rng.random() < 0.7 else None
                handlers = self.world.handlers.get(dept, []) if dept else []
                row["dispatched_at"] = t
                if dept is None:
                    row["department_id"], row["handler_id"] = None, disp
                    life.ev(t, "dispatch", rules.HANDLING, disp, disp_label,
                            payload={"department": None})  # fmt: skip
                    handler, handler_label = disp, disp_label
                else:
                    row["department_id"] = dept
                    life.ev(t, "dispatch", rules.DISPATCHED, disp, disp_label,
                            payload={"department": dept})  # fmt: skip
            if dept is not None:
                t += max(300, int((row["due_at"] - t) * rng.uniform(0.01, 0.15)))
                life.missed(row["due_at"], t if t <= self.now else None)
                if not life.until(t):
                    return self.stop_open(life, rules.DISPATCHED)
                handler = rng.choice(handlers) if handlers else None
                handler_label = "" if handler else "部门经办人"
                row["handler_id"] = handler
                life.ev(t, "claim", rules.HANDLING, handler, handler_label)
        if self.full_events and rng.random() < 0.5:
            p = t + rng.randint(30, 600) * 60
            if p < row["due_at"] and life.until(p):
                life.ev(
                    p, "progress", None, handler, handler_label, note="已到现场查看，正在协调处理"
                )
                t = p
            elif life.stopped:
                return self.stop_open(life, life.state)
        # supervision (督办) by the street or the district, on some open demands
        if rng.random() < (0.06 if self.scale == "demo" else 0.02):
            s = t + rng.randint(60, 1440) * 60
            if life.until(s):
                by_district = rng.random() < 0.3
                org = self.world.root_id if by_district else place.street_id
                actor = who["district"] if by_district else who["street"]
                row["supervised"] = True
                self.rows[Supervision].append(
                    {"id": self.new(Supervision), "demand_id": row["id"], "org_id": org,
                     "by_id": actor, "note": "请加快办理，按时答复群众", "due_at": row["due_at"],
                     "lifted_at": None, "created_at": s, "updated_at": s}
                )  # fmt: skip
                life.ev(s, "supervise", None, actor, "" if actor else "督办人",
                        note="请加快办理，按时答复群众")  # fmt: skip
                self.bump("supervisions")
                t = max(t, s)
            else:
                return self.stop_open(life, life.state)
        # extension requested and approved one level up, before the due time
        if dept is not None and rng.random() < 0.03 and cat.limit.unit == rules.WORKING_DAYS:
            r = t + rng.randint(30, 300) * 60
            if r < row["due_at"] and life.until(r):
                old = row["due_at"]
                new = self.clock.due_days(old, 3)
                d = r + rng.randint(30, 240) * 60
                decided = d <= self.now
                self.rows[ExtensionRequest].append(
                    {"id": self.new(ExtensionRequest), "demand_id": row["id"],
                     "requested_by_id": handler, "limit_value": 3,
                     "limit_unit": rules.WORKING_DAYS, "reason": "需协调多个部门，申请延期",
                     "decision": "approved" if decided else "pending",
                     "decided_by_id": who["street"] if decided else None,
                     "decided_at": d if decided else None,
                     "old_due_at": old if decided else None, "new_due_at": new if decided else None,
                     "created_at": r, "updated_at": d if decided else r}
                )  # fmt: skip
                life.ev(r, "request_extension", None, handler, handler_label,
                        note="需协调多个部门，申请延期", payload={"value": 3})  # fmt: skip
                self.bump("extensions")
                if not decided:
                    life.stopped = True
                    return self.stop_open(life, life.state)
                row["due_at"] = new
                street_label = "" if who["street"] else who["street_label"]
                life.ev(d, "decide_extension", None, who["street"], street_label,
                        payload={"approve": True})  # fmt: skip
                t = d
            elif life.stopped:
                return self.stop_open(life, life.state)
        # escalation (吹哨): the community escalates, the street summons departments
        escalated = rng.random() < (0.06 if self.scale == "demo" else 0.015)
        if escalated:
            e = t + rng.randint(60, 1440) * 60
            if not life.until(e):
                return self.stop_open(life, life.state)
            if life.state == rules.HANDLING or life.state == rules.DISPATCHED:
                self.escalate(life, place, e, who)
                t = max(ev[0] for ev in life.events)
                if life.stopped:
                    return self.stop_open(life, rules.ESCALATED)
        # the answer: mostly in time
        due = row["due_at"]
        if rng.random() < 0.93:
            a = t + int(max(60, (due - t)) * rng.uniform(0.05, 0.95))
        else:
            a = max(due, t) + rng.randint(30, 7 * 1440) * 60
        a = max(a, t + 60)
        life.missed(due, a if a <= self.now else None)
        if not life.until(a):
            return self.stop_open(life, life.state)
        answer = rng.choice(ANSWERS)
        row["answered_at"], row["answer"] = a, answer
        row["handling_minutes"] = self.clock.minutes_between(row["accepted_at"], a)
        if life.state == rules.ESCALATED:
            actor, alabel = who["street"], "" if who["street"] else who["street_label"]
        else:
            actor, alabel = handler, handler_label
        life.ev(a, "answer", rules.ANSWERED, actor, alabel, note=answer,
                payload={"on_time": a <= due})  # fmt: skip
        # close (核查结案)
        c = a + rng.randint(30, 2 * 1440) * 60
        if not life.until(c):
            return
        row["closed_at"] = c
        row["visit_due_at"] = self.clock.due_days(c, self.limits.visit_days)
        life.ev(c, "close", rules.CLOSED, disp, disp_label)
        self.after_close(life, cat, place, c, who)

    def escalate(self, life: Life, place: Place, e: int, who: dict) -> None:
        rng, row = self.rng, life.row
        disp, disp_label = who["dispatcher"], who["dispatcher_label"]
        street = self.world.street_org[place.street_id]
        esc = self.new(Escalation)
        reason = "涉及多个部门职责，社区无法单独解决，提请街道吹哨"
        self.rows[Escalation].append(
            {"id": esc, "demand_id": row["id"], "from_org_id": place.id, "to_org_id": street.pk,
             "by_id": disp, "reason": reason, "created_at": e, "updated_at": e}
        )  # fmt: skip
        row["escalated"] = True
        life.ev(e, "escalate", rules.ESCALATED, disp, disp_label, note=reason)
        self.bump("escalations")
        s = e + rng.randint(30, 600) * 60
        if not life.until(s):
            return
        depts = rng.sample(sorted(self.world.handlers), k=min(len(self.world.handlers), 2))
        street_actor = who["street"]
        summons_due = self.clock.due_days(s, 2)
        ids = []
        for dept in depts:
            sid = self.new(Summons)
            ids.append(sid)
            ans = s + rng.randint(60, 2 * 1440) * 60
            done = ans <= self.now
            handler = rng.choice(self.world.handlers[dept]) if done else None
            self.rows[Summons].append(
                {"id": sid, "escalation_id": esc, "department_id": dept,
                 "state": "answered" if done else "summoned", "due_at": summons_due,
                 "answer": "已派员到场，配合街道处置" if done else "", "answered_by_id": handler,
                 "answered_at": ans if done else None, "created_at": s,
                 "updated_at": ans if done else s}
            )  # fmt: skip
            self.bump("summonses")
        life.ev(s, "summon", None, street_actor, "" if street_actor else who["street_label"],
                payload={"summonses": ids, "departments": depts})  # fmt: skip
        for row_ in self.rows[Summons][-len(depts) :]:
            if row_["state"] == "answered":
                life.ev(row_["answered_at"], "answer_summons", None, row_["answered_by_id"], "",
                        note=row_["answer"], payload={"summons": row_["id"]})  # fmt: skip
        if any(r["state"] != "answered" for r in self.rows[Summons][-len(depts) :]):
            life.stopped = True

    def after_close(self, life: Life, cat: Cat, place: Place, c: int, who: dict) -> None:
        """Closed: the resident may rate (and, unsatisfied, reopen once), the community pays
        the return visit (recording a rating heard on the phone), then archives."""
        rng, row = self.rng, life.row
        disp, disp_label = who["dispatcher"], who["dispatcher_label"]
        due = row["visit_due_at"]
        visit = None
        if rng.random() < 0.96:  # mostly within the return-visit time
            if rng.random() < 0.96:
                visit = c + int(max(600, due - c) * rng.uniform(0.05, 0.95))
            else:
                visit = due + rng.randint(60, 5 * 1440) * 60
        rate = c + rng.randint(60, 3 * 1440) * 60 if rng.random() < 0.7 else None
        t = c
        if rate is not None and (visit is None or rate < visit):
            if not life.until(rate):
                return self.visit_clock(life)
            rating = _pick(rng, (("satisfied", 74), ("basically", 18), ("unsatisfied", 8)))
            row["rating"], row["rated_at"] = rating, rate
            row["rating_comment"] = RATING_COMMENTS[rating] if rng.random() < 0.4 else ""
            life.ev(rate, "rate", rules.RATED, None, "resident", payload={"rating": rating})
            t = rate
            if (
                rating == "unsatisfied"
                and row["reopen_count"] < rules.MAX_REOPENS
                and (rng.random() < 0.5)
            ):
                o = rate + rng.randint(10, 600) * 60
                if visit is not None and visit < o:
                    visit = None  # reopened before the visit: no visit this round
                if visit is None or o < visit:
                    life.missed(due, o if o <= self.now else None)
                    if not life.until(o):
                        return
                    row["reopen_count"] += 1
                    for k in ("rating", "rating_comment", "answer"):
                        row[k] = ""
                    for k in ("rated_at", "answered_at", "closed_at", "visit_due_at",
                              "handling_minutes"):  # fmt: skip
                        row[k] = None
                    row["due_at"] = self.handle_due(cat, o)
                    life.late_flagged = row["overdue"]
                    life.ev(o, "reopen", rules.REOPENED, None, "resident", note="问题没有解决")
                    self.bump("reopened")
                    return self.handle(life, cat, place, o, who)
        if visit is None:
            life.missed(due, None)
            if life.state == rules.CLOSED:
                return
        else:
            life.missed(due, visit if visit <= self.now else None)
            if not life.until(visit):
                return
            payload = {}
            if not row["rating"] and rng.random() < 0.6:  # the rating heard on the phone
                rating = _pick(rng, (("satisfied", 78), ("basically", 18), ("unsatisfied", 4)))
                row["rating"], row["rated_at"] = rating, visit
                payload["rating"] = rating
            life.ev(visit, "return_visit", rules.VISITED, disp, disp_label,
                    note="电话回访，群众认可", payload=payload)  # fmt: skip
            t = visit
        z = t + rng.randint(20, 40) * 86400
        if life.until(z):
            life.ev(z, "archive", rules.ARCHIVED, disp, disp_label)

    def visit_clock(self, life: Life) -> None:
        life.missed(life.row["visit_due_at"], None)

    def stop_open(self, life: Life, _state: str) -> None:
        """The walk stopped at now inside the handling clock: flag a passed due time."""
        row = life.row
        if life.state in rules.HANDLING_CLOCK_STATES:
            life.missed(row["due_at"], None)

    # --- buffers ---------------------------------------------------------------------------
    def take(self) -> dict:
        batch = self.rows
        self.rows = {m: [] for m in self.next}
        return batch

    def write(self, batch: dict) -> None:
        started = perf_counter()
        for model in (Demand, DemandEvent, Escalation, Summons, Supervision, ExtensionRequest):
            rows = batch[model]
            if not rows:
                continue
            if self.copy:
                _COPY[model](rows)
            else:
                _BULK[model](rows)
            self.written[model] += len(rows)
        self.write_seconds += perf_counter() - started


def _ends(events: list[tuple]) -> list[tuple]:
    """The first event and the one that made the current state (at scale)."""
    last = next((e for e in reversed(events) if e[2] != e[3] and e[1] != "overdue"), events[-1])
    return [events[0], last] if last is not events[0] else [events[0]]


def _pick(rng, pairs) -> str:
    total = sum(w for _v, w in pairs)
    x = rng.random() * total
    for value, weight in pairs:
        x -= weight
        if x < 0:
            return value
    return pairs[-1][0]


def _next_id(model) -> int:
    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
