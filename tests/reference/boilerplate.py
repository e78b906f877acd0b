"""What a paragraph's boilerplate key is, one paragraph at a time: the oracle of
``cleaners.match.boilerplate.paragraph_keys_and_lines``, which keys every paragraph of
many documents in one tokeniser call."""

from __future__ import annotations

from collections.abc import Sequence

from cleaners.kernels.text import norm_words
from cleaners.match.boilerplate import Key


def paragraph_keys(paragraphs: Sequence[str]) -> list[Key]:
    """The hash of each paragraph's normalised words joined by spaces; None when it has none."""
    return [hash(k) if k else None for k in (" ".join(norm_words(p)) for p in paragraphs)]
