"""Interviews as research: the participants' own words, their themes and the quotes that speak for a segment.

Only the participant's words count: with one row per turn, the manifest's `speaker` says which rows are the
participant's (an interviewer's consent speech is never quoted). Among a text column named like a quote
(quote, answer, response, verbatim, utterance, transcript, text) or else the first text column, a turn is
quotable when it is not boilerplate (greetings, consent, one-word answers) and holds no personal data; a long
turn is quoted by its most telling sentences, within the persona schema's length limit.

A segment's themes are the terms and phrases its participants use more than everyone else (TF-IDF, unigrams
and bigrams); its quotes are the quotable turns closest to those terms, at most one per participant before
anyone gets a second. Participants who speak another language than most are detected (py3langid) and
reported, not mixed in silently.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from persona_map.personal_data import found
from persona_map.research.sources import Research

QUOTE_COLUMNS = ("quote", "answer", "response", "verbatim", "utterance", "transcript", "text")
MAX_QUOTE = 1000  # the persona schema's limit for a quote
SHOWN_QUOTE = 400  # longer turns are quoted by their most telling sentences up to this length
MIN_WORDS = 6
MIN_LANGUAGE_WORDS = 15  # shorter texts are not judged: language detection needs some words
BOILERPLATE = re.compile(
    r"\b(?:consent|recording|record (?:this|the)|nice (?:to )?meet|nice meeting|thanks? (?:you|for)|goodbye|bye|"
    r"good (?:morning|afternoon|evening)|any (?:other )?questions|before we (?:start|begin)|my name is|"
    r"privacy (?:notice|policy)|terms and conditions|can you hear me|you'?re on mute)\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Turns:
    """The participants' words: one entry per turn (or per interview row), in file order."""

    keys: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    other_language: dict[str, str] = field(default_factory=dict)  # participant key -> language left out
    language: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    def by_participant(self) -> dict[str, str]:
        joined: dict[str, list[str]] = {}
        for key, text in zip(self.keys, self.texts, strict=True):
            joined.setdefault(key, []).append(text)
        return {key: " ".join(parts) for key, parts in joined.items()}


def participant_turns(research: Research) -> Turns:
    """Every participant turn of every interview source, speakers other than the participant left out."""
    turns = Turns()
    for sid in research.by_kind("interviews"):
        spec, frame = research.specs[sid], research.frames[sid]
        column = text_column(spec.roles("text"), frame)
        if not spec.key or spec.key not in frame or column is None:
            continue
        if spec.speaker and spec.speaker.column in frame:
            frame = frame[frame[spec.speaker.column].astype("string").isin(spec.speaker.participant)]
        for key, text in zip(frame[spec.key].astype("string"), frame[column], strict=True):
            if pd.notna(key) and pd.notna(text) and str(text).strip():
                turns.keys.append(str(key))
                turns.texts.append(" ".join(str(text).split()))
                turns.sources.append(sid)
    return _one_language(turns)


def text_column(names: list[str], frame: pd.DataFrame) -> str | None:
    """The text column that holds the participant's words."""
    present = [n for n in names if n in frame]
    named = [n for n in present if any(word in n.casefold() for word in QUOTE_COLUMNS)]
    return (named or present or [None])[0]


def _one_language(turns: Turns) -> Turns:
    """Turns of participants who speak the language most participants speak; the others are noted."""
    if not turns.texts:
        return turns
    import py3langid  # imported only when there are interviews: it loads a model

    spoken = {}
    for key, text in turns.by_participant().items():
        if len(text.split()) >= MIN_LANGUAGE_WORDS:
            spoken[key] = py3langid.classify(text)[0]
    if not spoken:
        return turns
    main = Counter(spoken.values()).most_common(1)[0][0]
    other = {key: language for key, language in spoken.items() if language != main}
    keep = [i for i, key in enumerate(turns.keys) if key not in other]
    return Turns(
        [turns.keys[i] for i in keep],
        [turns.texts[i] for i in keep],
        [turns.sources[i] for i in keep],
        other,
        main,
    )


def language_notes(turns: Turns) -> list[str]:
    """What a researcher must know about interviews left out for their language."""
    if not turns.other_language:
        return []
    by_language: dict[str, list[str]] = {}
    for key, language in sorted(turns.other_language.items()):
        by_language.setdefault(language, []).append(key)
    parts = [
        f"{len(keys)} in '{language}' ({', '.join(keys[:5])}{' ...' if len(keys) > 5 else ''})"
        for language, keys in by_language.items()
    ]
    return [
        f"Interviews in another language than the others ('{turns.language}') were left out of themes and "
        f"quotes: {'; '.join(parts)}. Translate them, or analyse them as a research source of their own."
    ]


def quotable(text: str) -> bool:
    """Not boilerplate, not a one-word answer, no personal data."""
    return len(text.split()) >= MIN_WORDS and not BOILERPLATE.search(text) and not any(found(text))


@dataclass
class Voices:
    """What each segment's participants say: distinctive themes and representative quotes."""

    themes: dict[int, list[str]] = field(default_factory=dict)
    quotes: dict[int, list[dict[str, str]]] = field(default_factory=dict)


def voices(turns: Turns, segment_of: dict[str, int], k: int, quotes: int = 5, themes: int = 6) -> Voices:
    """Themes and quotes of every segment from the turns of its members (`segment_of`: key -> segment)."""
    out = Voices()
    rows = [i for i, key in enumerate(turns.keys) if key in segment_of]
    if len(rows) < 2:
        return out
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [turns.texts[i] for i in rows]
    english = turns.language in ("", "en")
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, max_df=0.5, sublinear_tf=True, stop_words="english" if english else None
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no term occurs in two turns
        return out
    terms = np.asarray(vectorizer.get_feature_names_out())
    labels = np.array([segment_of[turns.keys[i]] for i in rows])
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    used = (matrix > 0).toarray().astype(np.float64)  # turns x terms: does the turn use the term
    for s in range(k):
        members = labels == s
        if not members.any():
            continue
        distinctive = np.clip(np.asarray(matrix[members].mean(axis=0)).ravel() - overall, 0, None)
        out.themes[s] = _themes(terms, used, members, themes)
        out.quotes[s] = _quotes(
            turns, [rows[i] for i in np.flatnonzero(members)], vectorizer, distinctive, quotes
        )
    return out


def _themes(terms: np.ndarray, used: np.ndarray, members: np.ndarray, limit: int) -> list[str]:
    """Terms a segment's turns use clearly more often than the other turns (at least two of them, twice as
    often); the biggest difference first, and a phrase instead of the words it contains."""
    inside = used[members].mean(axis=0)
    outside = used[~members].mean(axis=0) if (~members).any() else np.zeros_like(inside)
    count = used[members].sum(axis=0)
    gap = np.where((count >= 2) & (inside >= 2 * outside), inside - outside, 0.0)
    chosen: list[str] = []
    for j in np.argsort(-gap, kind="stable"):
        if gap[j] <= 0 or len(chosen) >= limit:
            break
        term = str(terms[j])
        if any(term in other for other in chosen):
            continue
        chosen = [other for other in chosen if other not in term]  # a phrase replaces its own words
        chosen.append(term)
    return chosen


def _quotes(
    turns: Turns, rows: list[int], vectorizer: object, distinctive: np.ndarray, limit: int
) -> list[dict[str, str]]:
    """Quotable turns (or their best sentences) closest to the segment's distinctive terms, spread over people."""
    candidates = []
    for i in rows:
        text = _excerpt(turns.texts[i], vectorizer, distinctive)
        if text and quotable(text):
            vector = vectorizer.transform([text])  # type: ignore[attr-defined]
            score = float((vector @ distinctive)[0]) / (float(np.linalg.norm(distinctive)) or 1.0)
            candidates.append((score, i, text))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    chosen: list[dict[str, str]] = []
    count: Counter[str] = Counter()
    for round_ in range(limit):  # at most one per participant before anyone gets a second
        for _, i, text in candidates:
            key = turns.keys[i]
            if len(chosen) >= limit:
                return chosen
            if count[key] == round_ and not any(q["text"] == text for q in chosen):
                chosen.append({"text": text, "source": turns.sources[i], "respondent": key})
                count[key] += 1
    return chosen


def _excerpt(text: str, vectorizer: object, distinctive: np.ndarray) -> str:
    """The turn itself, or for a long one its most telling sentence and those after it, within SHOWN_QUOTE."""
    if len(text) <= SHOWN_QUOTE:
        return text
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    if not sentences:
        return ""
    scores = np.asarray(vectorizer.transform(sentences) @ distinctive).ravel()  # type: ignore[attr-defined]
    start = int(np.argmax(scores))
    window = sentences[start]
    for following in sentences[start + 1 :]:
        if len(window) + 1 + len(following) > SHOWN_QUOTE:
            break
        window += " " + following
    return window if len(window) <= MAX_QUOTE else ""
