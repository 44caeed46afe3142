"""The member import sheet's columns, allowed values and notes (one table: the template, the
填写说明 sheet and the importer all read it).

The Chinese headers, the allowed-value labels and the notes are data of the file format
(what people type into Excel), not interface text, so they are not translated.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tongxin.core.codes import id_check_char
from tongxin.members.models import Category, DuesCategory, Education, Gender, Occupation

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_FILENAME = "党员信息导入模板.xlsx"
SHEET_TITLE = "党员信息"
NOTES_SHEET = "填写说明"
MAX_HEADER_COLUMNS = 64
MAX_UNPACKED_RATIO = 30  # a .xlsx is a zip: refuse archives that unpack far beyond an honest one
TEMPLATE_ROWS = 2000  # rows of the template that carry drop-down lists and formats

# --- allowed values: code -> Chinese label -------------------------------------------------

GENDER_LABELS = {Gender.MALE: "男", Gender.FEMALE: "女"}
EDUCATION_LABELS = {
    Education.PRIMARY: "小学及以下",
    Education.JUNIOR: "初中",
    Education.SENIOR: "高中、中专",
    Education.COLLEGE: "大专",
    Education.BACHELOR: "大学本科",
    Education.MASTER: "硕士研究生",
    Education.DOCTOR: "博士研究生",
}
OCCUPATION_LABELS = {
    Occupation.WORKER: "工人",
    Occupation.FARMER: "农牧渔民",
    Occupation.CIVIL_SERVANT: "党政机关工作人员",
    Occupation.INSTITUTION_STAFF: "事业单位人员",
    Occupation.ENTERPRISE_STAFF: "企业人员",
    Occupation.PROFESSIONAL: "专业技术人员",
    Occupation.SELF_EMPLOYED: "个体经营者",
    Occupation.STUDENT: "学生",
    Occupation.RETIRED: "离退休人员",
    Occupation.UNEMPLOYED: "无职业人员",
    Occupation.OTHER: "其他",
}
CATEGORY_LABELS = {Category.FULL: "正式党员", Category.PROBATIONARY: "预备党员"}
DUES_CATEGORY_LABELS = {
    DuesCategory.SALARIED: "在职人员",
    DuesCategory.ANNUAL_SALARY: "年薪制人员",
    DuesCategory.SELF_EMPLOYED: "个体或灵活就业人员",
    DuesCategory.RETIRED: "离退休人员",
    DuesCategory.FARMER: "农民",
    DuesCategory.STUDENT: "学生",
    DuesCategory.UNEMPLOYED: "下岗失业人员",
    DuesCategory.RELIEF: "低保或救济人员",
}
# dues categories whose amount depends on the base (§5.2–5.4): the base is required
BASE_REQUIRED = frozenset(
    {
        DuesCategory.SALARIED,
        DuesCategory.ANNUAL_SALARY,
        DuesCategory.SELF_EMPLOYED,
        DuesCategory.RETIRED,
    }
)
YES, NO = "是", "否"
_TRUE = {"是", "true", "yes", "y", "1", "√"}
_FALSE = {"否", "false", "no", "n", "0", "×"}
_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")

TEXT, CHOICE, DATE, BOOL, MONEY, ID, PHONE, REF = (
    "text",
    "choice",
    "date",
    "bool",
    "money",
    "id",
    "phone",
    "ref",
)


EXAMPLE_ID = "35010219850312001" + id_check_char("35010219850312001")


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str
    required: bool = False
    labels: dict[str, str] | None = None
    choices: Any = None
    max_length: int = 0
    note: str = ""
    width: int = 14
    example: Any = None


COLUMNS = (
    Column("姓名", "name", TEXT, True, max_length=50, example="林小同", width=10),
    Column("性别", "gender", CHOICE, True, GENDER_LABELS, Gender, example="男", width=8),
    Column("民族", "ethnicity", TEXT, max_length=20, note="留空为汉族。", example="汉族", width=8),
    Column(
        "出生日期",
        "birth_date",
        DATE,
        True,
        note="须与公民身份号码中的出生日期一致。",
        example=date(1985, 3, 12),
        width=12,
    ),
    Column(
        "公民身份号码",
        "id_number",
        ID,
        True,
        note=(
            "18位，末位校验码须正确（GB 11643），X 大小写均可。"
            "同一号码在本文件和系统中只能出现一次。"
        ),
        example=EXAMPLE_ID,
        width=22,
    ),
    Column(
        "手机号码",
        "phone",
        PHONE,
        note="手机号码或带区号的固定电话（7至20位数字）。",
        example="13800000000",
        width=14,
    ),
    Column("学历", "education", CHOICE, True, EDUCATION_LABELS, Education, example="大学本科"),
    Column(
        "职业类别", "occupation", CHOICE, True, OCCUPATION_LABELS, Occupation, example="企业人员"
    ),
    Column("高知识群体", "is_high_knowledge", BOOL, note="是 或 否；留空为否。", example="否"),
    Column("外来务工人员", "is_migrant_worker", BOOL, note="是 或 否；留空为否。", example="否"),
    Column("国企", "is_soe", BOOL, note="是 或 否；留空为否。", example="否"),
    Column(
        "两新组织",
        "is_two_new",
        BOOL,
        note="在新经济组织或新社会组织工作：是 或 否；留空为否。",
        example="是",
    ),
    Column("工作单位", "work_unit", TEXT, max_length=100, example="福州示例科技有限公司", width=24),
    Column("居住地址", "address", TEXT, max_length=200, example="鼓楼区示例路1号", width=28),
    Column(
        "所在支部编码",
        "org",
        REF,
        True,
        note="党员所在党支部、联合党支部、党总支或基层党委的组织编码，须在本人管理范围内。",
        example="B-A1",
    ),
    Column(
        "人员类别",
        "category",
        CHOICE,
        True,
        CATEGORY_LABELS,
        Category,
        note="正式党员须填转正日期；预备党员不填转正日期。",
        example="正式党员",
    ),
    Column(
        "申请入党日期",
        "applied_on",
        DATE,
        note="申请时须年满18岁；不晚于入党日期。",
        example=date(2008, 5, 4),
        width=12,
    ),
    Column(
        "入党日期",
        "admitted_on",
        DATE,
        True,
        note="支部大会通过接收为预备党员的日期；不早于申请入党日期。",
        example=date(2010, 7, 1),
        width=12,
    ),
    Column(
        "转正日期",
        "full_on",
        DATE,
        note="入党日期一年后至两年内（党章第七条）。",
        example=date(2011, 7, 1),
        width=12,
    ),
    Column(
        "入党介绍人",
        "introducers",
        TEXT,
        max_length=100,
        note="多人用顿号分隔。",
        example="王一、陈二",
    ),
    Column("党内职务", "post", TEXT, max_length=50, example=None),
    Column(
        "党费类别",
        "dues_category",
        CHOICE,
        False,
        DUES_CATEGORY_LABELS,
        DuesCategory,
        note="留空为在职人员。",
        example="在职人员",
        width=16,
    ),
    Column(
        "党费基数",
        "dues_base",
        MONEY,
        note="月度计算基数（元），不为负，最多两位小数。在职、年薪制、个体、离退休人员必填。",
        example=Decimal("4500.00"),
    ),
)
BY_HEADER = {c.header: c for c in COLUMNS}
FIELDS = tuple(c.field for c in COLUMNS)
HEADER_OF = {c.field: c.header for c in COLUMNS}

GENERAL_NOTES = (
    "第一行为列名，请勿修改；数据从第二行开始，一行一名党员。列的顺序可以调整，可选列可以删除。",
    "红色列名为必填列。",
    "日期格式为 YYYY-MM-DD，例如 2010-07-01；也可以使用 Excel 日期单元格。",
    "可选值列既可以填写中文名称，也可以填写英文代码，例如“正式党员”或“full”。",
    "导入前检查每一行；任何一行有错误时，整个文件都不会写入，并列出每个错误的行号、列名和原因。",
    "只能导入到本人管理范围内的党支部。公民身份号码与系统中已有党员相同的行会被拒绝。",
    "行数较多的文件在后台导入，页面显示进度，可以离开页面稍后再查看结果。",
)


class ImportRefused(Exception):
    """The file as a whole cannot be imported (not an .xlsx, too large, no headers...)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)
