"""The labelled sentences the learned sentiment model is trained and evaluated on, and their split.

Source: the four human-rated sentence sets of Hutto & Gilbert (ICWSM 2014), shipped inside the
source distribution of the PyPI package ``vaderSentiment`` 3.3.2 (MIT licence) as
``additional_resources/hutto_ICWSM_2014.tar.gz``: Amazon product-review snippets (Hu & Liu 2004),
Rotten Tomatoes movie-review snippets (Pang & Lee 2004), New York Times editorial snippets and
tweet-like texts, each rated from -4 to +4 by at least 20 screened raters (the mean is used).

:func:`fetch_sdist` gets the archive with pip (``pip download --no-binary``) and checks its
SHA-256; :func:`load_sentences` reads the sentences straight from it. Nothing is committed.

Labels: a mean of at least +0.5 is POSITIVE, at most -0.5 NEGATIVE, within +-0.25 NEUTRAL; the
ones in between are left out (raters leaned, but weakly: neither polar nor free of polarity).

Split: the SHA-256 of ``"<set>:<id>"`` decides, so it never changes: one in five sentences
is held out for evaluation (``split == "test"``) and never trained or tuned on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SDIST_NAME = "vaderSentiment-3.3.2.tar.gz"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER_ARCHIVE = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
SETS = ("amazonReviewSnippets", "movieReviewSnippets", "nytEditorialSnippets", "tweets")
"""The rated sentence sets, by their file-name stem."""
REVIEW_SETS = ("amazonReviewSnippets", "movieReviewSnippets")
"""The sets of review sentences (product and movie reviews)."""
POLAR_MEAN = 0.5
NEUTRAL_MEAN = 0.25
CLEAR_MEAN = 1.0
"""A held-out review sentence rated at least this far from 0 is "clearly polar"."""
LABELS = ("POSITIVE", "NEGATIVE", "NEUTRAL")
TEST_SHARE = 5
"""One sentence in this many is held out."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """One rated sentence."""

    set: str
    id: str
    mean: float
    text: str

    @property
    def label(self) -> str | None:
        """POSITIVE, NEGATIVE, NEUTRAL, or ``None`` when the raters leaned only weakly."""
        if self.mean >= POLAR_MEAN:
            return "POSITIVE"
        if self.mean <= -POLAR_MEAN:
            return "NEGATIVE"
        if abs(self.mean) < NEUTRAL_MEAN:
            return "NEUTRAL"
        return None

    @property
    def split(self) -> str:
        """``test`` (held out) or ``train``, fixed by a hash of the set and id."""
        digest = hashlib.sha256(f"{self.set}:{self.id}".encode()).digest()
        return "test" if int.from_bytes(digest[:8], "big") % TEST_SHARE == 0 else "train"

    @property
    def clearly_polar_review(self) -> bool:
        """A review sentence the raters found clearly positive or clearly negative."""
        return self.set in REVIEW_SETS and abs(self.mean) >= CLEAR_MEAN


def fetch_sdist(directory: Path) -> Path:
    """The vaderSentiment 3.3.2 source archive in ``directory``, downloaded with pip if absent."""
    path = directory / SDIST_NAME
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "vaderSentiment==3.3.2", "-d", str(directory)],
            check=True,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {SDIST_SHA256}")
    return path


def load_sentences(sdist: Path) -> list[Sentence]:
    """Every rated sentence of the four sets, in file order."""
    with tarfile.open(sdist) as outer:
        member = outer.extractfile(INNER_ARCHIVE)
        if member is None:
            raise SystemExit(f"{sdist} has no {INNER_ARCHIVE}")
        inner_bytes = member.read()
    sentences: list[Sentence] = []
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        for name in SETS:
            data = inner.extractfile(f"hutto_ICWSM_2014/{name}_GroundTruth.txt")
            if data is None:
                raise SystemExit(f"{sdist}: {name}_GroundTruth.txt is missing")
            for line in data.read().decode("utf-8", errors="replace").splitlines():
                parts = line.split("\t")
                if len(parts) >= 3 and parts[2].strip():
                    sentences.append(Sentence(name, parts[0], float(parts[1]), parts[2].strip()))
    return sentences


def write_review_csv(path: Path, texts: Sequence[str], *, rows: int = 0, max_bytes: int = 0,
                     max_chars: int = 512, seed: int = 24) -> int:
    """A CSV (``id,text``) of distinct two-sentence reviews made of ``texts``, shuffled with ``seed``:
    ``rows`` of them, or as many as fit in ``max_bytes``. Returns the row count."""
    rng = random.Random(seed)
    seen: set[str] = set()
    budget = max_bytes
    while (len(seen) < rows) if rows else (budget > 0):
        review = f"{rng.choice(texts)} {rng.choice(texts)}"
        if len(review) <= max_chars and review not in seen:
            seen.add(review)
            budget -= len(review.encode()) + 10
    reviews = sorted(seen)
    rng.shuffle(reviews)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows([i, t] for i, t in enumerate(reviews))
    return len(reviews)
