"""The fast operations of newsclean behind one API, one implementation each.

- text: ``norm_words``, ``word_count``, ``sentences``, ``is_cjk``, ``detect_language``
  (one text, regex), and in one call for many texts ``norm_word_lines``, ``clutter_word_counts``,
  ``sentence_rows`` (numba);
- shingles: ``shingle_ids`` (poly64 or SHA-1 ids of word k-grams), ``intersection_sizes``,
  ``similarities``, ``ClusterLinker`` (the union-find of verified near-duplicates);
- minhash: ``signatures`` (datasketch's MinHash values of many documents' ids), ``band_key``,
  ``band_buckets`` (LSH buckets);
- align: ``matching_blocks`` (difflib's, for many sequence pairs).

A leaf: imports nothing else of newsclean. The numba kernels (the ``*_jit`` modules) are
imported where they are first used (see ``numba_cache``). The readable versions that the tests
compare them with are in tests/reference/.
"""

from cleaners.kernels import numba_cache  # noqa: F401  (sets numba's cache folder before any kernel)
from cleaners.kernels.align import matching_blocks
from cleaners.kernels.minhash import (UniqueCodes, band_buckets, band_key, bucket_bounds, cost_runs, decode_pairs,
                                      signatures)
from cleaners.kernels.shingles import (ClusterLinker, expand_ranges, intersection_sizes, ragged_arange, shingle_ids,
                                       similarities)
from cleaners.kernels.text import (class_key, clutter_word_counts, detect_language, is_cjk, key_words, norm_word_lines,
                                   norm_words, sentence_rows, sentences, word_count)

__all__ = [
    "ClusterLinker", "UniqueCodes", "band_buckets", "band_key", "bucket_bounds", "class_key", "clutter_word_counts", "cost_runs",
    "decode_pairs", "detect_language", "expand_ranges", "intersection_sizes", "is_cjk", "key_words", "matching_blocks", "ragged_arange",
    "norm_word_lines", "norm_words", "sentence_rows", "sentences", "shingle_ids", "signatures", "similarities",
    "word_count",
]
