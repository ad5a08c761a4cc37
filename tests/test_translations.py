"""The catalogs are complete and current: every message in the code and the templates, extracted
with Babel as `make translations` does (babel.cfg), has a Chinese translation, and the catalogs
in the repository are the ones that extraction makes."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
#: What `make translations` passes besides Babel's default keywords (-k _l).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


def _msgid(message_id) -> str:
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def extracted() -> dict[tuple[str, str | None], str]:
    """Every message of the code and templates (its msgid and context) with where it is."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.setdefault((_msgid(message), context), f"{filename}:{lineno}")
    return found


def catalog(path: str):
    with (ROOT / path).open("rb") as handle:
        return read_po(handle)


def test_extraction_finds_the_pages_messages():
    # A pattern in babel.cfg that matches nothing would make every other test here pass vacuously.
    messages = extracted()
    assert len(messages) > 300
    assert ("Will you attend?", None) in messages and ("This cannot be empty.", None) in messages
    assert ("Title", "attendance export") in messages  # a job title in exports, not a meeting's


def test_every_message_has_a_chinese_translation():
    zh = catalog("translations/zh_Hans/LC_MESSAGES/messages.po")
    missing = []
    for (msgid, context), where in sorted(extracted().items(), key=lambda pair: pair[1]):
        message = zh.get(msgid, context)
        strings = ([] if message is None else
                   [message.string] if isinstance(message.string, str) else list(message.string))
        if message is None or message.fuzzy or not strings or not all(s.strip() for s in strings):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, "No zh_Hans translation (run make translations, then translate):\n" + "\n".join(missing)


def test_the_catalogs_are_current_with_the_code():
    in_code = set(extracted())
    for path in ("translations/messages.pot", "translations/zh_Hans/LC_MESSAGES/messages.po"):
        in_file = {(_msgid(message.id), message.context) for message in catalog(path) if message.id}
        assert in_code - in_file == set(), f"{path} lacks messages of the code: run make translations"
        assert in_file - in_code == set(), f"{path} keeps messages the code no longer has: run make translations"


def test_translations_keep_their_placeholders():
    problems = [f"{message.id!r}: {errors}" for message, errors in
                catalog("translations/zh_Hans/LC_MESSAGES/messages.po").check()]
    assert not problems, "\n".join(problems)
