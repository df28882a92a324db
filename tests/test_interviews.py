"""Interviews as research: only participants are quoted, quotes speak for their segment, interview-only research
is segmented from the participants' words, and another language is reported rather than mixed in."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from persona_map.research.interviews import quotable
from tests.test_segment import OUTPUTS, research_repo, run_ok

CONSENT = (
    "Before we begin, thank you for joining. This session is being recorded with your consent so that our "
    "research team can review it later; the recording is stored securely, only the research team has access, "
    "and you can ask us to delete it at any time by writing to the research operations mailbox. "
) * 5  # a 1,292-character consent speech, as real interviewers read them
TOPICS = {
    "cost": [
        "our cloud bill for pipeline runners doubled and finance wants a cost per team",
        "I need to show the budget owner what each deploy costs in runner minutes",
        "nobody can tell me which service burns the most spend on the cloud bill",
        "the monthly invoice for build minutes is a mystery to finance and to me",
    ],
    "compliance": [
        "every audit I collect evidence of who approved each production change by hand",
        "the regulator asks for a tamper-evident log of approvals and we scramble",
        "I will not sign off on a deploy tool unless the controls and the audit evidence are built in",
        "proving separation of duties to the auditor takes weeks of screenshots",
    ],
    "speed": [
        "waiting twenty minutes for build feedback kills my focus every single day",
        "flaky tests and a cold cache make every pipeline run feel slow",
        "I want a build cache that works so feedback comes back before my coffee",
        "slow pipelines mean I batch changes and the feedback loop gets worse",
    ],
}
FILLER = ["Honestly,", "To be fair,", "In my team", "Most weeks", "The thing is,", "Right now"]
GERMAN = [
    "Unsere Cloud-Rechnung für die Pipelines hat sich verdoppelt und die Buchhaltung will Kosten pro Team sehen.",
    "Ich brauche eine Übersicht, welcher Dienst am meisten Geld für Build-Minuten ausgibt, sonst wird es schwierig.",
]


def transcripts(seed: int = 5, per_topic: int = 9, german: int = 2) -> tuple[bytes, dict[str, str]]:
    """One row per turn: interviewer questions and consent, participants' answers on one of three topics."""
    rng = np.random.default_rng(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["participant_id", "turn", "speaker", "utterance"])
    truth = {}
    number = 0
    for topic, lines in TOPICS.items():
        for _ in range(per_topic):
            number += 1
            pid = f"P{number:03d}"
            truth[pid] = topic
            turns = [
                ("Interviewer", CONSENT),
                (pid, "Yes, I consent to the recording."),
                ("Interviewer", "Tell me about your week."),
            ]
            for line in rng.permutation(lines)[:3]:
                turns.append((pid, f"{rng.choice(FILLER)} {line}."))
                turns.append(("Interviewer", "Why does that matter to you?"))
            turns.append((pid, "No."))
            turns.append((pid, "Nice meeting you."))
            for index, (speaker, text) in enumerate(turns, 1):
                writer.writerow(
                    [pid, index, "Interviewer" if speaker == "Interviewer" else "Participant", text]
                )
    for _ in range(german):
        number += 1
        pid = f"P{number:03d}"
        truth[pid] = "german"
        for index, text in enumerate(GERMAN, 1):
            writer.writerow([pid, index, "Participant", text])
    return out.getvalue().encode("utf-8"), truth


SOURCE = {
    "id": "interviews",
    "kind": "interviews",
    "file": "turns.csv",
    "collected": "2026-10-31",
    "key": "participant_id",
    "speaker": {"column": "speaker", "participant": ["Participant"]},
    "columns": {"participant_id": "key", "turn": "ignored", "speaker": "categorical", "utterance": "text"},
}


@pytest.fixture(scope="module")
def interview_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    content, truth = transcripts()
    root = research_repo(tmp_path_factory.mktemp("interviews") / "repo", [SOURCE], {"turns.csv": content})
    return root, truth


def test_interview_only_research_is_segmented_from_the_participants_words(interview_only) -> None:
    root, truth = interview_only
    result = run_ok(root, 3, 5)
    assert result.k == 3 and result.structure["real"], (result.k, result.structure)
    assert result.model == {}, "words are not in a CRM export: no model for classify"
    groups = {}
    for seg in result.segments:
        topics = {truth[key] for key in seg.interviewees}
        assert len(topics) == 1, f"{seg.id} mixes topics: {topics}"
        groups[topics.pop()] = seg
    assert set(groups) == {"cost", "compliance", "speed"}
    assert any(
        word in " ".join(groups["cost"].themes) for word in ("cloud bill", "finance", "cost", "budget")
    )
    assert any(word in " ".join(groups["compliance"].themes) for word in ("audit", "evidence", "regulator"))
    assert any(word in " ".join(groups["speed"].themes) for word in ("feedback", "build", "cache", "flaky"))
    for seg in result.segments:
        assert seg.summary.startswith("Their interviews are about")


def test_only_the_participants_words_are_quoted_and_never_boilerplate(interview_only) -> None:
    root, truth = interview_only
    result = run_ok(root, 3, 5)
    quotes = [q for seg in result.segments for q in seg.quotes]
    assert quotes
    for q in quotes:
        assert "consent" not in q["text"].casefold() and "recorded" not in q["text"]
        assert q["text"] not in ("No.", "Nice meeting you.") and len(q["text"]) <= 1000
        assert truth[q["respondent"]] != "german"
    for seg in result.segments:
        people = [q["respondent"] for q in seg.quotes]
        assert len(people) == len(set(people)) or len(set(people)) == len(seg.interviewees), people


def test_another_language_is_reported_not_mixed_in(interview_only) -> None:
    root, truth = interview_only
    result = run_ok(root, 3, 5)
    german = sorted(k for k, topic in truth.items() if topic == "german")
    assert any("'de'" in note and all(pid in note for pid in german) for note in result.notes), result.notes
    assert not any(pid in seg.interviewees for seg in result.segments for pid in german)
    report = (root / OUTPUTS / "report.md").read_text(encoding="utf-8")
    assert "another language" in report


def test_interviews_beside_a_survey_quote_only_participants(tmp_path: Path) -> None:
    """The interviewer's 1,292-character consent speech never becomes a segment's quote."""
    from tests.test_segment import GENERATED_COLUMNS, planted_survey, survey_source

    frame, _ = planted_survey(n=600)
    content, _ = transcripts(per_topic=4, german=0)
    text = content.decode()
    for number, respondent in enumerate(frame["respondent_id"][:12], 1):  # participants are respondents
        text = text.replace(f"P{number:03d}", str(respondent))
    source = {**SOURCE, "key": "participant_id"}
    root = research_repo(
        tmp_path / "repo",
        [survey_source(GENERATED_COLUMNS), source],
        {"survey.csv": frame.to_csv(index=False).encode(), "turns.csv": text.encode()},
    )
    result = run_ok(root)
    quotes = [q["text"] for seg in result.segments for q in seg.quotes]
    assert quotes and not any("consent" in q.casefold() for q in quotes)
    saved = json.loads((root / OUTPUTS / "segments.json").read_text(encoding="utf-8"))
    assert all(len(q["text"]) <= 1000 for s in saved["segments"] for q in s["quotes"])


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("No.", False),
        ("Nice meeting you.", False),
        ("Yes, I consent to the recording of this session.", False),
        ("Good morning, can you hear me now?", False),
        ("Call me on +44 20 7946 0958 about the audit evidence we collect.", False),
        ("Every audit I spend three weeks screenshotting pipeline runs.", True),
    ],
)
def test_boilerplate_and_personal_data_are_not_quotable(text: str, ok: bool) -> None:
    assert quotable(text) is ok
