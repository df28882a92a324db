"""Interview-only research segmented from the participants' own words.

Each participant's turns become one document; TF-IDF over words and two-word phrases, reduced by latent
semantic analysis (truncated SVD) and normalised, gives every participant a point, and the same k-means (or
Gaussian mixture), structure test and stability check as survey data decide the segments. Each segment is
described by its themes and quotes (research.interviews).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from persona_map.errors import SegmentError
from persona_map.research.interviews import Turns, language_notes, participant_turns, voices
from persona_map.research.segmentation import Segment
from persona_map.research.sources import Research

MAX_COMPONENTS = 50


def interview_features(research: Research, seed: int) -> tuple[pd.Index, np.ndarray, Turns]:
    """(participant keys, one row of text features per participant, the turns)."""
    turns = participant_turns(research)
    documents = turns.by_participant()
    if len(documents) < 3:
        raise SegmentError(
            f"{len(documents)} interview participant{'s' if len(documents) != 1 else ''} with words of their "
            "own: segmenting needs at least 3 (declare `speaker:` for turn-by-turn transcripts)"
        )
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    english = turns.language in ("", "en")
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True, stop_words="english" if english else None
    )
    keys = pd.Index(sorted(documents), name="participant")
    try:
        matrix = vectorizer.fit_transform([documents[key] for key in keys])
    except ValueError as e:  # no word occurs in two participants' interviews
        raise SegmentError(f"the interviews share too few words to compare participants ({e})") from e
    components = min(MAX_COMPONENTS, matrix.shape[1] - 1, len(keys) - 1)
    if components < 2:
        raise SegmentError("the interviews share too few words to compare participants")
    reduced = TruncatedSVD(components, random_state=seed).fit_transform(matrix)
    return keys, normalize(reduced), turns


def interview_profiles(
    turns: Turns, keys: pd.Index, labels: np.ndarray, k: int
) -> tuple[list[Segment], list[str]]:
    """Size, share, themes and quotes of every segment of participants."""
    n = len(keys)
    sizes = np.bincount(labels, minlength=k)
    segments = [Segment(f"S{i + 1}", int(sizes[i]), round(float(sizes[i] / n), 4)) for i in range(k)]
    segment_of = dict(zip(keys, labels.tolist(), strict=True))
    heard = voices(turns, segment_of, k)
    for i, seg in enumerate(segments):
        seg.interviewees = sorted(key for key, label in segment_of.items() if label == i)
        seg.themes = heard.themes.get(i, [])
        seg.quotes = heard.quotes.get(i, [])
        seg.summary = (
            f"Their interviews are about {', '.join(seg.themes[:4])}."
            if seg.themes
            else "Close to the other participants: no words set this segment apart."
        )
    return segments, language_notes(turns)
