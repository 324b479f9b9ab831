"""The learned model's classes and its decision rule over their calibrated probabilities."""

from __future__ import annotations

from collections.abc import Sequence

from assay.analysis.analyzers.sentiment._model import Label

CLASSES = (Label.POSITIVE, Label.NEGATIVE, Label.NEUTRAL)
"""The classes both learned paths score, in the order of their probability columns."""


def decide(probabilities: Sequence[float]) -> Label:
    """The most probable class: NEUTRAL only when "no polarity" is likelier than either polarity.

    NEUTRAL was trained on sentences the raters found free of polarity (mean within +-0.25), not
    on doubtful ones, so a polar text the model is unsure about still leans POSITIVE or NEGATIVE.
    Ties go to POSITIVE, then NEGATIVE.
    """
    positive, negative, neutral = (float(p) for p in probabilities)
    if neutral > positive and neutral > negative:
        return Label.NEUTRAL
    return Label.POSITIVE if positive >= negative else Label.NEGATIVE
