"""The Chinese catalogue: every entry translated, none fuzzy, and the compiled django.mo (what
Django serves) holds exactly what django.po says — a stale .mo once shipped English text."""

import ast
import gettext
from pathlib import Path

import tongxin

LOCALE = Path(tongxin.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def _text(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines)


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: {"ctxt", "id", "plural", "str": {index: text}, "fuzzy"}."""
    entries, entry, key = [], None, None

    def new():
        return {"ctxt": None, "id": [], "plural": None, "str": {}, "fuzzy": False}

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry is not None and (entry["id"] or entry["str"]):
                entries.append(entry)
            entry, key = None, None
            continue
        if entry is None:
            entry = new()
        if line.startswith("#,"):
            entry["fuzzy"] = "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        if line.startswith("msgctxt "):
            entry["ctxt"] = [line[8:]]
            key = ("ctxt",)
        elif line.startswith("msgid_plural "):
            entry["plural"] = [line[13:]]
            key = ("plural",)
        elif line.startswith("msgid "):
            entry["id"] = [line[6:]]
            key = ("id",)
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            entry["str"][index] = [line[line.index("]") + 2 :]]
            key = ("str", index)
        elif line.startswith("msgstr "):
            entry["str"][0] = [line[7:]]
            key = ("str", 0)
        elif line.startswith('"'):
            target = entry[key[0]] if len(key) == 1 else entry["str"][key[1]]
            target.append(line)
    for e in entries:
        e["ctxt"] = _text(e["ctxt"]) if e["ctxt"] is not None else None
        e["id"] = _text(e["id"])
        e["plural"] = _text(e["plural"]) if e["plural"] is not None else None
        e["str"] = {i: _text(v) for i, v in e["str"].items()}
    return [e for e in entries if e["id"]]  # the header has an empty msgid


def mo_key(entry: dict) -> str:
    return entry["id"] if entry["ctxt"] is None else f"{entry['ctxt']}\x04{entry['id']}"


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = read_po(LOCALE / "django.po")
    assert len(entries) > 2000
    fuzzy = [e["id"] for e in entries if e["fuzzy"]]
    untranslated = [e["id"] for e in entries if not all(e["str"].values())]
    assert not fuzzy, fuzzy[:10]
    assert not untranslated, untranslated[:10]


def test_the_compiled_catalogue_matches_the_source():
    entries = read_po(LOCALE / "django.po")
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    stale = []
    for e in entries:
        if e["plural"] is None:
            if catalog.get(mo_key(e)) != e["str"][0]:
                stale.append(e["id"])
        elif catalog.get((mo_key(e), 0)) != e["str"][0]:
            stale.append(e["id"])
    assert not stale, f"django.mo is out of date (run compilemessages): {stale[:10]}"
    singular = {k for k in catalog if isinstance(k, str) and k}
    assert len(singular) == sum(1 for e in entries if e["plural"] is None)
