"""numba kernel of the passage alignment's matching blocks (``cleaners.kernels.align``).

``matching_blocks`` gives, for many pairs of token sequences at once, what
``difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()``
gives (without its final ``(len(a), len(b), 0)``): the longest common run of
the window (ties to the smallest index in ``a``, then in ``b``), the same
search to its left and right, the blocks sorted and adjacent ones joined.
With no junk and no popular elements (``autojunk=False``) difflib's longest
match is exactly that dynamic programme, scanned in the same order. Tokens
come as integer ids (equal tokens, equal ids). The tests compare the kernel
with difflib (tests/reference/passages.py) on random sequences over small
alphabets (many ties and repeats) and on sentence pairs of real articles.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cleaners.kernels.numba_cache import say_if_compiling

say_if_compiling(__name__)


@njit(cache=True, nogil=True)
def _longest(a, a0, alo, ahi, b, b0, blo, bhi, prev, cur):  # pragma: no cover - compiled
    """difflib's find_longest_match(alo, ahi, blo, bhi) with no junk: (i, j, k)."""
    besti, bestj, best = alo, blo, 0
    for j in range(blo, bhi + 1):
        prev[j] = 0
    for i in range(alo, ahi):
        x = a[a0 + i]
        for j in range(blo, bhi):
            if b[b0 + j] == x:
                k = (prev[j - 1] if j > blo else 0) + 1
                cur[j] = k
                if k > best:
                    besti, bestj, best = i - k + 1, j - k + 1, k
            else:
                cur[j] = 0
        for j in range(blo, bhi):
            prev[j] = cur[j]
    return besti, bestj, best


@njit(cache=True, nogil=True)
def matching_blocks(seq, off, pair_a, pair_b, out_i, out_j, out_k, out_n):  # pragma: no cover - compiled
    """Blocks of every pair p: a = seq[off[pair_a[p]]:off[pair_a[p] + 1]], b likewise.

    Pair p's blocks are written from the sum of the earlier pairs' ``min(len(a), len(b))``
    on (room enough: blocks are disjoint in both); out_n[p] is how many. Returns the total room used.
    """
    longest = 1  # the longest sequence, plus one: sizes every work array (a pair finds < that many blocks)
    for c in range(len(off) - 1):
        longest = max(longest, off[c + 1] - off[c] + 1)
    prev = np.zeros(longest, dtype=np.int64)
    cur = np.zeros(longest, dtype=np.int64)
    stack = np.empty(longest * 4, dtype=np.int64)
    found_i = np.empty(longest, dtype=np.int64)
    found_j = np.empty(longest, dtype=np.int64)
    found_k = np.empty(longest, dtype=np.int64)
    at = 0
    for p in range(len(pair_a)):
        a0, b0 = off[pair_a[p]], off[pair_b[p]]
        la, lb = off[pair_a[p] + 1] - a0, off[pair_b[p] + 1] - b0
        room = min(la, lb)
        nf = 0
        stack[0], stack[1], stack[2], stack[3] = 0, la, 0, lb
        top = 1
        while top:
            top -= 1
            alo, ahi, blo, bhi = stack[4 * top], stack[4 * top + 1], stack[4 * top + 2], stack[4 * top + 3]
            i, j, k = _longest(seq, a0, alo, ahi, seq, b0, blo, bhi, prev, cur)
            if k:
                found_i[nf], found_j[nf], found_k[nf] = i, j, k
                nf += 1
                if alo < i and blo < j:
                    stack[4 * top], stack[4 * top + 1], stack[4 * top + 2], stack[4 * top + 3] = alo, i, blo, j
                    top += 1
                if i + k < ahi and j + k < bhi:
                    stack[4 * top], stack[4 * top + 1] = i + k, ahi
                    stack[4 * top + 2], stack[4 * top + 3] = j + k, bhi
                    top += 1
        order = np.argsort(found_i[:nf])  # blocks are disjoint in a: sorting by i sorts them
        n = 0
        i1, j1, k1 = 0, 0, 0
        for q in order:
            i2, j2, k2 = found_i[q], found_j[q], found_k[q]
            if i1 + k1 == i2 and j1 + k1 == j2:
                k1 += k2
            else:
                if k1:
                    out_i[at + n], out_j[at + n], out_k[at + n] = i1, j1, k1
                    n += 1
                i1, j1, k1 = i2, j2, k2
        if k1:
            out_i[at + n], out_j[at + n], out_k[at + n] = i1, j1, k1
            n += 1
        out_n[p] = n
        at += room
    return at
