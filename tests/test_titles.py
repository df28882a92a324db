"""Title normalisation, whole-word phrase matching and seniority: tables, the classic traps, messy CRM values."""

from __future__ import annotations

import pytest

from persona_map.routing.titles import ABBREVIATIONS, contains, normalize, seniority, seniority_band, tokens

NORMALIZED = [
    ("Head of Platform", "head of platform"),
    ("  VP, Eng. ", "vice president engineering"),
    ("Sr. Mgr - DevOps", "senior manager devops"),
    ("SVP Sales", "senior vice president sales"),
    ("EVP, Operations", "executive vice president operations"),
    ("AVP Risk", "assistant vice president risk"),
    ("Dir. of Eng", "director of engineering"),
    ("Hd of Infra", "head of infrastructure"),
    ("Jr. Developer", "junior developer"),
    ("Snr Engr", "senior engineer"),
    ("Software Eng", "software engineer"),
    ("Sr. Software Eng.", "senior software engineer"),
    ("Software Eng II", "software engineer ii"),
    ("Eng Manager", "engineering manager"),
    ("Head of Platform Eng", "head of platform engineering"),
    ("R&D Manager", "research and development manager"),
    ("Security & Compliance", "security and compliance"),
    ("CTO", "chief technology officer"),
    ("CISO / CIO", "chief information security officer chief information officer"),
    ("Co-Founder & CEO", "co founder and chief executive officer"),
    ("DevOps Lead", "devops lead"),
    ("Women's Health Director", "womens health director"),
]

UNICODE = [
    ("Directrice Générale", "managing director"),
    ("Ingeniero de Software Sr.", "software engineer senior"),
    ("LEITER PLATTFORM-ENTWICKLUNG", "head platform development"),
    ("Leiterin IT-Sicherheit", "head it security"),
    ("Gerente de Ingeniería", "engineering manager"),
    ("Gerente de Ventas", "ventas manager"),
    ("Ingénieur logiciel", "software engineer"),
    ("Développeuse Web", "web developer"),
    ("Jefa de Plataforma", "head de platform"),
    ("Responsable Conformité", "head compliance"),
    ("Geschäftsführer", "managing director"),
    ("Praktikantin Marketing", "intern marketing"),
    ("Straße", "strasse"),
    ("ＶＰ　Ｅｎｇ", "vice president engineering"),  # full-width letters and space (NFKC)
    ("Ｈｅａｄ ｏｆ Ｐｌａｔｆｏｒｍ", "head of platform"),
]

EMPTY = ["", "   ", "-", "N/A", "n/a", "NA", "none", "NULL", "Unknown", "TBD", "?", "🚀", "—", "...", "x"]


@pytest.mark.parametrize(("title", "expected"), NORMALIZED + UNICODE)
def test_normalize(title: str, expected: str) -> None:
    assert normalize(title) == expected


@pytest.mark.parametrize("title", EMPTY)
def test_placeholders_and_punctuation_normalize_to_nothing(title: str) -> None:
    assert normalize(title) == ""
    assert tokens(title) == ()
    assert seniority(title) is None


@pytest.mark.parametrize("value", [None, 3.5, float("nan"), 42])
def test_non_text_normalizes_to_nothing(value: object) -> None:
    assert normalize(value) == ""  # type: ignore[arg-type]


def test_emoji_and_odd_spacing_do_not_change_the_words() -> None:
    assert normalize("🚀 Head   of\tPlatform 🚀") == "head of platform"


@pytest.mark.parametrize(("abbreviation", "expansion"), sorted(ABBREVIATIONS.items()))
def test_every_abbreviation_expands_as_a_whole_word(abbreviation: str, expansion: str) -> None:
    assert normalize(f"{abbreviation.upper()}.") == expansion
    assert normalize(f"x{abbreviation}") == f"x{abbreviation}"  # not inside another word


def test_tokens_leave_out_filler_words() -> None:
    assert tokens("VP of Engineering") == tokens("VP Engineering") == ("vice", "president", "engineering")
    assert tokens("Head of Security & Compliance") == ("head", "security", "compliance")
    assert tokens("Directeur de l'Ingénierie") == ("director", "engineering")


# ---------------------------------------------------------------- the classic traps


def test_vp_is_not_a_token_of_svp() -> None:
    assert "vp" not in normalize("SVP Engineering").split()
    assert tokens("SVP") == ("senior", "vice", "president")
    assert not contains(tokens("VP Engineering"), tokens("SVP Engineering"))  # a VP is not an SVP
    assert seniority("SVP Engineering") == "vp"  # but an SVP is VP level


def test_intern_is_not_inside_international() -> None:
    assert not contains(tokens("International Sales Manager"), tokens("intern"))
    assert seniority("International Sales Manager") == "manager"
    assert contains(tokens("Sales Intern, International"), tokens("intern"))


def test_cto_is_not_director_of_technology() -> None:
    assert not contains(tokens("Director of Technology"), tokens("CTO"))
    assert not contains(tokens("CTO"), tokens("Director of Technology"))
    assert (seniority("CTO"), seniority("Director of Technology")) == ("c-level", "director")


def test_publicity_manager_is_not_city_manager() -> None:
    assert not contains(tokens("Publicity Manager"), tokens("City Manager"))
    assert contains(tokens("Deputy City Manager"), tokens("City Manager"))


@pytest.mark.parametrize(
    ("title", "phrase", "expected"),
    [
        ("Head of Platform Engineering", "head of platform", True),
        ("Platform Engineering Lead", "platform lead", False),  # words must be consecutive
        ("Senior Platform Engineer", "platform engineering", False),  # engineer is not engineering
        ("Engineering Manager", "engineering manager", True),
        ("Eng. Mgr.", "engineering manager", True),
        ("Manager", "engineering manager", False),
        ("Software Engineer", "", False),
    ],
)
def test_contains_matches_whole_consecutive_words(title: str, phrase: str, expected: bool) -> None:
    assert contains(tokens(title), tokens(phrase)) is expected


# ---------------------------------------------------------------- seniority

SENIORITY = [
    ("CEO", "c-level"),
    ("Chief Information Security Officer", "c-level"),
    ("President", "c-level"),
    ("Managing Director", "c-level"),
    ("Directrice Générale", "c-level"),
    ("Co-Founder", "owner"),
    ("Founder", "owner"),
    ("Owner", "owner"),
    ("Product Owner", None),
    ("Founding Engineer", None),
    ("VP Engineering", "vp"),
    ("Senior Vice President", "vp"),
    ("EVP", "vp"),
    ("AVP Risk", "vp"),
    ("Director of Technology", "director"),
    ("Head of Platform", "director"),
    ("Leiter Plattform", "director"),
    ("General Manager", "director"),
    ("Intern", "entry"),
    ("Product Manager Intern", "entry"),
    ("Junior Developer", "entry"),
    ("Trainee", "entry"),
    ("Apprentice Electrician", "entry"),
    ("Werkstudentin", "entry"),
    ("Working Student", "entry"),
    ("Engineering Manager", "manager"),
    ("Sr. Mgr - DevOps", "manager"),
    ("Gerente de Ventas", "manager"),
    ("Team Lead", "lead"),
    ("Tech Lead", "lead"),
    ("Lead Generation Specialist", None),
    ("Senior Software Engineer", "senior"),
    ("Staff Engineer", "senior"),
    ("Principal Engineer", "senior"),
    ("Staff Accountant", None),
    ("Chief of Staff", None),
    ("Assistant to the CEO", None),
    ("Software Engineer", None),
    ("Account Executive", None),
    ("", None),
]


@pytest.mark.parametrize(("title", "expected"), SENIORITY)
def test_seniority_from_title(title: str, expected: str | None) -> None:
    assert seniority(title) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("director", "director"),
        ("Director", "director"),
        ("VP-Level", "vp"),
        ("Vice President", "vp"),
        ("C-Suite", "c-level"),
        ("C-Level", "c-level"),
        ("CXO", "c-level"),
        ("individual-contributor", "individual-contributor"),
        ("Individual Contributor", "individual-contributor"),
        ("Non-Manager", "individual-contributor"),
        ("Entry Level", "entry"),
        ("Intern", "entry"),
        ("Partner", "owner"),
        ("Manager", "manager"),
        ("N/A", None),
        ("whatever", None),
    ],
)
def test_seniority_band_of_a_crm_column(value: str, expected: str | None) -> None:
    assert seniority_band(value) == expected
