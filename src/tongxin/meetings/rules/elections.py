"""Election checks — 《中国共产党基层组织选举工作条例》(2020), DOMAIN.md §3.6.

* **Candidates (差额).** DOMAIN.md: candidates exceed seats by at least 20%; party practice
  reads "候选人数应多于应选人数的20%" / "差额不少于应选人数的20%" as: the surplus
  (candidates − seats) is at least 20% of the seats, and a fractional minimum is rounded UP
  (进一法) — a person cannot be 0.6 of a candidate. So the minimum is
  ``seats + ceil(seats × 20%)``: 3 seats → 4, 5 → 6, 7 → 9, 10 → 12. At exactly 20% (5
  seats, 6 candidates) the rule is met (不少于 includes the number). The percentage is a
  parameter. The surplus applies to contested (差额) elections of committee members; pass
  ``contested=False`` for an uncontested vote (e.g. the secretary elected 等额 by the
  committee) and the check is skipped.
* **Validity.** The election is valid when those entitled to vote who are present are MORE
  than four fifths of those entitled (超过应到会人数的五分之四; exclusive): of 10 entitled, 8
  is not enough and 9 is; of 12 (4/5 = 9.6), 10.
* **Elected.** A person is elected with yes votes MORE than half of those present with the
  right to vote (超过实到会有选举权人数的一半 — of those PRESENT, unlike the admission vote
  which counts those who should attend). When more people pass than there are seats, the
  most votes win; a tie across the last seat leaves those tied undecided (``tied``: vote
  again among them). Seats left unfilled are reported (``shortfall``: 另行选举).
* Who is entitled (full members; not probationary members, not members under 留党察看 —
  第五条; not floating members from elsewhere — DOMAIN.md §4.5) is the caller's job: these
  functions do the arithmetic only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from . import common as c
from .common import RuleError, Violation, violation

SURPLUS_PERCENT = 20  # DOMAIN.md §3.6 (configurable for safety; the rule says 20%)

MSG = {
    "seats": _("The number of seats must be at least 1."),
    "percent": _("The candidate surplus must be a percentage from 0 to 100."),
    "negative": _("Election figures cannot be negative."),
    "nobody": _("Nobody is entitled to vote."),
    "present": _("%(present)s present is more than the %(entitled)s entitled to vote."),
    "votes_one": _("%(name)s has %(votes)s votes but only %(present)s voted."),
    "votes_total": _(
        "%(total)s votes in all, more than %(present)s ballots of at most %(seats)s names each."
    ),
    "duplicate": _("%(name)s is listed twice as a candidate."),
    "surplus": _("Too few candidates: %(arithmetic)s."),
    "quorum": _("The election is not valid: %(arithmetic)s."),
    # arithmetic
    "surplus_met": _(
        "%(candidates)s candidates for %(seats)s seats; at least %(minimum)s needed "
        "(seats plus %(percent)s%%, rounded up): met"
    ),
    "surplus_not_met": _(
        "%(candidates)s candidates for %(seats)s seats; at least %(minimum)s needed "
        "(seats plus %(percent)s%%, rounded up): not met"
    ),
    "quorum_met": _(
        "%(present)s present of %(entitled)s entitled to vote, more than four fifths "
        "(%(fifths)s): valid"
    ),
    "quorum_not_met": _(
        "%(present)s present of %(entitled)s entitled to vote, not more than four fifths "
        "(%(fifths)s): not valid"
    ),
    "elected": _(
        "%(name)s: %(votes)s votes, more than half (%(half)s) of the %(present)s present: elected"
    ),
    "not_half": _(
        "%(name)s: %(votes)s votes, not more than half (%(half)s) of the %(present)s "
        "present: not elected"
    ),
    "outranked": _(
        "%(name)s: %(votes)s votes, more than half, but the seats went to more votes: not elected"
    ),
    "tied": _("%(name)s: %(votes)s votes, tied for the last seat: vote again"),
    "shortfall": _("Seats not filled: %(count)s; hold a further election for them"),
}


def exact(value: Fraction) -> str:
    """A fraction with a terminating decimal expansion as plain text: 9.6, 4.5, 10."""
    d = Decimal(value.numerator) / Decimal(value.denominator)
    return format(d.normalize(), "f")


def min_candidates(seats: int, surplus_percent: int = SURPLUS_PERCENT) -> int:
    """seats + ceil(seats × surplus_percent / 100), in integers (no float rounding)."""
    if not isinstance(seats, int) or seats < 1:
        raise RuleError("election_seats", MSG["seats"])
    if not 0 <= surplus_percent <= 100:
        raise RuleError("election_percent", MSG["percent"])
    return seats + -(-seats * surplus_percent // 100)


def election_valid(entitled: int, present: int) -> bool:
    """present > 4/5 × entitled, in integers: 5 × present > 4 × entitled."""
    return entitled > 0 and present * 5 > entitled * 4


def is_elected(votes: int, present: int) -> bool:
    """votes > present / 2, in integers: 2 × votes > present."""
    return present > 0 and votes * 2 > present


@dataclass(frozen=True)
class ElectionResult:
    seats: int
    candidates: int
    minimum: int
    contested: bool
    surplus_percent: int
    entitled: int
    present: int
    votes: tuple[tuple[str, int], ...]  # most votes first
    elected: tuple[str, ...]
    tied: tuple[str, ...]
    violations: tuple[Violation, ...] = ()

    @property
    def surplus_met(self) -> bool:
        return not self.contested or self.candidates >= self.minimum

    @property
    def valid(self) -> bool:
        return election_valid(self.entitled, self.present)

    @property
    def shortfall(self) -> int:
        """Seats neither filled nor waiting for a tie-break."""
        if not self.valid or any(v.rule == "election_figures" for v in self.violations):
            return 0
        return max(self.seats - len(self.elected) - len(self.tied), 0)

    def __str__(self) -> str:
        return self.arithmetic

    @property
    def surplus_text(self) -> str:
        key = "surplus_met" if self.surplus_met else "surplus_not_met"
        return str(MSG[key]) % {
            "candidates": self.candidates,
            "seats": self.seats,
            "minimum": self.minimum,
            "percent": self.surplus_percent,
        }

    @property
    def quorum_text(self) -> str:
        key = "quorum_met" if self.valid else "quorum_not_met"
        return str(MSG[key]) % {
            "present": self.present,
            "entitled": self.entitled,
            "fifths": exact(Fraction(self.entitled * 4, 5)),
        }

    def _lines(self) -> list[str]:
        lines = [self.surplus_text] if self.contested else []
        lines.append(self.quorum_text)
        if not self.valid:
            return lines
        half = exact(Fraction(self.present, 2))
        for name, votes in self.votes:
            if name in self.elected:
                key = "elected"
            elif name in self.tied:
                key = "tied"
            elif is_elected(votes, self.present):
                key = "outranked"
            else:
                key = "not_half"
            lines.append(
                str(MSG[key])
                % {"name": name, "votes": votes, "half": half, "present": self.present}
            )
        if self.shortfall:
            lines.append(str(MSG["shortfall"]) % {"count": self.shortfall})
        return lines

    @property
    def arithmetic(self) -> str:
        """The computation in plain words, in the active language."""
        figures = [v for v in self.violations if v.rule == "election_figures"]
        if figures:
            return "; ".join(v.text for v in figures)
        return "; ".join(self._lines())


def _figure_errors(
    seats: int, candidates: Sequence[str], entitled: int, present: int, votes: Mapping[str, int]
) -> list[Violation]:
    art = c.ART_ELECTION_QUORUM
    if min(entitled, present, *votes.values(), 0) < 0 or seats < 1:
        return [violation("election_figures", art, MSG["negative"])]
    v = []
    if entitled == 0:
        v.append(violation("election_figures", art, MSG["nobody"]))
    if present > entitled:
        v.append(
            violation("election_figures", art, MSG["present"], present=present, entitled=entitled)
        )
    seen = set()
    for name in candidates:
        if name in seen:
            v.append(violation("election_figures", c.ART_CANDIDATES, MSG["duplicate"], name=name))
        seen.add(name)
    for name, n in votes.items():
        if n > present:
            v.append(
                violation(
                    "election_figures",
                    c.ART_ELECTED,
                    MSG["votes_one"],
                    name=name,
                    votes=n,
                    present=present,
                )
            )
    total = sum(votes.values())
    if total > present * seats:
        v.append(
            violation(
                "election_figures",
                c.ART_ELECTED,
                MSG["votes_total"],
                total=total,
                present=present,
                seats=seats,
            )
        )
    return v


def election_result(
    *,
    seats: int,
    candidates: Sequence[str],
    entitled: int,
    present: int,
    votes: Mapping[str, int],
    contested: bool = True,
    surplus_percent: int = SURPLUS_PERCENT,
) -> ElectionResult:
    """Check an election and find who is elected.

    ``candidates``: the names on the ballot; ``votes``: yes votes per person (names not on
    the ballot are write-ins, 另选他人, and can be elected too); ``entitled``: those entitled
    to vote who should attend; ``present``: those entitled to vote who are present.
    Impossible figures → ``election_figures`` violations and nobody elected; too few
    candidates → ``candidate_surplus``; not more than 4/5 present → ``election_quorum``
    and nobody elected."""
    if not isinstance(seats, int) or seats < 1:
        raise RuleError("election_seats", MSG["seats"])
    minimum = min_candidates(seats, surplus_percent)
    ranked = tuple(sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])))
    violations = _figure_errors(seats, candidates, entitled, present, votes)

    def result(
        elected: tuple[str, ...] = (), tied: tuple[str, ...] = (), extra: list | None = None
    ) -> ElectionResult:
        return ElectionResult(
            seats,
            len(candidates),
            minimum,
            contested,
            surplus_percent,
            entitled,
            present,
            ranked,
            elected,
            tied,
            tuple(violations + (extra or [])),
        )

    if violations:
        return result()
    extra: list[Violation] = []
    probe = result()
    if not probe.surplus_met:
        extra.append(
            violation(
                "candidate_surplus", c.ART_CANDIDATES, MSG["surplus"], arithmetic=probe.surplus_text
            )
        )
    if not probe.valid:
        extra.append(
            violation(
                "election_quorum",
                c.ART_ELECTION_QUORUM,
                MSG["quorum"],
                arithmetic=probe.quorum_text,
            )
        )
        return result(extra=extra)
    passing = [(name, n) for name, n in ranked if is_elected(n, present)]
    if len(passing) <= seats:
        return result(tuple(name for name, _n in passing), (), extra)
    cutoff = passing[seats - 1][1]
    above = tuple(name for name, n in passing if n > cutoff)
    at_cutoff = tuple(name for name, n in passing if n == cutoff)
    if len(above) + len(at_cutoff) <= seats:
        return result(above + at_cutoff, (), extra)
    return result(above, at_cutoff, extra)
