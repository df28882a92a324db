"""Personal data in text: e-mail addresses (plain or obfuscated) and phone numbers, found and masked.

Phone numbers are found by layout (9-15 digits in groups) and then judged by Google's libphonenumber
(the `phonenumbers` port): an international number must be a possible number of its country, a national one
a possible number of a common region; dates, times, versions, amounts, ids and bare integers are not phone
numbers. `phonenumbers` is imported only when a candidate turns up, so `personas check` stays light.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

EMAIL, PHONE = "email", "phone"
NOUN = {EMAIL: "e-mail address", PHONE: "phone number"}
A_NOUN = {EMAIL: "an e-mail address", PHONE: "a phone number"}

# local@domain.tld, also inside longer text; not icon@2x.png, not git@host:path.
_EMAIL_PATTERN = (
    r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*"
    r"@(?!\d+x\.)(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[\w-]{1,59})"
    r"(?![\w-]|:\w)"
)
# 9-15 digits, apart or joined by up to 3 separators (any space but a line break, - . / ( )); judged by _phone().
_SEP = r"(?:[^\S\r\n]|[\-./()])"
_PHONE_PATTERN = (
    rf"(?<![\w+.,/-])(?<!\d[^\S\r\n])(?<!\d[\-./])(?:\+|\()?\d(?:{_SEP}{{0,3}}\d){{8,14}}"
    r"(?![\w%:]|(?:[^\S\r\n]|[\-./])?\d)"
)
# Obfuscated e-mail addresses: name [at] example [dot] com, name%40example.com, full-width ＠.
_AT = re.compile(r"\s*[\[({<]\s*at\s*[\])}>]\s*|%40", re.IGNORECASE)
_DOT = re.compile(r"\s*[\[({<]\s*dot\s*[\])}>]\s*", re.IGNORECASE)
_OBFUSCATION = re.compile(r"%40|[\[({<]\s*(?:at|dot)\s*[\])}>]", re.IGNORECASE)
# Regions whose national numbers (no +) are recognised: where most of our users' customers are.
NATIONAL_REGIONS = (
    "US",
    "GB",
    "DE",
    "FR",
    "NL",
    "ES",
    "IT",
    "IE",
    "SE",
    "AU",
    "CA",
    "CH",
    "AT",
    "BE",
    "IN",
    "BR",
)
_EMAIL = re.compile(_EMAIL_PATTERN)
_PHONE = re.compile(_PHONE_PATTERN)
_DIGITS = re.compile(r"\d+")
_DATE = re.compile(
    r"(?<!\d)(?:(?:19|20)\d\d([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])([-./])(?:0?[1-9]|[12]\d|3[01])\2(?:19|20)\d\d)(?!\d)"
)
_YEAR = re.compile(r"(?:19|20)\d\d")


def find_emails(text: str) -> list[str]:
    """Every e-mail address in `text`, also when written as name [at] example.com, %40 or with a full-width ＠."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)  # ＠ -> @, full-width letters and digits -> ASCII
    if _OBFUSCATION.search(text):
        text = _DOT.sub(".", _AT.sub("@", text))
    return _EMAIL.findall(text) if "@" in text else []


def find_phones(text: str) -> list[str]:
    """Every phone number in `text`; dates, times, versions, amounts and bare integers are not."""
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    found = []
    for match in _PHONE.finditer(text):
        phone = _phone(match.group())
        if phone:
            found.append(phone)
    return found


def _phone(candidate: str) -> str:
    """The candidate, or its longest valid prefix of digit groups, when it reads as a phone number."""
    groups = list(_DIGITS.finditer(candidate))
    while groups and sum(len(g.group()) for g in groups) >= 9:
        text = candidate[: groups[-1].end()]
        if _valid_phone(text, [g.group() for g in groups]):
            return text
        groups.pop()
    return ""


def _valid_phone(text: str, groups: list[str]) -> bool:
    """True when `text`, made of the digit `groups`, is laid out like a phone number and is a possible one."""
    digits = sum(len(g) for g in groups)
    international = text.startswith("+") or (text.startswith("00") and len(groups) > 1)
    if not 9 <= digits <= 15 or (len(groups) == 1 and not text.startswith("+")):
        return False  # a bare integer is a count or an id, unless it is +4930123456
    opening, closing = text.find("("), text.find(")")
    if text.count("(") != text.count(")") or text.count("(") > 1 or closing < opening:
        return False
    if opening >= 0 and not text[opening + 1 : closing].isdigit():
        return False
    between = [re.sub(r"[()]", "", sep) for sep in _DIGITS.split(text)[1:-1]]
    if any(len(sep) > 1 for sep in between):
        return False  # at most one separator between two groups
    kinds = {" " if sep.isspace() else sep for sep in between} - {""}
    if "." in kinds and (len(kinds) > 1 or opening >= 0):
        return False  # 12 500.00: an amount
    if _DATE.search(text):
        return False
    if international:
        return _possible(text, None)
    inside = text[opening + 1 : closing] if opening >= 0 else None
    if any(len(g) < 2 and g != inside for g in groups[1:]):
        return False  # 10.0.19041.1234, 978-3-16-148410-0: versions and ISBNs
    if kinds == {"."} and len(groups) == 4 and all(len(g) <= 3 for g in groups):
        return False  # an IP address
    if all(_YEAR.fullmatch(g) for g in groups):
        return False  # 2019-2020-2021
    if len(groups[0]) >= 4 and not groups[0].startswith("0") and opening < 0:
        return False  # 2026-000123-45: national numbers begin with a trunk 0 or a short area code
    national_pair = groups[0].startswith("0") and 2 <= len(groups[0]) <= 5 and kinds != {"."}
    if len(groups) == 2 and opening < 0 and not national_pair:
        return False  # national pairs are 030 1234567, 07700 900123; not 10001-50000
    thousands = (
        not groups[0].startswith("0")
        and len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
        and len(kinds) == 1
        and kinds <= {" ", "."}
    )
    return not thousands and any(_possible(text, region) for region in NATIONAL_REGIONS)


def _possible(text: str, region: str | None) -> bool:
    """Whether libphonenumber reads `text` as a possible number (in `region`, for national numbers)."""
    number = _parse(re.sub(r"\s", " ", re.sub(r"^00", "+", text)), region)
    return number is not None and _phonenumbers().is_possible_number(number)


@lru_cache(maxsize=4096)
def _parse(text: str, region: str | None) -> object | None:
    phonenumbers = _phonenumbers()
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _phonenumbers():  # imported on first use: 40 ms that `personas check` spends only when needed
    import phonenumbers

    return phonenumbers


def mask_email(address: str) -> str:
    """j***@example.com: enough to find the cell, not enough to identify anyone."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(number: str) -> str:
    """+** ** **** **58: the format and the last two digits only."""
    count = sum(ch.isdigit() for ch in number)
    out, seen = [], 0
    for ch in number:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > count - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def suspect(text: str) -> bool:
    """Cheap pre-filter: could `text` hold an e-mail address or a phone number? ('@' is a C-speed test.)"""
    if "@" in text and _EMAIL.search(text) is not None:
        return True
    return (
        _PHONE.search(text) is not None
        or (not text.isascii() and "\uff20" in text)
        or _OBFUSCATION.search(text) is not None
    )


def found(text: str) -> Iterator[tuple[str, str]]:
    """(kind, masked value) of the first e-mail address and the first phone number in `text`."""
    emails = find_emails(text)
    if emails:
        yield EMAIL, mask_email(emails[0])
    phones = find_phones(text)
    if phones:
        yield PHONE, mask_phone(phones[0])
