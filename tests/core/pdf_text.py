"""Read a generated PDF back in tests, without a PDF library: its embedded fonts and its text
decoded through each font's ToUnicode map (what a reader's copy-and-paste and search use).

Enough for the PDFs core.pdf writes (fpdf2: Type0 fonts, literal-string Tj operators);
`pdftotext` (poppler-utils) is used as a second opinion where installed.
"""

import re
import shutil
import subprocess
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj")
_LENGTH = re.compile(rb"/Length (\d+)")


def _stream_start(data: bytes, at: int) -> int:
    """Where a stream's bytes begin after the `stream` keyword at `at` (CRLF or LF)."""
    at += len(b"stream")
    return at + (2 if data[at : at + 2] == b"\r\n" else 1)


def objects(data: bytes) -> dict[int, bytes]:
    """Each object's body by number. Streams are skipped by their /Length, never by
    searching for `endobj`: compressed bytes may contain that word (which made a test flaky)."""
    out: dict[int, bytes] = {}
    pos = 0
    while (m := _OBJ.search(data, pos)) is not None:
        start, end = m.end(), data.find(b"endobj", m.end())
        begin = data.find(b"stream", start)
        if begin != -1 and (end == -1 or begin < end):
            length = _LENGTH.search(data, start, begin)
            if length is not None:
                end = data.find(b"endobj", _stream_start(data, begin) + int(length.group(1)))
        if end == -1:
            break
        out[int(m.group(1))] = data[start:end]
        pos = end + len(b"endobj")
    return out


def stream(body: bytes) -> bytes:
    begin = body.find(b"stream")
    if begin == -1:
        return b""
    head = body[:begin]
    length = _LENGTH.search(head)
    first = _stream_start(body, begin)
    if length is not None:
        raw = body[first : first + int(length.group(1))]
    else:
        raw = body[first : body.rfind(b"endstream")].rstrip(b"\r\n")
    return zlib.decompress(raw) if b"/FlateDecode" in head else raw


def _hex_text(h: bytes) -> str:
    return bytes.fromhex(h.decode()).decode("utf-16-be", errors="replace")


def _cmap(text: bytes) -> dict[int, str]:
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = _hex_text(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(dst, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(start + i)
    return out


def fonts(data: bytes) -> list[dict]:
    """Each Type0 font: its BaseFont name, whether its file is embedded (FontFile2: TrueType
    outlines, FontFile3: CFF) and its ToUnicode map."""
    objs = objects(data)
    found = []
    for body in objs.values():
        if b"/Subtype /Type0" not in body:
            continue
        name = re.search(rb"/BaseFont /([^\s/>]+)", body).group(1).decode()
        descendant = objs[int(re.search(rb"/DescendantFonts \[(\d+) 0 R", body).group(1))]
        descriptor = objs[int(re.search(rb"/FontDescriptor (\d+) 0 R", descendant).group(1))]
        file_kind = re.search(rb"/(FontFile[23]?) (\d+) 0 R", descriptor)
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", body)
        found.append(
            {
                "name": name,
                "embedded": file_kind.group(1).decode() if file_kind else None,
                "embedded_bytes": len(stream(objs[int(file_kind.group(2))])) if file_kind else 0,
                "subset": bool(re.match(r"^[A-Z]{6}\+", name)),
                "to_unicode": _cmap(stream(objs[int(to_unicode.group(1))])) if to_unicode else {},
            }
        )
    return found


def _literal(content: bytes, i: int) -> tuple[bytes, int]:
    """The PDF literal string starting after the "(" at i; returns (bytes, index after)."""
    out = bytearray()
    depth = 1
    escapes = {b"n": 10, b"r": 13, b"t": 9, b"b": 8, b"f": 12}
    while i < len(content):
        c = content[i : i + 1]
        if c == b"\\":
            nxt = content[i + 1 : i + 2]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
            elif nxt.isdigit():
                m = re.match(rb"[0-7]{1,3}", content[i + 1 : i + 4])
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
            elif nxt in (b"\r", b"\n"):
                i += 2
            else:
                out += nxt
                i += 2
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += c
        i += 1
    return bytes(out), i


_TOKEN = re.compile(rb"\(|/(\w+)\s+[\d.]+\s+Tf|\bET\b")


def text(data: bytes) -> str:
    """The document's text in page and drawing order; one line per text object."""
    objs = objects(data)
    resources: dict[bytes, dict[int, str]] = {}
    for body in objs.values():
        m = re.search(rb"/Font\s*<<(.*?)>>", body, re.S)
        if not m:
            continue
        for name, ref in re.findall(rb"/(\w+)\s+(\d+) 0 R", m.group(1)):
            tu = re.search(rb"/ToUnicode (\d+) 0 R", objs[int(ref)])
            resources[name] = _cmap(stream(objs[int(tu.group(1))])) if tu else {}
    pages_root = next(b for b in objs.values() if b"/Type /Pages" in b)
    kids = [
        int(k)
        for k in re.findall(
            rb"(\d+) 0 R", re.search(rb"/Kids \[(.*?)\]", pages_root, re.S).group(1)
        )
    ]
    lines: list[str] = []
    for page in kids:
        contents = int(re.search(rb"/Contents (\d+) 0 R", objs[page]).group(1))
        content = stream(objs[contents])
        cmap: dict[int, str] = {}
        current = []
        i = 0
        while True:
            m = _TOKEN.search(content, i)
            if m is None:
                break
            if m.group(0) == b"(":
                raw, i = _literal(content, m.end())
                current.append(
                    "".join(
                        cmap.get(int.from_bytes(raw[k : k + 2], "big"), "\ufffd")
                        for k in range(0, len(raw) - 1, 2)
                    )
                )
                continue
            if m.group(1):
                cmap = resources.get(m.group(1), {})
            elif current:
                lines.append("".join(current))
                current = []
            i = m.end()
        if current:
            lines.append("".join(current))
    return "\n".join(lines)


def poppler_text(data: bytes, tmp_path) -> str | None:
    """`pdftotext` output where poppler-utils is installed, else None."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        [exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
