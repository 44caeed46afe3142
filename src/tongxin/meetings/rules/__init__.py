"""Pure rules of organisational life (DOMAIN.md §3.5–3.6, §7; issue 5) — no ORM, no I/O.

One module per area; import the module you need
(``from tongxin.meetings.rules import compliance; compliance.meeting_compliance_for_branch(...)``):

* ``common``      — :class:`Violation` and the citations used below.
* ``periods``     — "2026", "2026-Q3", "2026-07": parsing, start/end, sub-periods.
* ``kinds``       — the meeting kinds with their default frequencies and sources.
* ``compliance``  — due vs held/approved per kind for one branch and one period,
                    attendance rates.
* ``signin``      — the sign-in window.
* ``elections``   — candidate surplus, validity (>4/5), elected (>1/2 of those present).
* ``terms``       — term end, reminder, overdue, extension.
* ``rating``      — branch vitality: weighted indicators → score and 1–5 stars.
* ``lapse_feed``  — a member's months without organisational life, for the six-month
                    lapse rule of ``tongxin.members.rules.lapse``.
"""
