"""Demo and benchmark members for `tongxin seed` (issue 3 item 10).

Members for every branch of the seeded tree, with their dues ledger for the twelve months
before `REFERENCE_DATE`, dues bases, transfers at every state with their timelines,
floating members (some hosted inside the tree), care cases and visits, lost-contact and
abroad flags, and lapse cases (six or more consecutive months unpaid).

Sizes: demo ≈ 350 members (the showcase branch — the demo branch secretary's — gets 25,
including 郑志强 and 王晓东, whose accounts are linked to their records); district ≈ 60,000;
city ≈ 600,000 (≈ 7 million dues rows).

Everything is drawn from `rng` and `REFERENCE_DATE`, never the clock, in a fixed order, so
the same seed gives the same people (names, ID numbers, dates, amounts). Only the
ciphertexts differ between runs (random nonces).

Writing: rows are generated branch by branch and flushed in chunks (memory stays bounded).
On PostgreSQL they go through `COPY … FROM STDIN`; the foreign keys and secondary indexes
of the two big tables (members, dues records) are dropped for the load and re-created after
it, in the same transaction — one validating join and one index build instead of millions
of deferred trigger checks and index insertions. Elsewhere (SQLite: tests, small demos)
`bulk_create`. Encrypted columns are encrypted by `core.crypto.encrypt` on the COPY path
and by the field itself with `bulk_create`. Ids are allocated up front and the sequences
reset afterwards (as the orgs seeder does).
"""

import json
import queue
import random
import threading
from bisect import bisect
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from time import perf_counter

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from tongxin.core import crypto
from tongxin.core.codes import id_check_char
from tongxin.core.pinyin import search_key
from tongxin.members.models import (
    CareCase,
    CareVisit,
    DuesBase,
    DuesRecord,
    FloatingRecord,
    HostAttendance,
    Member,
    StatusChange,
    Transfer,
    TransferEvent,
)
from tongxin.members.rules import dues as dues_rules
from tongxin.members.rules import transfers as transfer_rules
from tongxin.members.rules.registry import add_years
from tongxin.members.services.registry import refresh_org_counts
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org, Unit
from tongxin.orgs.seed import REFERENCE_DATE

# members in all branches, by scale (demo: a few per branch, more in the showcase)
TARGET = {"demo": None, "district": 60_000, "city": 600_000}
SHOWCASE_MEMBERS = 26  # one of them moves to another branch (a received transfer)
LEDGER_MONTHS = 12
FIRST_MONTH = dues_rules.add_months(REFERENCE_DATE.replace(day=1), -LEDGER_MONTHS)
MONTHS = [dues_rules.add_months(FIRST_MONTH, i) for i in range(LEDGER_MONTHS)]
LAST_MONTH = MONTHS[-1]
# payment days of each month, as COPY text: paid within the month it is due
DAYS = {m: [m.replace(day=d).isoformat() for d in range(1, 29)] for m in MONTHS}
MONTH_TEXT = [(m, m.isoformat()) for m in MONTHS]
CHUNK_ROWS = 60_000  # dues rows buffered before a flush
BULK_BATCH = 2_000
LETTER_DAYS = 90

# shares of members (per member draw)
P_PROBATIONARY = 0.05
P_SCATTERED = 0.03  # a few unpaid months here and there
P_LAPSE = 0.005  # six or more consecutive unpaid months up to the last ended month
P_LOST_6M = 0.003
P_LOST_2Y = 0.001
P_ABROAD = 0.002
P_FLOATING = 0.01
P_TRANSFER = 0.004
P_CARE = 0.006
P_PAY_CHANGE = 0.03

# --- name and attribute pools ------------------------------------------------------------

SURNAMES = (
    ("林", 9), ("陈", 9), ("黄", 6), ("郑", 5), ("王", 4), ("张", 4), ("李", 4), ("刘", 3),
    ("吴", 3), ("杨", 2), ("何", 2), ("翁", 2), ("邱", 2), ("游", 2), ("詹", 1), ("卓", 1),
    ("谢", 2), ("魏", 1), ("江", 1), ("高", 2), ("叶", 2), ("潘", 1), ("蔡", 2), ("方", 1),
    ("许", 2), ("周", 2), ("徐", 2), ("朱", 1), ("胡", 1), ("郭", 2), ("罗", 1), ("宋", 1),
    ("肖", 1), ("曾", 1), ("余", 1), ("施", 1), ("薛", 1), ("严", 1), ("池", 1), ("官", 1),
    ("连", 1), ("俞", 1), ("阮", 1), ("龚", 1), ("丁", 1), ("傅", 1), ("钟", 1), ("卢", 1),
    ("柯", 1), ("雷", 1), ("蓝", 1), ("欧阳", 1),
)  # fmt: skip
MALE_FIRST = "建国志明文永德海春金世家俊子宇浩晓立学振光庆克荣天思承伟"
MALE_SECOND = "华强平东生明辉军杰斌涛峰龙林良成勇刚新民清忠宁鹏磊超波涵轩"
FEMALE_FIRST = "秀美丽玉春雪桂惠晓佳雨思淑金小凤婷欣梦诗"
FEMALE_SECOND = "英玲萍芳兰珍梅燕霞琴红娟华婷怡静敏云琳洁瑶颖"
ETHNICITIES = (("汉族", 955), ("畲族", 15), ("回族", 12), ("满族", 8), ("壮族", 4),
               ("苗族", 3), ("土家族", 2), ("蒙古族", 1))  # fmt: skip
REGIONS = ("350102", "350103", "350104", "350105", "350111")
ROADS = (
    "五四路", "八一七北路", "东街", "杨桥中路", "湖东路", "华林路", "西二环中路", "铜盘路",
    "乌山路", "白马北路", "古田路", "温泉支路", "五一北路", "北环中路", "福飞路", "工业路",
    "梦山路", "通湖路", "南后街", "津泰路", "鼓屏路", "湖滨路", "西洪路", "屏西路",
)  # fmt: skip
ESTATES = ("小区", "新村", "花园", "公寓", "大院", "苑")
EMPLOYERS = (
    "福州市鼓楼区人民医院", "福建省立医院", "福州大学", "福建师范大学", "国网福州供电公司",
    "福州市第一中学", "中国移动福州分公司", "福建省建筑设计研究院", "福州地铁集团",
    "兴业银行福州分行", "福州市自来水有限公司", "福建日报社", "鼓楼区市场监督管理局",
)  # fmt: skip
SCHOOLS = ("福州大学", "福建师范大学", "福建医科大学", "福建农林大学", "闽江学院")
DESTINATIONS = (
    "广东省深圳市南山区", "上海市浦东新区", "浙江省杭州市滨江区", "江苏省苏州市工业园区",
    "福建省厦门市思明区", "广东省广州市天河区", "北京市海淀区", "福建省泉州市丰泽区",
    "四川省成都市高新区", "湖北省武汉市洪山区",
)  # fmt: skip
OUTSIDE_ORGS = (
    "中共福州市台江区委组织部", "中共福州市仓山区委组织部", "中共厦门市思明区委组织部",
    "中共泉州市丰泽区委组织部", "中共深圳市南山区委组织部", "中共上海市浦东新区委组织部",
    "中共杭州市滨江区委组织部", "中共莆田市城厢区委组织部",
)  # fmt: skip
TRANSFER_REASONS = ("工作调动", "居住地变更", "毕业离校", "随迁", "单位变更")
FLOATING_REASONS = ("外出务工", "外出经商", "外出求学", "随子女居住", "外派工作")
CARE_DETAILS = {
    "illness": ("患慢性病，需长期服药", "术后康复中", "重病住院治疗"),
    "disability": ("行动不便，需轮椅出行", "视力残疾"),
    "poverty": ("家庭收入低，子女上学负担重", "失业后生活困难"),
    "elderly_alone": ("独居，子女在外地", "高龄独居，需定期看望"),
    "disaster": ("家中遭遇火灾", "交通事故受伤"),
    "other": ("家庭变故", "照顾重病家属"),
}
CARE_HELP = ("送慰问金及生活用品", "协助申请临时救助", "联系社区医生上门", "帮助联系就业岗位")
VISIT_NOTES = ("身体状况良好，感谢组织关心", "了解生活困难，登记需求", "转达节日问候")
POSTS = ("书记", "组织委员", "宣传委员", "纪检委员")
HOST_ACTIVITIES = ("主题党日", "支部党员大会", "党课学习", "志愿服务")
MOBILE_PREFIXES = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159",
                   "177", "180", "181", "186", "187", "189", "199")  # fmt: skip
METHODS = (("wechat", 50), ("cash", 20), ("alipay", 15), ("bank", 15))

# (kind, final state) of transfers, cycled so that every state appears early
TRANSFER_CASES = (
    ("within", "requested"),
    ("outward", "approved"),
    ("within", "received"),
    ("inward", "received"),
    ("outward", "received"),
    ("within", "returned"),
    ("within", "withdrawn"),
    ("outward", "expired"),
    ("within", "rejected"),
    ("within", "approved"),
    ("outward", "requested"),
    ("outward", "withdrawn"),
    ("inward", "received"),
    ("outward", "returned"),
    ("within", "received"),
)
# the actions leading to each final state (the first event is the request)
TRANSFER_PATHS = {
    "requested": ("request",),
    "approved": ("request", "approve"),
    "received": ("request", "approve", "receive"),
    "returned": ("request", "approve", "return"),
    "withdrawn": ("request", "withdraw"),
    "expired": ("request", "approve", "expire"),
    "rejected": ("request", "reject"),
}
ACTION_TARGET = {
    "request": "requested",
    "approve": "approved",
    "receive": "received",
    "return": "returned",
    "withdraw": "withdrawn",
    "expire": "expired",
    "reject": "rejected",
}
ACTION_NOTES = {
    "request": "",
    "approve": "支委会审批同意，开具介绍信",
    "receive": "转入方已接收",
    "return": "介绍信抬头有误，退回重开",
    "withdraw": "党员本人申请撤回",
    "expire": "介绍信超过有效期未办理接收",
    "reject": "党费未按规定缴清，暂不同意转出",
}


YESTERDAY = REFERENCE_DATE - timedelta(days=1)


def _gross(base: Decimal) -> Decimal:
    """Gross pay shown beside an after-tax base (income tax and contributions ≈ 11 %)."""
    return (base * Decimal("1.12")).quantize(Decimal("0.01"))


def _weighted(pairs):
    values = [v for v, _ in pairs]
    cumulative = list(accumulate(w for _, w in pairs))
    return values, cumulative


def _pick(rng: random.Random, table) -> str:
    values, cumulative = table
    return values[bisect(cumulative, rng.random() * cumulative[-1])]


SURNAME_TABLE = _weighted(SURNAMES)
ETHNICITY_TABLE = _weighted(ETHNICITIES)
METHODS_DRAW = [method for method, weight in METHODS for _ in range(weight // 5)]  # 20 slots
MALE_GIVEN = [a + b for a in MALE_FIRST for b in MALE_SECOND if a != b] + list(MALE_SECOND)
FEMALE_GIVEN = [a + b for a in FEMALE_FIRST for b in FEMALE_SECOND if a != b] + list(FEMALE_SECOND)


# --- writing: COPY on PostgreSQL, bulk_create elsewhere -----------------------------------


class _Table:
    """Buffered rows of one model, as dicts of attname → clear value."""

    def __init__(self, model, *, copy: bool, stamp: datetime):
        self.model = model
        self.copy = copy
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = stamp
            elif f.primary_key:
                self.defaults[f.attname] = None
            else:  # the field's default, "" for text, None for nullable fields
                self.defaults[f.attname] = f.get_default()
        self.encrypted = {
            f.attname for f in self.fields if isinstance(f, crypto.EncryptedTextField)
        }
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.rows: list[dict] = []
        self.next_id = (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.written = 0

    def new_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def add(self, row: dict) -> dict:
        if "id" not in row:
            row["id"] = self.new_id()
        self.rows.append(row)
        return row

    def write(self, rows: list) -> None:
        if not rows:
            return
        if self.copy:
            self._copy(rows)
        else:
            self._bulk(rows)
        self.written += len(rows)

    def _copy(self, rows) -> None:
        defaults, names = self.defaults, self.names
        enc, js = self.encrypted, self.json
        table = self.model._meta.db_table
        columns = ", ".join(f'"{self.fields[i].column}"' for i in range(len(names)))
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    values = []
                    for name in names:
                        value = row.get(name, defaults[name])
                        if name in enc and value:
                            value = crypto.encrypt(value)
                        elif name in js:
                            value = json.dumps(value, ensure_ascii=False)
                        values.append(value)
                    copy.write_row(values)

    def _bulk(self, rows) -> None:
        objs = [self.model(**{**self.defaults, **row}) for row in rows]
        with _keep_timestamps(self.fields):
            self.model.objects.bulk_create(objs, batch_size=BULK_BATCH)


class _DuesTable(_Table):
    """Dues rows as positional tuples (millions of them): written as COPY text lines."""

    COLUMNS = (
        "id", "created_at", "updated_at", "member_id", "org_id", "month", "category", "base",
        "rate", "rule", "amount_due", "amount_paid", "paid_on", "method", "paid_by_proxy",
        "proxy_name", "proxy_consent", "reduction_id", "recorded_by_id",
    )  # fmt: skip

    def __init__(self, *, copy: bool, stamp: datetime):
        super().__init__(DuesRecord, copy=copy, stamp=stamp)
        # fields added to DuesRecord later get their defaults
        self.extra = [n for n in self.names if n not in self.COLUMNS]
        self.extra_text = "".join("\t" + _copy_text(self.defaults[n]) for n in self.extra)
        self.stamp_text = stamp.isoformat()

    def _copy(self, rows) -> None:
        table = self.model._meta.db_table
        by_name = {f.attname: f.column for f in self.fields}
        columns = ", ".join(f'"{by_name[c]}"' for c in (*self.COLUMNS, *self.extra))
        stamp, extra = self.stamp_text, self.extra_text
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                lines = []
                for r in rows:
                    lines.append(
                        f"{r[0]}\t{stamp}\t{stamp}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t"
                        f"{r[6]}\t{r[7]}\t{r[8]}\t{r[9]}\t{r[10]}\t{r[11]}\t{r[12]}\t"
                        f"{r[13]}\t{r[14]}\t\\N\t{r[15]}{extra}\n"
                    )
                    if len(lines) >= 5000:
                        copy.write("".join(lines))
                        lines = []
                copy.write("".join(lines))

    def _bulk(self, rows) -> None:
        objs = []
        for r in rows:
            objs.append(
                DuesRecord(
                    **{n: self.defaults[n] for n in self.extra},
                    id=r[0],
                    created_at=self.defaults["created_at"],
                    updated_at=self.defaults["updated_at"],
                    member_id=r[1],
                    org_id=r[2],
                    month=date.fromisoformat(r[3]),
                    category=r[4],
                    base=Decimal(r[5]),
                    rate=Decimal(r[6]),
                    rule=r[7],
                    amount_due=Decimal(r[8]),
                    amount_paid=None if r[9] == "\\N" else Decimal(r[9]),
                    paid_on=None if r[10] == "\\N" else date.fromisoformat(r[10]),
                    method=r[11],
                    paid_by_proxy=r[12] == "t",
                    proxy_name=r[13],
                    proxy_consent=r[14] == "t",
                    recorded_by_id=None if r[15] == "\\N" else int(r[15]),
                )
            )
        with _keep_timestamps(self.fields):
            DuesRecord.objects.bulk_create(objs, batch_size=BULK_BATCH)


def _copy_text(value) -> str:
    """A constant as COPY text (defaults of fields the dues writer does not know)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


@contextmanager
def _keep_timestamps(fields):
    """bulk_create overwrites auto_now(_add) fields with now(); the seed writes history."""
    touched = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in touched]
    for f in touched:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add


@contextmanager
def _bulk_load(tables):
    """PostgreSQL: drop the foreign keys and the secondary (non-constraint) indexes of
    `tables` for the load and put them back afterwards (same transaction)."""
    saved: list[tuple[str, str]] = []

    def check_pending(cursor):  # ALTER TABLE refuses tables with deferred checks pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    with connection.cursor() as cursor:
        check_pending(cursor)
        for model in tables:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                saved.append(("fk", f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                saved.append(("index", definition))
    yield
    with connection.cursor() as cursor:
        check_pending(cursor)
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for kind in ("index", "fk"):
            for k, statement in saved:
                if k == kind:
                    cursor.execute(statement)


def _reset_sequences(models_) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), models_)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- the people ----------------------------------------------------------------------------


@dataclass
class Branch:
    id: int
    path: str
    name: str
    sector: str
    size: int
    secretary: str
    groups: list[int]
    community_path: str
    work_unit: str
    retirees: bool


@dataclass
class Person:
    """One member being generated: the Member row plus what the ledger needs."""

    row: dict
    quote_segments: list = field(default_factory=list)  # [(from_month, category, base, quote)]
    unpaid: set = field(default_factory=set)
    no_rows_before: date | None = None  # first ledger month (admission, inward transfer)
    no_rows_after: date | None = None  # last ledger month (outward transfer received)
    org_before: tuple | None = None  # (month, org id): org responsible before that month
    proxy: str = ""


class _Seeder:
    def __init__(self, scale: str, rng: random.Random, out):
        self.scale = scale
        self.rng = rng
        self.out = out
        self.copy = connection.vendor == "postgresql"
        tz = timezone.get_current_timezone()
        self.stamp = timezone.make_aware(datetime.combine(REFERENCE_DATE, time(9)), tz)
        self.tz = tz
        stamp = self.stamp
        self.members = _Table(Member, copy=self.copy, stamp=stamp)
        self.dues = _DuesTable(copy=self.copy, stamp=stamp)
        self.bases = _Table(DuesBase, copy=self.copy, stamp=stamp)
        self.history = _Table(StatusChange, copy=self.copy, stamp=stamp)
        self.transfers = _Table(Transfer, copy=self.copy, stamp=stamp)
        self.events = _Table(TransferEvent, copy=self.copy, stamp=stamp)
        self.floating = _Table(FloatingRecord, copy=self.copy, stamp=stamp)
        self.attendance = _Table(HostAttendance, copy=self.copy, stamp=stamp)
        self.care = _Table(CareCase, copy=self.copy, stamp=stamp)
        self.visits = _Table(CareVisit, copy=self.copy, stamp=stamp)
        self.tables = [
            self.members, self.bases, self.dues, self.history, self.transfers, self.events,
            self.floating, self.attendance, self.care, self.visits,
        ]  # fmt: skip
        self.ids: set[str] = set()
        self.keys: dict[str, str] = {}
        self.quotes: dict[tuple, dues_rules.Quote] = {}
        self.amount_text: dict[dues_rules.Quote, str] = {}
        self.random = rng.random
        # a few hundred given names per gender: names repeat, as they do (and pinyin is
        # computed once per distinct name)
        self.male_given = rng.sample(MALE_GIVEN, 220)
        self.female_given = rng.sample(FEMALE_GIVEN, 160)
        self.transfer_seq = 0
        self.write_seconds = 0.0
        self.boost = 4  # demo: more floating members and transfers to look at
        self.counts = {
            "lapse_cases": 0, "scattered_unpaid": 0, "lost_contact": 0, "abroad": 0,
            "floating": 0, "care_cases": 0, "probationary": 0, "pay_changes": 0,
        }  # fmt: skip

    # --- small draws
    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=int(self.random() * ((end - start).days + 1)))

    def name(self, male: bool) -> str:
        pool = self.male_given if male else self.female_given
        return _pick(self.rng, SURNAME_TABLE) + pool[int(self.random() * len(pool))]

    def search_key(self, name: str) -> str:
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = search_key(name)
        return key

    def id_number(self, birth: date, male: bool) -> str:
        rng = self.rng
        while True:
            order = rng.randrange(0, 500) * 2 + (1 if male else 0)
            body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{order:03d}"
            if body not in self.ids:
                self.ids.add(body)
                return body + id_check_char(body)

    def phone(self) -> str:
        rng = self.rng
        prefix = rng.choice(MOBILE_PREFIXES)
        return f"{prefix}{rng.randrange(10**8):08d}"

    def address(self) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            estate = rng.choice(ROADS)[:2] + rng.choice(ESTATES)
            return (
                f"福建省福州市鼓楼区{rng.choice(ROADS)}{rng.randint(1, 399)}号{estate}"
                f"{rng.randint(1, 30)}座{rng.randint(1, 28)}{rng.randint(1, 8):02d}室"
            )
        return f"福建省福州市鼓楼区{rng.choice(ROADS)}{rng.randint(1, 399)}号"

    def quote(self, category: str, base: Decimal) -> dues_rules.Quote:
        key = (category, base)
        q = self.quotes.get(key)
        if q is None:
            q = self.quotes[key] = dues_rules.dues_for(category, base)
            self.amount_text[q] = str(q.amount)
        return q

    # --- one member
    def person(self, branch: Branch, *, name=None, male=None, old=False, probationary=None,
               young_full=False, post="", born: date | None = None,
               admitted_on: date | None = None) -> Person:  # fmt: skip
        rng = self.rng
        ref = REFERENCE_DATE
        if male is None:
            male = rng.random() < 0.68
        if probationary is None:
            probationary = rng.random() < P_PROBATIONARY
        # age: retirees' branches are old; others working age, a few students
        if old:
            age = rng.randint(80, 90)
        elif branch.retirees:
            age = rng.randint(58, 91)
        elif probationary:
            age = rng.randint(20, 45)
        elif branch.sector == "community":
            age = int(min(91, max(22, rng.gauss(55, 15))))
        else:
            age = int(min(64, max(22, rng.gauss(40, 10))))
        birth = self.day_between(
            date(ref.year - age - 1, ref.month, 2), date(ref.year - age, ref.month, 1)
        )
        birth = born or max(date(1935, 1, 1), min(birth, date(2004, 12, 31)))
        adult = add_years(birth, 18)
        # party dates (member_errors: applied ≥ 18th birthday, admitted ≥ applied,
        # full one to two years after admission)
        if probationary:
            admitted = self.day_between(ref - timedelta(days=360), ref - timedelta(days=15))
            applied = self.day_between(
                max(adult, admitted - timedelta(days=3 * 365)), admitted - timedelta(days=300)
            )
            full_on = None
        elif admitted_on is not None:  # fixed by the caller (showcase people)
            admitted = admitted_on
            applied = max(adult, admitted - timedelta(days=rng.randint(300, 900)))
            full_on = add_years(admitted, 1)
        else:
            latest = ref - timedelta(days=400 if young_full else 370)
            if old:
                latest = min(latest, date(ref.year - 51, 12, 31))
            start = adult + timedelta(days=rng.randint(0, 365 * 4))
            applied = self.day_between(
                min(start, latest - timedelta(days=400)),
                min(adult + timedelta(days=365 * 25), latest - timedelta(days=400)),
            )
            applied = max(applied, adult)
            admitted = self.day_between(
                applied + timedelta(days=300), applied + timedelta(days=3 * 365)
            )
            admitted = min(admitted, latest)
            if admitted < applied:
                admitted = applied
            extended = rng.random() < 0.03
            full_on = add_years(admitted, 1) + (
                timedelta(days=rng.randint(30, 330)) if extended else timedelta(0)
            )
            if full_on > ref:
                full_on = add_years(admitted, 1)
        if name is None:
            name = self.name(male)
        number = self.id_number(birth, male)
        phone = self.phone()
        # education and occupation by age and sector
        occupation, education, dues_category, base, work_unit = self.work(branch, age, birth)
        row = {
            "id": self.members.new_id(),
            "name": name,
            "gender": "male" if male else "female",
            "ethnicity": _pick(rng, ETHNICITY_TABLE),
            "birth_date": birth,
            "id_number": number,
            "id_digest": crypto.digest(number),
            "id_tail": number[-4:],
            "phone": phone,
            "phone_tail": phone[-4:],
            "address": self.address(),
            "education": education,
            "occupation": occupation,
            "is_high_knowledge": education in ("master", "doctor")
            or (occupation == "professional" and education == "bachelor" and rng.random() < 0.5),
            "is_migrant_worker": occupation in ("worker", "self_employed")
            and branch.sector in ("community", "non_public_enterprise", "market")
            and rng.random() < 0.3,
            "is_soe": branch.sector == "soe",
            "is_two_new": branch.sector
            in ("non_public_enterprise", "social_organisation", "park", "commercial_building"),
            "work_unit": work_unit,
            "org_id": branch.id,
            "party_group_id": rng.choice(branch.groups) if branch.groups else None,
            "category": "probationary" if probationary else "full",
            "status": "normal",
            "applied_on": applied,
            "admitted_on": admitted,
            "full_on": full_on,
            "introducers": f"{self.name(True)}、{self.name(rng.random() < 0.6)}",
            "post": post,
            "lost_contact_since": None,
            "is_abroad": False,
            "dues_category": dues_category,
            "dues_base": base,
            "user_id": None,
            "search_key": self.search_key(name),
            "created_at": self.stamp,
            "updated_at": self.stamp,
        }
        person = Person(row=row)
        first = max(FIRST_MONTH, admitted.replace(day=1))
        person.no_rows_before = first
        segments = [(first, dues_category, base)]
        if (
            base
            and dues_category not in ("farmer", "student", "unemployed", "relief")
            and rng.random() < P_PAY_CHANGE
        ):
            change = rng.choice(MONTHS[1:])
            if change > first:
                raised = (base * Decimal(rng.choice(("1.05", "1.08", "1.12", "0.90")))).quantize(
                    Decimal("0.01")
                )
                segments.append((change, dues_category, raised))
                row["dues_base"] = raised
                self.counts["pay_changes"] += 1
        person.quote_segments = [(m, c, b, self.quote(c, b)) for m, c, b in segments]
        for m, c, b, _q in person.quote_segments:
            self.bases.add({
                "member_id": row["id"], "from_month": m, "category": c, "base": b,
                "gross": _gross(b) if c in ("salaried", "annual_salary") else None,
                "note": "" if m == first else "调资",
            })  # fmt: skip
        if probationary:
            self.counts["probationary"] += 1
        return person

    def work(self, branch: Branch, age: int, birth: date):
        """(occupation, education, dues category, dues base, work unit)."""
        rng = self.rng
        sector = branch.sector
        older = birth.year < 1960
        if older:
            education = rng.choices(
                ("primary", "junior", "senior", "college", "bachelor"), (15, 30, 30, 15, 10)
            )[0]
        elif birth.year < 1980:
            education = rng.choices(
                ("junior", "senior", "college", "bachelor", "master"), (10, 25, 25, 32, 8)
            )[0]
        else:
            education = rng.choices(
                ("senior", "college", "bachelor", "master", "doctor"), (8, 17, 55, 17, 3)
            )[0]
        retire_age = 60 if rng.random() < 0.7 else 55
        if age >= retire_age or branch.retirees:
            pension = Decimal(rng.randrange(2200_00, 9800_00, 50)) / 100
            if rng.random() < 0.02:
                return "retired", education, "relief", Decimal("0.00"), ""
            return "retired", education, "retired", pension, ""
        if sector == "organ":
            occupation = "civil_servant"
        elif sector == "institution":
            occupation = rng.choices(("institution_staff", "professional"), (60, 40))[0]
        elif sector in ("soe", "non_public_enterprise", "park", "commercial_building"):
            occupation = rng.choices(("enterprise_staff", "professional", "worker"), (55, 25, 20))[
                0
            ]
        elif sector == "market":
            occupation = rng.choices(("self_employed", "worker", "enterprise_staff"), (60, 25, 15))[
                0
            ]
        elif sector == "social_organisation":
            occupation = rng.choices(("other", "professional", "enterprise_staff"), (40, 30, 30))[0]
        else:  # resident branches
            if age <= 24 and rng.random() < 0.6:
                return "student", education, "student", Decimal("0.00"), rng.choice(SCHOOLS)
            occupation = rng.choices(
                ("enterprise_staff", "worker", "professional", "self_employed", "unemployed",
                 "institution_staff", "farmer", "other"),
                (30, 15, 15, 12, 6, 12, 3, 7),
            )[0]  # fmt: skip
        work_unit = branch.work_unit or rng.choice(EMPLOYERS)
        if occupation == "unemployed":
            return occupation, education, "unemployed", Decimal("0.00"), ""
        if occupation == "farmer":
            return occupation, education, "farmer", Decimal("0.00"), ""
        if occupation == "self_employed":
            base = Decimal(rng.randrange(2000_00, 15000_00, 100)) / 100
            return occupation, education, "self_employed", base, branch.work_unit
        pay = max(2000.0, rng.lognormvariate(8.75, 0.45))
        base = Decimal(int(pay * 100)) / 100
        category = "annual_salary" if base > 15000 and rng.random() < 0.3 else "salaried"
        return occupation, education, category, base, work_unit

    # --- the ledger of one person
    def ledger(self, person: Person, recorded_by: int | None) -> None:
        """Rows of the twelve-month ledger, as COPY text fields (see _DuesTable)."""
        random = self.random
        methods = METHODS_DRAW
        row = person.row
        mid = str(row["id"])
        org = str(row["org_id"])
        before = person.org_before
        segments = [
            (m, c, str(b), str(q.rate), q.rule, self.amount_text[q])
            for m, c, b, q in person.quote_segments
        ]
        proxy = person.proxy
        unpaid = person.unpaid
        paid_by = "\\N" if recorded_by is None else str(recorded_by)
        last = person.no_rows_after
        new_id = self.dues.new_id
        add = self.dues.rows.append
        for month, month_text in MONTH_TEXT:
            if month < person.no_rows_before:
                continue
            if last is not None and month > last:
                break
            seg = segments[0]
            for candidate in segments:
                if candidate[0] <= month:
                    seg = candidate
            _m, category, base, rate, rule, amount = seg
            row_org = str(before[1]) if before and month < before[0] else org
            if month in unpaid:
                add((new_id(), mid, row_org, month_text, category, base, rate, rule, amount,
                     "\\N", "\\N", "", "f", "", "f", "\\N"))  # fmt: skip
            else:
                add((new_id(), mid, row_org, month_text, category, base, rate, rule, amount,
                     amount, DAYS[month][int(random() * 28)], methods[int(random() * 20)],
                     "t" if proxy else "f", proxy, "t" if proxy else "f", paid_by))  # fmt: skip

    # --- special cases
    def scattered(self, person: Person) -> None:
        months = [m for m in MONTHS if m >= person.no_rows_before]
        if len(months) < 3:
            return
        count = self.rng.randint(1, 3)
        picks = sorted(self.rng.sample(range(len(months)), min(count, len(months))))
        person.unpaid.update(months[i] for i in picks)
        self.counts["scattered_unpaid"] += 1

    def lapse(self, person: Person) -> None:
        length = self.rng.randint(6, 9)
        months = [m for m in MONTHS if m >= person.no_rows_before][-length:]
        if len(months) < 6:
            return
        person.unpaid.update(months)
        self.counts["lapse_cases"] += 1

    def lost_contact(self, person: Person, long: bool) -> None:
        ref = REFERENCE_DATE
        if long:
            since = ref - timedelta(days=self.rng.randint(740, 1500))
        else:
            since = ref - timedelta(days=self.rng.randint(190, 700))
        if since <= person.row["admitted_on"]:
            return
        person.row["lost_contact_since"] = since
        person.unpaid.update(m for m in MONTHS if m >= since.replace(day=1))
        self.history.add({
            "member_id": person.row["id"], "kind": "lost_contact", "effective_on": since,
            "note": "多次电话、上门联系未果", "decided_by": "",
            "at": datetime.combine(since, time(9), self.tz),
        })  # fmt: skip
        self.counts["lost_contact"] += 1

    def abroad(self, person: Person) -> None:
        person.row["is_abroad"] = True
        person.proxy = self.name(self.rng.random() < 0.5)
        self.counts["abroad"] += 1

    def float_away(self, person: Person, host: Branch | None) -> None:
        rng = self.rng
        left = self.day_between(
            REFERENCE_DATE - timedelta(days=420), REFERENCE_DATE - timedelta(days=20)
        )
        if left <= person.row["admitted_on"]:
            return
        returned = None
        if rng.random() < 0.2:
            returned = self.day_between(
                left + timedelta(days=30), REFERENCE_DATE - timedelta(days=1)
            )
        record = self.floating.add({
            "member_id": person.row["id"],
            "destination": "福建省福州市鼓楼区" if host else rng.choice(DESTINATIONS),
            "host_org_id": host.id if host else None,
            "certificate_no": f"闽榕流{left:%Y}{rng.randrange(10**6):06d}",
            "left_on": left,
            "expected_return_on": left + timedelta(days=rng.choice((180, 365, 730))),
            "returned_on": returned,
            "reason": rng.choice(FLOATING_REASONS),
            "created_at": datetime.combine(left, time(10), self.tz),
            "updated_at": datetime.combine(returned or left, time(10), self.tz),
        })  # fmt: skip
        if host:
            for _ in range(rng.randint(1, 4)):
                self.attendance.add({
                    "record_id": record["id"],
                    "attended_on": self.day_between(left, returned or YESTERDAY),
                    "activity": rng.choice(HOST_ACTIVITIES),
                    "recorded_by_id": None,
                })  # fmt: skip
        self.counts["floating"] += 1

    def care_case(self, person: Person) -> None:
        rng = self.rng
        age = REFERENCE_DATE.year - person.row["birth_date"].year
        kind = (
            rng.choice(("illness", "elderly_alone", "illness", "disability"))
            if age >= 70
            else rng.choice(("illness", "poverty", "disability", "disaster", "other"))
        )
        opened = self.day_between(
            REFERENCE_DATE - timedelta(days=700), REFERENCE_DATE - timedelta(days=10)
        )
        closed = None
        if rng.random() < 0.3:
            closed = self.day_between(
                opened + timedelta(days=20), REFERENCE_DATE - timedelta(days=1)
            )
        case = self.care.add({
            "member_id": person.row["id"], "kind": kind,
            "level": rng.choices(("general", "serious", "urgent"), (60, 30, 10))[0],
            "details": rng.choice(CARE_DETAILS[kind]), "help_given": rng.choice(CARE_HELP),
            "opened_on": opened, "closed_on": closed,
            "created_at": datetime.combine(opened, time(10), self.tz),
            "updated_at": datetime.combine(closed or opened, time(10), self.tz),
        })  # fmt: skip
        for _ in range(rng.randint(1, 3)):
            self.visit(person, case["id"], opened, closed or REFERENCE_DATE - timedelta(days=1))
        self.counts["care_cases"] += 1

    def visit(self, person: Person, case_id, start: date, end: date, kind=None) -> None:
        rng = self.rng
        on = self.day_between(start, end)
        self.visits.add({
            "member_id": person.row["id"], "case_id": case_id,
            "kind": kind or rng.choice(("visit", "hospital", "holiday")),
            "visited_on": on, "visitors": f"{self.name(True)}、{self.name(False)}",
            "amount": Decimal(rng.choice((0, 200, 300, 500, 800, 1000))),
            "note": rng.choice(VISIT_NOTES),
            "created_at": datetime.combine(on, time(15), self.tz),
        })  # fmt: skip

    def transfer(self, person: Person, branches: list[Branch], branch: Branch, kind=None,
                 state=None, expiring=False) -> None:  # fmt: skip
        rng = self.rng
        if kind is None:
            kind, state = TRANSFER_CASES[self.transfer_seq % len(TRANSFER_CASES)]
        self.transfer_seq += 1
        row = person.row
        if kind == "inward" and row["admitted_on"] > REFERENCE_DATE - timedelta(days=200):
            return
        if kind == "within":
            target = rng.choice(branches)
            while target.id == branch.id:
                target = rng.choice(branches)
        path = TRANSFER_PATHS[state]
        if expiring:
            issued = REFERENCE_DATE - timedelta(days=LETTER_DAYS - 5)
            requested = issued - timedelta(days=rng.randint(3, 12))
        else:
            requested = self.day_between(
                REFERENCE_DATE - timedelta(days=300), REFERENCE_DATE - timedelta(days=10)
            )
            if state == "expired":
                requested = self.day_between(
                    REFERENCE_DATE - timedelta(days=330), REFERENCE_DATE - timedelta(days=120)
                )
            if state == "approved":
                requested = self.day_between(
                    REFERENCE_DATE - timedelta(days=60), REFERENCE_DATE - timedelta(days=10)
                )
            requested = max(requested, row["admitted_on"] + timedelta(days=1))
            issued = requested + timedelta(days=rng.randint(1, 7))
        when = {"request": requested}
        expires = issued + timedelta(days=LETTER_DAYS - 1)
        if "approve" in path:
            when["approve"] = issued
        for action in path[2:] if "approve" in path else path[1:]:
            if action == "expire":
                when[action] = expires + timedelta(days=1)
            elif action == "receive" or action == "return":
                when[action] = min(
                    issued + timedelta(days=rng.randint(3, 40)), REFERENCE_DATE - timedelta(days=1)
                )
            else:
                later = (when.get("approve") or requested) + timedelta(days=rng.randint(1, 10))
                when[action] = min(later, YESTERDAY)
        paid_to = dues_rules.add_months(requested.replace(day=1), -1)
        letter = "approve" in path
        t = {
            "id": self.transfers.new_id(),
            "member_id": row["id"],
            "kind": kind,
            "state": state,
            "from_org_id": None if kind == "inward" else branch.id,
            "to_org_id": {"within": target.id if kind == "within" else None,
                          "inward": branch.id}.get(kind),
            "outside_org_name": rng.choice(OUTSIDE_ORGS) if kind != "within" else "",
            "reason": rng.choice(TRANSFER_REASONS),
            "letter_no": f"榕组转〔{issued:%Y}〕{self.transfer_seq:05d}号" if letter else "",
            "letter_issued_on": issued if "approve" in path else None,
            "valid_days": LETTER_DAYS,
            "expires_on": expires if "approve" in path else None,
            "dues_paid_to": paid_to if "approve" in path else None,
            "requested_by_id": None,
            "closed_on": when[path[-1]] if state in transfer_rules.TERMINAL else None,
            "created_at": datetime.combine(requested, time(9), self.tz),
            "updated_at": datetime.combine(when[path[-1]], time(9), self.tz),
        }  # fmt: skip
        self.transfers.add(t)
        state_now = ""
        for i, action in enumerate(path):
            to_state = ACTION_TARGET[action]
            self.events.add({
                "transfer_id": t["id"], "kind": action, "from_state": state_now,
                "to_state": to_state, "note": ACTION_NOTES[action],
                "payload": {"letter_no": t["letter_no"]} if action == "approve" else {},
                "actor_id": None,
                "at": datetime.combine(when[action], time(9 + i), self.tz),
            })  # fmt: skip
            state_now = to_state
        # effects of a completed transfer on the record and the ledger
        if state != "received":
            return
        received = when["receive"]
        if kind == "within":
            row["org_id"] = target.id
            row["party_group_id"] = rng.choice(target.groups) if target.groups else None
            person.org_before = (received.replace(day=1), branch.id)
            self.history.add({
                "member_id": row["id"], "kind": "branch_changed", "effective_on": received,
                "from_value": branch.name[:40], "to_value": target.name[:40],
                "decision": t["letter_no"], "at": datetime.combine(received, time(9), self.tz),
            })  # fmt: skip
        elif kind == "outward":
            row["status"] = "transferred_out"
            person.no_rows_after = paid_to
            person.unpaid -= {m for m in MONTHS if m <= paid_to}
            self.history.add({
                "member_id": row["id"], "kind": "transferred_out", "effective_on": received,
                "to_value": t["outside_org_name"][:40], "decision": t["letter_no"],
                "at": datetime.combine(received, time(9), self.tz),
            })  # fmt: skip
        else:  # inward: the member arrived on receipt; earlier dues were paid elsewhere
            person.no_rows_before = max(
                person.no_rows_before, dues_rules.add_months(received.replace(day=1), 1)
            )
            self.history.add({
                "member_id": row["id"], "kind": "transferred_in", "effective_on": received,
                "from_value": t["outside_org_name"][:40], "decision": t["letter_no"],
                "at": datetime.combine(received, time(9), self.tz),
            })  # fmt: skip
        if "approve" in path:  # dues settled up to the month on the letter
            person.unpaid -= {m for m in MONTHS if m <= paid_to}

    # --- flushing
    def take(self) -> list[tuple[_Table, list]]:
        """The rows buffered so far, table by table (parents first); the buffers restart."""
        batch = []
        for table in self.tables:
            batch.append((table, table.rows))
            table.rows = []
        return batch

    def write(self, batch) -> None:
        started = perf_counter()
        for table, rows in batch:
            table.write(rows)
        self.write_seconds += perf_counter() - started


def _branches(scale: str, rng: random.Random) -> list[Branch]:
    orgs = list(
        Org.objects.filter(type__in=org_rules.BRANCH_TYPES, active=True)
        .order_by("id")
        .values("id", "path", "name", "sector", "member_count", "secretary_name", "parent__path")
    )
    groups: dict[int, list[int]] = {}
    for gid, parent in (
        Org.objects.filter(type=org_rules.PARTY_GROUP).order_by("id").values_list("id", "parent_id")
    ):
        groups.setdefault(parent, []).append(gid)
    units = dict(
        Unit.objects.filter(org__isnull=False, coverage="own_org").values_list("org_id", "name")
    )
    target = TARGET[scale]
    total = sum(o["member_count"] for o in orgs) or 1
    out = []
    for o in orgs:
        if target is None:
            # demo: small branches, but a branch planned as too large (>50, the orgs
            # seeder's advisory showcase) gets its members, so the advisory stays true
            size = o["member_count"] if o["member_count"] > 50 else rng.randint(3, 8)
        else:
            size = max(3, round(o["member_count"] * target / total * rng.uniform(0.85, 1.15)))
        out.append(
            Branch(
                id=o["id"],
                path=o["path"],
                name=o["name"],
                sector=o["sector"],
                size=size,
                secretary=o["secretary_name"],
                groups=groups.get(o["id"], []),
                community_path=o["parent__path"] or "",
                work_unit=units.get(o["id"], ""),
                retirees="离退休" in o["name"],
            )
        )
    return out


def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict:
    """The members seeder of `tongxin seed` (runs after orgs and accounts)."""
    out.write(f"Members ({scale}) …")
    showcase = context.get("orgs", {}).get("showcase", {})
    showcase_branch = showcase.get("branch")
    branches = _branches(scale, rng)
    if not branches:
        return {"members": 0}
    s = _Seeder(scale, rng, out)
    User = get_user_model()
    accounts = dict(
        User.objects.filter(username__in=["party_member", "branch_secretary"]).values_list(
            "username", "id"
        )
    )
    secretary_user = accounts.get("branch_secretary")
    by_id = {b.id: b for b in branches}
    if showcase_branch is not None and showcase_branch.id in by_id:
        by_id[showcase_branch.id].size = SHOWCASE_MEMBERS
    special = set()  # ids of branches whose special cases are placed by hand
    if showcase_branch is not None:
        special.add(showcase_branch.id)
    started = perf_counter()
    load = _bulk_load([Member, DuesRecord, DuesBase]) if s.copy else _nothing()
    with load:
        if s.copy:
            _generate_while_writing(s, branches, special, accounts, secretary_user)
        else:
            _generate(s, branches, special, accounts, secretary_user, s.write)
        loaded = perf_counter()
    _reset_sequences([t.model for t in s.tables])
    # the orgs seeder wrote estimated member counts; the registry now knows them
    refresh_org_counts(Org.objects.values_list("pk", flat=True))
    done = perf_counter()
    out.write(
        f"  {done - started:.1f} s: generating and writing {loaded - started:.1f} s (of which "
        f"{'COPY' if s.copy else 'bulk_create'} {s.write_seconds:.1f} s), "
        f"indexes and foreign keys {done - loaded:.1f} s"
    )
    counts = {
        "members": s.members.written,
        "dues_records": s.dues.written,
        "dues_bases": s.bases.written,
        "transfers": s.transfers.written,
        "transfer_events": s.events.written,
        "floating_records": s.floating.written,
        "care_visits": s.visits.written,
        **s.counts,
    }
    out.write("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


@contextmanager
def _nothing():
    yield


def _generate(s, branches, special, accounts, secretary_user, emit, stop=None) -> None:
    """Members branch by branch; `emit(batch)` every CHUNK_ROWS dues rows (and at the end)."""
    for branch in branches:
        if stop is not None and stop.is_set():
            return
        if branch.id in special:
            _showcase_branch(s, branch, branches, accounts, secretary_user)
        else:
            _branch(s, branch, branches)
        if len(s.dues.rows) >= CHUNK_ROWS:
            emit(s.take())
    emit(s.take())


def _generate_while_writing(s, branches, special, accounts, secretary_user) -> None:
    """PostgreSQL: a worker thread generates (pure Python, no database) while this thread,
    which owns the connection, COPYs the previous chunk — the server's work overlaps the
    generation. At most two chunks wait in the queue, so memory stays bounded."""
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    failure: list[BaseException] = []

    def produce():
        try:
            _generate(s, branches, special, accounts, secretary_user, chunks.put, stop)
        except BaseException as exc:  # re-raised in the writing thread
            failure.append(exc)
        finally:
            chunks.put(None)

    worker = threading.Thread(target=produce, name="members-seed", daemon=True)
    worker.start()
    try:
        while (batch := chunks.get()) is not None:
            s.write(batch)
    except BaseException:
        stop.set()
        while chunks.get() is not None:  # let the worker finish its current branch
            pass
        raise
    finally:
        worker.join()
    if failure:
        raise failure[0]


def _branch(s: _Seeder, branch: Branch, branches: list[Branch]) -> None:
    rng = s.rng
    for i in range(branch.size):
        post = POSTS[i] if i < min(len(POSTS), max(1, branch.size // 7)) else ""
        name = branch.secretary if i == 0 and branch.secretary else None
        person = s.person(branch, name=name, post=post, probationary=False if post else None)
        roll = rng.random()
        if roll < P_LAPSE:
            s.lapse(person)
        elif roll < P_LAPSE + P_SCATTERED:
            s.scattered(person)
        elif roll < P_LAPSE + P_SCATTERED + P_LOST_6M:
            s.lost_contact(person, long=False)
        elif roll < P_LAPSE + P_SCATTERED + P_LOST_6M + P_LOST_2Y:
            s.lost_contact(person, long=True)
        elif roll < P_LAPSE + P_SCATTERED + P_LOST_6M + P_LOST_2Y + P_ABROAD:
            s.abroad(person)
        roll = rng.random() / (s.boost if s.scale == "demo" else 1)
        if roll < P_FLOATING and not person.row["lost_contact_since"]:
            host = rng.choice(branches) if rng.random() < 0.3 else None
            s.float_away(person, host if host and host.id != branch.id else None)
        elif roll < P_FLOATING + P_TRANSFER and not post and not person.row["lost_contact_since"]:
            s.transfer(person, branches, branch)
        age = REFERENCE_DATE.year - person.row["birth_date"].year
        if rng.random() < (P_CARE * (4 if age >= 75 else 1)):
            s.care_case(person)
        elif age >= 80 and rng.random() < 0.5:
            s.visit(
                person,
                None,
                REFERENCE_DATE - timedelta(days=300),
                REFERENCE_DATE - timedelta(days=1),
                "holiday",
            )
        s.members.add(person.row)
        s.ledger(person, None)


def _showcase_branch(s, branch: Branch, branches, accounts: dict, secretary_user) -> None:
    """The demo branch: the secretary and 王晓东 with accounts, and one of each case."""
    rng = s.rng
    people = []
    # 1 secretary (account), 2 王晓东 (account, full ledger), then one of each case
    sec = s.person(
        branch, name=branch.secretary or "郑志强", male=True, post="书记", probationary=False
    )
    sec.row["user_id"] = accounts.get("branch_secretary")
    people.append(sec)
    me = s.person(branch, name="王晓东", male=True, probationary=False, born=date(1986, 5, 16),
                  admitted_on=date(2012, 7, 1))  # fmt: skip
    me.row["user_id"] = accounts.get("party_member")
    people.append(me)
    org_post = s.person(branch, post="组织委员", probationary=False)
    people.append(org_post)
    lapse = s.person(branch, probationary=False)
    s.lapse(lapse)
    people.append(lapse)
    scattered = s.person(branch, probationary=False)
    s.scattered(scattered)
    people.append(scattered)
    lost = s.person(branch, probationary=False)
    s.lost_contact(lost, long=False)
    people.append(lost)
    lost_long = s.person(
        branch, probationary=False, born=date(1979, 9, 3), admitted_on=date(2005, 6, 28)
    )
    s.lost_contact(lost_long, long=True)
    people.append(lost_long)
    abroad = s.person(branch, probationary=False)
    s.abroad(abroad)
    people.append(abroad)
    old = s.person(branch, old=True)
    s.care_case(old)
    s.visit(
        old,
        None,
        REFERENCE_DATE - timedelta(days=300),
        REFERENCE_DATE - timedelta(days=1),
        "holiday",
    )
    people.append(old)
    old2 = s.person(branch, old=True, male=False)
    people.append(old2)
    probationary = s.person(branch, probationary=True)
    people.append(probationary)
    floating_out = s.person(branch, probationary=False)
    s.float_away(floating_out, None)
    people.append(floating_out)
    host = next(
        (b for b in branches if b.id != branch.id and b.community_path != branch.community_path),
        None,
    )
    floating_in = s.person(branch, probationary=False)
    s.float_away(floating_in, host)
    people.append(floating_in)
    # transfers: every state once from this branch; the expiring letter
    for kind, state in (("within", "requested"), ("outward", "approved"), ("within", "returned"),
                        ("within", "received"),
                        ("within", "withdrawn"), ("outward", "expired"), ("within", "rejected"),
                        ("inward", "received"), ("outward", "received")):  # fmt: skip
        p = s.person(branch, probationary=False, young_full=True)
        s.transfer(p, branches, branch, kind=kind, state=state)
        people.append(p)
    p = s.person(branch, probationary=False, young_full=True)
    s.transfer(p, branches, branch, kind="outward", state="approved", expiring=True)
    people.append(p)
    while len(people) < branch.size:
        people.append(s.person(branch, probationary=False if rng.random() < 0.9 else None))
    # political birthdays this month: a few admission anniversaries in the reference month
    for p in people[2:6]:
        admitted = p.row["admitted_on"]
        if admitted.month != REFERENCE_DATE.month and admitted.year < REFERENCE_DATE.year - 2:
            moved = admitted.replace(month=REFERENCE_DATE.month, day=min(admitted.day, 28))
            if moved > admitted:
                moved = moved.replace(year=moved.year - 1)
            if moved > (p.row["applied_on"] or moved) and moved > add_years(
                p.row["birth_date"], 18
            ):
                p.row["admitted_on"] = moved
                p.row["full_on"] = add_years(moved, 1)
    for p in people:
        s.members.add(p.row)
        s.ledger(p, secretary_user)
