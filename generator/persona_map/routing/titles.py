"""Job titles as comparable words: normalisation, whole-word phrase matching and seniority.

`normalize` folds case, Unicode compatibility forms and accents, turns `&` into "and" and every other
punctuation mark into a space, then rewrites words one at a time: abbreviations are expanded ("Sr. Mgr"
-> "senior manager", "SVP" -> "senior vice president", "CTO" -> "chief technology officer") and a small
table of non-English job words is translated ("Leiterin" -> "head", "Gerente de Ventas" -> "ventas
manager"). Matching then compares whole words, so "intern" never matches inside "international" and
"VP" never matches the letters inside "SVP".

"eng" is ambiguous: "VP Eng" means engineering, "Software Eng" means engineer. It reads as "engineering"
after a leadership word or "of" (head, director, vice president, chief, manager) or when another word
follows it ("Eng Manager"), and as "engineer" otherwise ("Sr. Software Eng", "Software Eng II").
"engr" is always "engineer".

Plain Python on purpose: `personas check` matches its labelled examples without pandas.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Abbreviations common in CRM exports, expanded word by word.
ABBREVIATIONS: dict[str, str] = {
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "dir": "director",
    "mgr": "manager",
    "mngr": "manager",
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "engr": "engineer",
    "ceo": "chief executive officer",
    "cto": "chief technology officer",
    "cio": "chief information officer",
    "ciso": "chief information security officer",
    "cfo": "chief financial officer",
    "coo": "chief operating officer",
    "cmo": "chief marketing officer",
    "cpo": "chief product officer",  # also "chief people/privacy officer"; product is the common CRM reading
    "cro": "chief revenue officer",  # also "chief risk officer"; write the long form for risk
    "cso": "chief security officer",
    "chro": "chief human resources officer",
    "swe": "software engineer",
    "sre": "site reliability engineer",
    "infra": "infrastructure",
    "intl": "international",
    "mktg": "marketing",
    "mgmt": "management",
    "asst": "assistant",
    "assoc": "associate",
    "exec": "executive",
}

# A deliberately small table of non-English job words (after accents are stripped).
SYNONYMS: dict[str, str] = {
    "leiter": "head",
    "leiterin": "head",
    "jefe": "head",
    "jefa": "head",
    "responsable": "head",
    "directeur": "director",
    "directrice": "director",
    "directora": "director",
    "direktor": "director",
    "direktorin": "director",
    "diretor": "director",
    "diretora": "director",
    "gerente": "manager",
    "ingenieur": "engineer",
    "ingenieurin": "engineer",
    "ingeniero": "engineer",
    "ingeniera": "engineer",
    "engenheiro": "engineer",
    "engenheira": "engineer",
    "entwickler": "developer",
    "entwicklerin": "developer",
    "softwareentwickler": "software developer",
    "softwareentwicklerin": "software developer",
    "desarrollador": "developer",
    "desarrolladora": "developer",
    "developpeur": "developer",
    "developpeuse": "developer",
    "teamleiter": "team lead",
    "teamleiterin": "team lead",
    "geschaftsfuhrer": "managing director",
    "geschaftsfuhrerin": "managing director",
    "praktikant": "intern",
    "praktikantin": "intern",
    "stagiaire": "intern",
    "becario": "intern",
    "becaria": "intern",
    "werkstudentin": "werkstudent",
    "plattform": "platform",
    "plataforma": "platform",
    "plateforme": "platform",
    "entwicklung": "development",
    "desarrollo": "development",
    "developpement": "development",
    "ingenieria": "engineering",
    "ingenierie": "engineering",
    "logiciel": "software",
    "sicherheit": "security",
    "seguridad": "security",
    "securite": "security",
    "cumplimiento": "compliance",
    "conformite": "compliance",
    "generale": "general",
}

# Spanish, French and Portuguese put the job noun first: "Gerente de Ventas" is a sales manager.
_NOUN_FIRST = {"gerente", "ingeniero", "ingeniera", "engenheiro", "engenheira", "desarrollador", "desarrolladora",
               "developpeur", "developpeuse"}  # fmt: skip
_FRENCH_NOUN_FIRST = {
    "ingenieur"
}  # French "ingénieur logiciel"; German "Ingenieur" is followed by nothing here
_PREPOSITIONS = {"de", "del", "des", "du", "d", "da", "do", "di"}
_ARTICLES = {"la", "l", "el", "le", "les", "los", "las", "o", "a"}

# Word sequences rewritten after the word-by-word pass.
PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("r", "and", "d"): ("research", "and", "development"),
}
# At the end of a title only: "Directrice Générale" runs the company, "Director, General Counsel" does not.
ENDINGS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("director", "general"): ("managing", "director"),
}

# Values CRMs use for "no title".
PLACEHOLDERS = {"n a", "na", "none", "null", "nil", "nan", "unknown", "tbd", "tba", "not available", "not applicable",
                "no title", "x", "0"}  # fmt: skip

# Words left out when matching phrases, so "VP of Engineering" matches "VP Engineering".
FILLER = {"of", "the", "for", "and", "at", "in", "to", "on", "de", "del", "des", "du", "d", "l", "la", "le", "les", "el",
          "der", "die", "das", "fur", "und", "y", "et"}  # fmt: skip

_LEADERSHIP = {"of", "head", "director", "president", "chief", "manager", "management"}
_LEVEL_MARKS = {"i", "ii", "iii", "iv", "v", "1", "2", "3", "4", "5", "senior", "junior", "sr", "jr"}
_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"['\u2019]s\b")

SENIORITY_BANDS = (
    "entry",
    "individual-contributor",
    "senior",
    "lead",
    "manager",
    "director",
    "vp",
    "c-level",
    "owner",
)
_ENTRY = {"intern", "internship", "trainee", "apprentice", "apprenticeship", "werkstudent", "junior", "student",
          "graduate", "auszubildender", "auszubildende", "azubi"}  # fmt: skip
_STAFF_ROLES = {"engineer", "software", "developer", "scientist", "data", "designer", "architect", "product",
                "security", "platform", "infrastructure", "site", "machine"}  # fmt: skip
_BAND_VALUES = {
    "c level": "c-level",
    "c suite": "c-level",
    "cxo": "c-level",
    "executive": "c-level",
    "individual contributor": "individual-contributor",
    "ic": "individual-contributor",
    "non manager": "individual-contributor",
    "staff": "individual-contributor",
    "entry": "entry",
    "entry level": "entry",
    "partner": "owner",
}


@lru_cache(maxsize=65536)
def normalize(title: str) -> str:
    """Lowercase words without accents, punctuation or abbreviations: ' Sr. Mgr - DevOps ' -> 'senior manager devops'."""
    if not isinstance(title, str):
        return ""
    text = unicodedata.normalize("NFKC", title)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    text = _POSSESSIVE.sub("s", text.replace("&", " and "))
    words = _rewrite_phrases(_expand(_WORD.findall(text)))
    out = " ".join(words)
    return "" if out in PLACEHOLDERS else out


def _expand(raw: list[str]) -> list[str]:
    """Expand abbreviations and translate job words, one word at a time."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        word = raw[i]
        if word in _NOUN_FIRST or (
            word in _FRENCH_NOUN_FIRST and i + 1 < len(raw) and raw[i + 1] not in _LEVEL_MARKS
        ):
            moved, i = _noun_first(raw, i)
            out += moved
            continue
        if word == "eng":
            out.append(_eng(out, raw[i + 1] if i + 1 < len(raw) else None))
        elif word == "hd" and i + 1 < len(raw) and raw[i + 1] == "of":
            out.append("head")
        else:
            out += (ABBREVIATIONS.get(word) or SYNONYMS.get(word) or word).split()
        i += 1
    return out


def _noun_first(raw: list[str], i: int) -> tuple[list[str], int]:
    """'gerente de ventas' -> ['ventas', 'manager']: the job noun after the word it qualifies."""
    noun = SYNONYMS[raw[i]]
    j = i + 1
    if j < len(raw) and raw[j] in _PREPOSITIONS:
        j += 1
        if j < len(raw) and raw[j] in _ARTICLES:
            j += 1
    if j < len(raw) and raw[j] not in _PREPOSITIONS:
        word = raw[j]
        qualifier = (ABBREVIATIONS.get(word) or SYNONYMS.get(word) or word).split()
        return [*qualifier, noun], j + 1
    return [noun], i + 1


def _eng(before: list[str], after: str | None) -> str:
    if _LEADERSHIP & set(before):
        return "engineering"
    return "engineer" if after is None or after in _LEVEL_MARKS else "engineering"


def _rewrite_phrases(words: list[str]) -> list[str]:
    for old, new in ENDINGS.items():
        if tuple(words[-len(old) :]) == old:
            words[-len(old) :] = new
    for old, new in PHRASES.items():
        n = len(old)
        i = 0
        while i + n <= len(words):
            if tuple(words[i : i + n]) == old:
                words[i : i + n] = new
                i += len(new)
            else:
                i += 1
    return words


@lru_cache(maxsize=65536)
def tokens(title: str) -> tuple[str, ...]:
    """The words phrases are matched on: the normalised title without filler words like 'of' and 'the'."""
    return tuple(w for w in normalize(title).split() if w not in FILLER)


def contains(title_tokens: tuple[str, ...], phrase_tokens: tuple[str, ...]) -> bool:
    """True when the phrase occurs in the title as whole consecutive words."""
    if not phrase_tokens:
        return False
    return f" {' '.join(phrase_tokens)} " in f" {' '.join(title_tokens)} "


@lru_cache(maxsize=65536)
def seniority(title: str) -> str | None:
    """The seniority band a title implies ('SVP Engineering' -> 'vp'), or None when it says nothing."""
    text = f" {normalize(title)} ".split(" to ")[0] + " "  # "Assistant to the CEO" is an assistant
    words = text.split()
    found = set(words)
    if ("chief" in found and "officer" in found) or " managing director " in text:
        return "c-level"
    if "president" in found and "vice" not in found:
        return "c-level"
    if found & {"founder", "cofounder", "proprietor"} or (" co founder " in text) or _owner(words):
        return "owner"
    if " vice president " in text:
        return "vp"
    if found & {"director", "head"} or " general manager " in text:
        return "director"
    if found & _ENTRY or " working student " in text:
        return "entry"
    if found & {"manager", "supervisor"}:
        return "manager"
    if found & {"lead", "leader"} and " lead generation " not in text and " lead gen " not in text:
        return "lead"
    if found & {"senior", "principal"} or _staff(words):
        return "senior"
    return None


def _owner(words: list[str]) -> bool:
    """'Owner', 'Co-Owner', 'Founder and Owner', but not 'Product Owner' (a Scrum role)."""
    return any(
        w == "owner" and (i == 0 or words[i - 1] in {"co", "and", "founder"}) for i, w in enumerate(words)
    )


def _staff(words: list[str]) -> bool:
    """'Staff Engineer' is senior; 'Staff Accountant' and 'Chief of Staff' are not."""
    return any(
        w == "staff" and i + 1 < len(words) and words[i + 1] in _STAFF_ROLES for i, w in enumerate(words)
    )


@lru_cache(maxsize=4096)
def seniority_band(value: str) -> str | None:
    """A seniority column value as one of SENIORITY_BANDS ('VP-Level', 'C-Suite', 'Director'), or None."""
    text = normalize(value)
    band = text.replace(" ", "-")
    if band in SENIORITY_BANDS:
        return band
    return _BAND_VALUES.get(text) or seniority(value)
