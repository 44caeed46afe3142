"""Search keys so that `glq` or `gulou` finds 鼓楼区 (pinyin initials and full pinyin)."""

from pypinyin import Style, lazy_pinyin


def search_key(*texts: str) -> str:
    """Lower-case text holding the originals, their full pinyin and pinyin initials."""
    parts = []
    for text in texts:
        if not text:
            continue
        full = lazy_pinyin(text, errors="default")
        initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
        parts += [text, "".join(full), "".join(initials)]
    return " ".join(parts).lower()
