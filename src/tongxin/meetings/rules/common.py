"""Shared pieces of the meeting rules: the violation type and the citations.

Citations — what was checked and what was not (checked against public copies of the texts):

* 《中国共产党支部工作条例（试行）》(2018): 第十一条 (党员大会 一般每季度召开1次), 第十二条
  (支委会会议 一般每月召开1次; 半数以上委员到会), 第十三条 (党小组会 一般每月召开1次): full
  text seen. 第十七条 (每年至少召开1次组织生活会, 一般安排在第四季度): quoted with its number
  by a secondary page. The articles on 主题党日, 民主评议党员 and 谈心谈话 were NOT verified:
  DOMAIN.md §7 is cited for them.
* 《中国共产党基层组织选举工作条例》(2020): 第三条 (任期届满按期换届; 延长或者提前一般不超过
  1年) and 第五条 (正式党员有选举权; 预备党员 and 留党察看 do not): full text seen. The
  articles on the candidate surplus (20%), the 4/5 attendance and the more-than-half rule
  were NOT verified: DOMAIN.md §3.6 is cited for them. Do not fill numbers in unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_ZB = "《中国共产党支部工作条例（试行）》"
_XJ = "《中国共产党基层组织选举工作条例》"

ART_GENERAL_MEETING = _ZB + "第十一条"  # verified
ART_COMMITTEE_MEETING = _ZB + "第十二条"  # verified
ART_GROUP_MEETING = _ZB + "第十三条"  # verified
ART_LIFE_MEETING = _ZB + "第十七条"  # verified (secondary page quoting the number)
ART_PARTY_LECTURE = "practice (DOMAIN.md §7)"  # not a national rule
ART_THEME_DAY = _ZB + " / DOMAIN.md §7"  # article number not verified
ART_APPRAISAL = "DOMAIN.md §7"  # article number not verified
ART_HEART_TALK = "DOMAIN.md §7"  # article number not verified
ART_STUDY = "DOMAIN.md §7 / issue 5 (configurable)"
ART_ATTENDANCE = "DOMAIN.md §7"
ART_SIGNIN = "issue 5 (sign-in window)"
ART_TERM_END = "DOMAIN.md §3.5 (中办 2018 opinion on grassroots terms)"
ART_TERM_EXTENSION = _XJ + "第三条"  # verified
ART_VOTING_RIGHTS = _XJ + "第五条"  # verified
ART_CANDIDATES = _XJ + " / DOMAIN.md §3.6"  # article number not verified
ART_ELECTION_QUORUM = _XJ + " / DOMAIN.md §3.6"  # article number not verified
ART_ELECTED = _XJ + " / DOMAIN.md §3.6"  # article number not verified
ART_LAPSE = "《中国共产党章程》第九条 (DOMAIN.md §4.2)"
ART_RATING = "issue 5 §6 (configurable indicators and weights)"


@dataclass(frozen=True)
class Violation:
    """A broken rule. ``message`` is a lazy msgid; render with :attr:`text`.

    Same shape as ``tongxin.development.rules.Violation`` (rule, article, message, params)."""

    rule: str
    article: str
    message: Any
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(self.message) % dict(self.params) if self.params else str(self.message)

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "article": self.article, "message": self.text}


def violation(rule: str, article: str, message: Any, **params: Any) -> Violation:
    return Violation(rule, article, message, params)


class RuleError(ValueError):
    """Bad input to a rule (a programming or configuration error, or bad user input that
    the caller turns into a form error): carries a lazy message and its parameters."""

    def __init__(self, code: str, message: Any, /, **params: Any) -> None:
        self.code = code
        self.message = message
        self.params = params
        super().__init__(code)

    @property
    def text(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)

    def __str__(self) -> str:
        return self.text
