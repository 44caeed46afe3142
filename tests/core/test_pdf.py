"""core.pdf: a CJK font found and embedded as a subset, the Chinese text extractable, the
footer on every page, a clear error when no font is installed, and the download header."""

import os
from datetime import datetime
from urllib.parse import quote

import pytest
from django.utils import timezone, translation

from tests.core import pdf_text
from tongxin.core import pdf

LONG = "政治审查结论：该同志政治立场坚定，" * 30


@pytest.fixture(autouse=True)
def fresh_font_lookup():
    pdf._find.cache_clear()
    yield
    pdf._find.cache_clear()


def build(**kw) -> bytes:
    doc = pdf.Document("入党材料", **kw)
    doc.title("张三 入党材料", subtitle="鼓楼区 三坊七巷社区第一党支部")
    doc.key_values([("姓名", "张三"), ("性别", "男"), ("备注", None)])
    for n in range(1, 5):
        doc.section(f"第{n}步 培养教育考察", note="第二阶段 积极分子")
        doc.table(
            ["日期", "人员", "内容"],
            [["2026-01-02", "李四（培养联系人）", LONG]],
            widths=(1, 1.5, 4),
        )
    doc.paragraph("以上材料共二十五步，按顺序排列。")
    return doc.output()


def test_document_is_a_pdf_with_an_embedded_subset_cjk_font():
    data = build()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    fonts = pdf_text.fonts(data)
    assert fonts, "no Type0 font"
    for font in fonts:
        assert font["embedded"] in ("FontFile2", "FontFile3"), font["name"]
        assert font["subset"], font["name"]  # ABCDEF+Name: only the glyphs used
        assert 0 < font["embedded_bytes"] < 400_000, font["name"]
    # the ToUnicode map makes the Chinese text searchable and copyable
    assert {"张", "审", "积"} <= set().union(*(f["to_unicode"].values() for f in fonts))


def test_chinese_text_is_extractable_in_order(tmp_path):
    data = build()
    text = pdf_text.text(data)
    for expected in ("张三 入党材料", "姓名", "张三", "李四（培养联系人）", "以上材料共二十五步"):
        assert expected in text, expected
    positions = [text.index(f"第{n}步 培养教育考察") for n in range(1, 5)]
    assert positions == sorted(positions)
    # the long cell wraps (several lines) instead of running off the page
    assert text.replace("\n", "").count("政治审查结论") == 4 * 30
    assert sum("政治" in line for line in text.splitlines()) > 4 * 10
    poppler = pdf_text.poppler_text(data, tmp_path)
    if poppler is not None:
        squeezed = "".join(poppler.split())
        assert "张三入党材料" in squeezed
        assert squeezed.index("第1步") < squeezed.index("第4步")


def test_footer_has_printed_on_and_page_numbers(django_user_model):
    user = django_user_model(username="keeper_a1")
    at = timezone.make_aware(datetime(2026, 3, 5, 9, 30))
    with translation.override("en"):
        data = build(printed_by=user, printed_at=at)
    text = pdf_text.text(data)
    pages = text.count("Printed on 2026-03-05 09:30 by keeper_a1")
    assert pages >= 2  # the long cells make it run over a page
    for n in range(1, pages + 1):
        assert f"Page {n} of {pages}" in text
    assert "{nb}" not in text


def test_empty_table_prints_its_empty_note():
    doc = pdf.Document("x")
    doc.table(["日期"], [], empty="暂无记录")
    doc.key_values([])
    assert "暂无记录" in pdf_text.text(doc.output())


def test_no_font_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.delenv("TONGXIN_PDF_FONT", raising=False)
    monkeypatch.setattr(pdf, "CANDIDATES", ((str(tmp_path / "none.ttc"), None, "x"),))
    monkeypatch.setitem(pdf.settings.TONGXIN, "PDF_FONT", "")
    with translation.override("en"), pytest.raises(pdf.PdfFontMissing) as err:
        pdf.find_font()
    assert "fonts-wqy-zenhei" in str(err.value)
    assert "TONGXIN_PDF_FONT" in str(err.value)


def test_configured_font_that_does_not_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("TONGXIN_PDF_FONT", str(tmp_path / "missing.ttf"))
    with translation.override("en"), pytest.raises(pdf.PdfFontMissing) as err:
        pdf.find_font()
    assert "missing.ttf" in str(err.value)


INSTALLED = [c for c in pdf.CANDIDATES if os.path.isfile(c[0])]


@pytest.mark.parametrize("candidate", INSTALLED or [None], ids=lambda c: c and c[2])
def test_every_installed_font_embeds_and_extracts(candidate):
    """TrueType (wqy-zenhei: FontFile2) and CFF (Noto CJK: FontFile3) outlines alike, with
    a bold weight where the family has one (else headings are stroked: one font only)."""
    if candidate is None:
        pytest.skip("no CJK font installed")
    regular, bold, _package = candidate
    has_bold = bool(bold and os.path.isfile(bold))
    font = pdf.Font(
        regular,
        pdf._chinese_face(regular),
        bold if has_bold else None,
        pdf._chinese_face(bold) if has_bold else 0,
    )
    data = build(font=font)
    fonts = pdf_text.fonts(data)
    assert len(fonts) == (2 if has_bold else 1)
    cff = "/opentype/" in regular
    assert {f["embedded"] for f in fonts} == {"FontFile3" if cff else "FontFile2"}
    assert all(f["subset"] for f in fonts)
    text = pdf_text.text(data)
    assert "李四（培养联系人）" in text
    assert "第4步 培养教育考察" in text  # a heading (bold or stroked) reads back too


def test_configured_font_is_used(monkeypatch):
    others = [c[0] for c in INSTALLED if c[0] != INSTALLED[0][0]] if INSTALLED else []
    if not others:
        pytest.skip("only one CJK font installed")
    monkeypatch.setenv("TONGXIN_PDF_FONT", others[0])
    assert pdf.find_font().path == others[0]
    monkeypatch.setenv("TONGXIN_PDF_FONT", others[0] + "#0")
    pdf._find.cache_clear()
    assert pdf.find_font() == pdf.Font(others[0], 0)


def test_noto_collection_picks_the_simplified_chinese_face():
    noto = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    if not os.path.isfile(noto):
        pytest.skip("fonts-noto-cjk not installed")
    from fontTools.ttLib import TTFont

    face = pdf._chinese_face(noto)
    assert TTFont(noto, fontNumber=face, lazy=True)["name"].getDebugName(1).endswith(" SC")


def test_pdf_response_encodes_a_chinese_file_name():
    response = pdf.pdf_response(b"%PDF-1.4 x", "张三 入党材料.pdf")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" + quote("张三 入党材料.pdf") in disposition
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == "10"
