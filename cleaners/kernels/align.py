"""Matching blocks of many pairs of token sequences at once (the numba kernel ``align_jit``)."""

from __future__ import annotations

import numpy as np

Block = tuple[int, int, int]  # (start in a, start in b, size): difflib's matching blocks


def matching_blocks(seq: np.ndarray, off: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> list[list[Block]]:
    """For each pair p, what ``difflib.SequenceMatcher(None, a, b, autojunk=False)
    .get_matching_blocks()`` gives without its final empty block, where sequence c is
    ``seq[off[c]:off[c + 1]]`` (token ids: equal tokens, equal ids), a is sequence ``pa[p]`` and b
    sequence ``pb[p]``."""
    from cleaners.kernels import align_jit

    room = np.minimum(off[pa + 1] - off[pa], off[pb + 1] - off[pb])  # blocks are disjoint in both
    bi, bj, bk = (np.empty(int(room.sum()), dtype=np.int64) for _ in range(3))
    bn = np.empty(len(pa), dtype=np.int64)
    align_jit.matching_blocks(seq, off, pa, pb, bi, bj, bk, bn)
    at = (np.cumsum(room) - room).tolist()  # where each pair's blocks start
    return [list(zip(bi[a:a + n].tolist(), bj[a:a + n].tolist(), bk[a:a + n].tolist()))
            for a, n in zip(at, bn.tolist())]
