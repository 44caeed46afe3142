"""The default two-level category catalogue and the default state names (issue 6 item 4,
DOMAIN.md §8.2/§8.4). Time limits: general 5 working days, consultation 3 working days,
urgent 2 hours (clock), utilities 24 hours — the defaults of settings TONGXIN
["DEMAND_GENERAL_DAYS"/"DEMAND_CONSULTATION_DAYS"/"DEMAND_URGENT_HOURS"] at migration time.
Everything is editable afterwards; existing codes are never overwritten."""

from django.conf import settings
from django.db import migrations

G, C, U, H24 = "general", "consultation", "urgent", "utility"

# (code, Chinese name, English name, kind, [(code, name, English name, kind), ...])
CATALOGUE = [
    ("ENV", "环境卫生", "Environment and sanitation", G, [
        ("ENV-01", "垃圾清运", "Rubbish collection", G),
        ("ENV-02", "道路保洁", "Street cleaning", G),
        ("ENV-03", "绿化养护", "Greenery maintenance", G),
        ("ENV-04", "噪声扰民", "Noise nuisance", G),
        ("ENV-05", "油烟异味", "Cooking fumes and odours", G),
        ("ENV-06", "病媒防治", "Pests (rats, mosquitoes)", G),
    ]),
    ("ORD", "公共秩序", "Public order", G, [
        ("ORD-01", "占道经营", "Street vending on the pavement", G),
        ("ORD-02", "违章停车", "Illegal parking", G),
        ("ORD-03", "违法建设", "Illegal construction", G),
        ("ORD-04", "消防通道堵塞", "Blocked fire lane", U),
        ("ORD-05", "流浪动物", "Stray animals", G),
    ]),
    ("DIS", "矛盾纠纷", "Disputes", G, [
        ("DIS-01", "邻里纠纷", "Between neighbours", G),
        ("DIS-02", "物业纠纷", "With the property manager", G),
        ("DIS-03", "劳资纠纷", "Unpaid wages", G),
        ("DIS-04", "家庭纠纷", "Family disputes", G),
    ]),
    ("REP", "设施报修", "Building and facility repair", G, [
        ("REP-01", "路灯损坏", "Street lights", G),
        ("REP-02", "道路井盖", "Roads and manhole covers", G),
        ("REP-03", "供水排水", "Water supply and drainage", H24),
        ("REP-04", "供电故障", "Power supply", H24),
        ("REP-05", "燃气故障", "Gas supply", U),
        ("REP-06", "电梯故障", "Lifts", U),
        ("REP-07", "楼道设施", "Stairwells and shared facilities", G),
        ("REP-08", "公共设施", "Public facilities (benches, fitness equipment)", G),
    ]),
    ("PRO", "物业管理", "Property management", G, [
        ("PRO-01", "物业服务", "Property management service", G),
        ("PRO-02", "维修资金", "Maintenance fund", G),
        ("PRO-03", "小区停车", "Parking in the estate", G),
        ("PRO-04", "业委会", "Owners' committee", G),
    ]),
    ("SOC", "社会服务", "Social services", G, [
        ("SOC-01", "养老服务", "Care for the elderly", G),
        ("SOC-02", "社会救助", "Social assistance", G),
        ("SOC-03", "残疾人服务", "Services for people with disabilities", G),
        ("SOC-04", "就业创业", "Jobs and starting a business", G),
        ("SOC-05", "医疗卫生", "Health care", G),
        ("SOC-06", "教育托育", "Schools and childcare", G),
    ]),
    ("SAF", "安全隐患", "Safety hazards", U, [
        ("SAF-01", "消防隐患", "Fire hazards", U),
        ("SAF-02", "高空坠物", "Objects that may fall from height", U),
        ("SAF-03", "危房险情", "Unsafe buildings", U),
    ]),
    ("CON", "政策咨询", "Consultation", C, [
        ("CON-01", "社保医保", "Social and medical insurance", C),
        ("CON-02", "户籍证件", "Household registration and certificates", C),
        ("CON-03", "惠民政策", "Benefits and subsidies", C),
        ("CON-04", "其他咨询", "Other questions", C),
    ]),
    ("SUG", "意见建议", "Suggestions", G, []),
    ("PRA", "表扬感谢", "Praise", G, []),
    ("OTH", "其他", "Other", G, []),
]

STATE_NAMES = {
    "pending": "待受理",
    "accepted": "已受理",
    "dispatched": "已派单",
    "handling": "处置中",
    "returned": "退回重派",
    "escalated": "已吹哨",
    "answered": "已答复",
    "closed": "已办结",
    "rated": "已评价",
    "visited": "已回访",
    "archived": "已归档",
    "refused": "不予受理",
    "duplicate": "重复件",
    "reopened": "重新打开",
}


def _limit(kind):
    conf = getattr(settings, "TONGXIN", {})
    if kind == U:
        return int(conf.get("DEMAND_URGENT_HOURS", 2)), "hours", True
    if kind == H24:
        return 24, "hours", False
    if kind == C:
        return int(conf.get("DEMAND_CONSULTATION_DAYS", 3)), "working_days", False
    return int(conf.get("DEMAND_GENERAL_DAYS", 5)), "working_days", False


def forwards(apps, schema_editor):
    Category = apps.get_model("demands", "Category")
    StateLabel = apps.get_model("demands", "StateLabel")
    existing = set(Category.objects.values_list("code", flat=True))
    for order, (code, name, name_en, kind, children) in enumerate(CATALOGUE, start=1):
        value, unit, urgent = _limit(kind)
        if code in existing:
            parent = Category.objects.get(code=code)
        else:
            parent = Category.objects.create(
                code=code, name=name, name_en=name_en, limit_value=value, limit_unit=unit,
                urgent=urgent, order=order * 10,
            )
        for sub_order, (sub, sub_name, sub_en, sub_kind) in enumerate(children, start=1):
            if sub in existing:
                continue
            value, unit, urgent = _limit(sub_kind)
            Category.objects.create(
                code=sub, name=sub_name, name_en=sub_en, parent=parent, limit_value=value,
                limit_unit=unit, urgent=urgent, order=order * 10 + sub_order,
            )
    have = set(StateLabel.objects.values_list("state", flat=True))
    StateLabel.objects.bulk_create(
        StateLabel(state=s, label=label) for s, label in STATE_NAMES.items() if s not in have
    )


def backwards(apps, schema_editor):
    Category = apps.get_model("demands", "Category")
    StateLabel = apps.get_model("demands", "StateLabel")
    codes = [sub for *_x, children in CATALOGUE for sub, *_y in children]
    Category.objects.filter(code__in=codes, demands__isnull=True).delete()
    Category.objects.filter(
        code__in=[c[0] for c in CATALOGUE], children__isnull=True, demands__isnull=True
    ).delete()
    StateLabel.objects.filter(state__in=list(STATE_NAMES)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("demands", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
