"""Printable documents (PDF) with a Chinese font embedded — the one PDF builder of the platform.

Archive copies (the applicant's file, organisational-life records) must print and read the
same on any machine, so the font travels inside the PDF, as a subset of the glyphs used.
fpdf2 embeds TrueType outlines (FontFile2) and CFF/OpenType outlines (FontFile3), and both
kinds of TrueType/OpenType collections (.ttc): Debian's fonts-wqy-zenhei (preferred: its
TrueType outlines subset in ~0.4 s a document) and fonts-noto-cjk (Noto Sans CJK SC, CFF:
~1.5 s a weight) both work. `TONGXIN_PDF_FONT` (a file path, optionally `path#face`)
chooses another font; without it the first font of `CANDIDATES` found is used.

    doc = Document(_("Applicant file"), printed_by=user)
    doc.title("张三", subtitle="…")
    doc.key_values([(_("Branch"), "…"), …])
    doc.section(_("Step 1"))
    doc.table([_("Date"), _("Note")], [["2026-01-02", "…"]], widths=(1, 3))
    data: bytes = doc.output()
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace
from fpdf.enums import TextMode, WrapMode, XPos, YPos

# fontTools complains about bitmap tables it drops while subsetting (wqy-zenhei has one).
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

FONT_PACKAGES = "fonts-noto-cjk, fonts-wqy-zenhei"
# (regular, bold or None, Debian package). Collections pick their Simplified Chinese face.
CANDIDATES: tuple[tuple[str, str | None, str], ...] = (
    # TrueType outlines first: subsetting them is about three times faster than CFF
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None, "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None, "fonts-wqy-microhei"),
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "fonts-noto-cjk",
    ),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", None, "fonts-arphic-uming"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", None, "fonts-arphic-ukai"),
    (
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
        "fonts-noto-cjk",
    ),
)
FAMILY = "tongxin-cjk"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (200, 205, 210)
HEAD_FILL = (238, 241, 244)
LABEL_FILL = (246, 247, 249)


class PdfFontMissing(ImproperlyConfigured):
    """No font able to print Chinese: the message says which Debian package to install."""


@dataclass(frozen=True)
class Font:
    path: str
    face: int = 0
    bold_path: str | None = None
    bold_face: int = 0


def _chinese_face(path: str) -> int:
    """The Simplified Chinese face of a collection (Noto's 'SC'); 0 for a single font."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(path, lazy=True)
    except Exception:  # unreadable: let fpdf2 report it when the font is added
        return 0
    try:
        for index, font in enumerate(collection.fonts):
            name = font["name"].getDebugName(1) or ""
            if name.endswith((" SC", " GB")) or "简" in name:
                return index
    finally:
        collection.close()
    return 0


def _configured() -> str:
    return (
        os.environ.get("TONGXIN_PDF_FONT") or getattr(settings, "TONGXIN", {}).get("PDF_FONT", "")
    ).strip()


@lru_cache(maxsize=4)
def _find(configured: str) -> Font:
    if configured:
        path, _sep, face = configured.partition("#")
        if not os.path.isfile(path):
            raise PdfFontMissing(
                _(
                    "TONGXIN_PDF_FONT names %(path)s, which does not exist: give the path of a "
                    "TrueType or OpenType font with Chinese characters (Debian packages: "
                    "%(packages)s)."
                )
                % {"path": path, "packages": FONT_PACKAGES}
            )
        return Font(path, int(face) if face.isdigit() else _chinese_face(path))
    for regular, bold, _package in CANDIDATES:
        if os.path.isfile(regular):
            if bold and os.path.isfile(bold):
                return Font(regular, _chinese_face(regular), bold, _chinese_face(bold))
            return Font(regular, _chinese_face(regular))
    raise PdfFontMissing(
        _(
            "No Chinese font for PDF documents was found. Install the Debian package "
            "fonts-noto-cjk or fonts-wqy-zenhei (apt-get install fonts-wqy-zenhei), or set "
            "TONGXIN_PDF_FONT to the path of a TrueType or OpenType font with Chinese characters."
        )
    )


def find_font() -> Font:
    """The CJK font PDFs embed: TONGXIN_PDF_FONT, else the first installed candidate.
    Raises PdfFontMissing naming the Debian packages when there is none."""
    return _find(_configured())


def _text(value) -> str:
    if value is None:
        return ""
    return str(value)


class _PDF(FPDF):
    footer_left = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        width = self.w - self.l_margin - self.r_margin
        self.cell(width * 0.7, 5, self.footer_left, align="L")
        self.cell(
            width * 0.3,
            5,
            _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"},
            align="R",
        )


class Document:
    """A simple A4 document: title, key-value tables, sections, tables with wrapped cells;
    every page carries "printed on … by …" and "page n of m" in its footer."""

    def __init__(
        self,
        title: str,
        *,
        printed_by=None,
        printed_at: datetime | None = None,
        subject: str = "",
        font: Font | None = None,
    ):
        font = font or find_font()
        pdf = _PDF(orientation="P", unit="mm", format="A4")
        pdf.add_font(FAMILY, "", font.path, collection_font_number=font.face)
        if font.bold_path:
            pdf.add_font(FAMILY, "B", font.bold_path, collection_font_number=font.bold_face)
        # a single weight (parsed once): headings stroke the outlines as well as fill them
        self.faux_bold = not font.bold_path
        pdf.set_lang("zh-CN")
        pdf.set_title(_text(title))
        pdf.set_subject(_text(subject))
        pdf.set_creator(_("Tongxin"))
        pdf.set_author(_("Tongxin"))
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(True, margin=18)
        at = timezone.localtime(printed_at or timezone.now())
        who = _text(printed_by.get_username() if hasattr(printed_by, "get_username") else "")
        if who:
            pdf.footer_left = _("Printed on %(at)s by %(user)s") % {
                "at": f"{at:%Y-%m-%d %H:%M}",
                "user": who,
            }
        else:
            pdf.footer_left = _("Printed on %(at)s") % {"at": f"{at:%Y-%m-%d %H:%M}"}
        pdf.add_page()
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*RULE)
        self.pdf = pdf

    # -- layout helpers ---------------------------------------------------------------
    @property
    def width(self) -> float:
        return self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def _keep(self, height: float) -> None:
        """Start a new page unless `height` mm are left (no heading alone at a page end)."""
        if self.pdf.get_y() + height > self.pdf.h - self.pdf.b_margin:
            self.pdf.add_page()

    def _write(self, text: str, size: float, *, bold: bool = False, color=INK, align="L"):
        self.pdf.set_font(FAMILY, "B" if bold and not self.faux_bold else "", size)
        self.pdf.set_text_color(*color)
        if bold and self.faux_bold:  # a single-weight font: stroke the glyphs' outlines too
            self.pdf.text_mode = TextMode.FILL_STROKE
            self.pdf.set_line_width(size * 0.012)
            self.pdf.set_draw_color(*color)
        self.pdf.multi_cell(
            self.width,
            size * 0.55,
            _text(text),
            align=align,
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if bold and self.faux_bold:
            self.pdf.text_mode = TextMode.FILL
            self.pdf.set_line_width(0.2)
            self.pdf.set_draw_color(*RULE)
        self.pdf.set_text_color(*INK)

    # -- content ----------------------------------------------------------------------
    def title(self, text: str, *, subtitle: str = "") -> None:
        self._write(text, 18, bold=True, align="C")
        if subtitle:
            self.pdf.ln(1)
            self._write(subtitle, 10, color=MUTED, align="C")
        self.pdf.ln(4)

    def section(self, text: str, *, note: str = "") -> None:
        """A numbered part of the document (level-2 heading with a rule under it)."""
        self.pdf.ln(3)
        self._keep(30)
        self._write(text, 13, bold=True)
        if note:
            self._write(note, 9, color=MUTED)
        y = self.pdf.get_y() + 0.8
        self.pdf.line(self.pdf.l_margin, y, self.pdf.l_margin + self.width, y)
        self.pdf.ln(2.5)

    def subheading(self, text: str) -> None:
        self.pdf.ln(1)
        self._keep(18)
        self._write(text, 10.5, bold=True)
        self.pdf.ln(0.5)

    def paragraph(self, text: str, *, muted: bool = False, size: float = 10) -> None:
        if _text(text):
            self._write(text, size, color=MUTED if muted else INK)
            self.pdf.ln(1)

    def key_values(self, pairs: Iterable[tuple[str, object]], *, label_width: float = 0.28):
        """Two columns: the label (shaded) and its value; empty values print as "—"."""
        rows = [(_text(k), _text(v) or "—") for k, v in pairs]
        if not rows:
            return
        self.pdf.set_font(FAMILY, "", 9.5)
        label_style = FontFace(fill_color=LABEL_FILL, color=MUTED)
        with self.pdf.table(
            first_row_as_headings=False,
            col_widths=(label_width, 1 - label_width),
            text_align="LEFT",
            v_align="TOP",
            wrapmode=WrapMode.CHAR,
            line_height=5,
            padding=1.4,
            width=self.width,
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=label_style)
                row.cell(value)
        self.pdf.ln(2)

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[object]],
        *,
        widths: Sequence[float] | None = None,
        empty: str = "",
    ) -> None:
        """A table with a shaded header row (repeated on each page) and wrapped cells."""
        rows = [[_text(c) for c in r] for r in rows]
        if not rows:
            if empty:
                self.paragraph(empty, muted=True, size=9)
            return
        self.pdf.set_font(FAMILY, "", 9)
        with self.pdf.table(
            headings_style=FontFace(
                emphasis=None if self.faux_bold else "BOLD", fill_color=HEAD_FILL
            ),
            col_widths=tuple(widths) if widths else None,
            text_align="LEFT",
            v_align="TOP",
            wrapmode=WrapMode.CHAR,
            line_height=4.8,
            padding=1.3,
            width=self.width,
        ) as table:
            header = table.row()
            for h in headers:
                header.cell(_text(h))
            for r in rows:
                row = table.row()
                for c in r:
                    row.cell(c)
        self.pdf.ln(2)

    def page_break(self) -> None:
        self.pdf.add_page()

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """An attachment download; a Chinese file name goes out RFC 6266/5987-encoded
    (filename*=utf-8''…) with an ASCII fallback."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
