"""numba kernel of the "sha1_hash32" shingle ids (``cleaners.kernels.shingles``).

A shingle's id is the first four bytes (little-endian) of the SHA-1 of its UTF-8 bytes, the
words joined by single spaces: datasketch's ``sha1_hash32``. The words of all documents come
joined in one byte buffer, so every shingle is a byte range of it: ``heads`` hashes the ranges in
place, with no gram strings and no per-gram Python call. SHA-1 is FIPS 180-4 written out; the
tests compare it with ``hashlib`` byte for byte (empty, one-block, two-block and multi-byte
inputs).

The arithmetic is on int64 holding 32-bit values, masked after each sum, so
no step depends on numba's integer promotion rules.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cleaners.kernels.numba_cache import say_if_compiling

say_if_compiling(__name__)


@njit(cache=True, nogil=True, inline="always")
def _rotl(x, n):  # pragma: no cover - compiled
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


@njit(cache=True, nogil=True)
def sha1_head(data, start, end, w, buf):  # pragma: no cover - compiled
    """The first four bytes of sha1(data[start:end]) as a little-endian uint32
    (``w``: scratch of 80 int64; ``buf``: scratch of 64 uint8)."""
    length = end - start
    total = ((length + 8) // 64 + 1) * 64  # padded: 0x80, zeros, 64-bit big-endian bit length
    bits = length * 8
    h0, h1, h2, h3, h4 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
    for block in range(0, total, 64):
        for j in range(64):  # this block of the padded message
            pos = block + j
            if pos < length:
                buf[j] = data[start + pos]
            elif pos == length:
                buf[j] = 0x80
            elif pos >= total - 8:
                buf[j] = (bits >> (8 * (total - 1 - pos))) & 0xFF
            else:
                buf[j] = 0
        for t in range(16):
            w[t] = ((np.int64(buf[4 * t]) << 24) | (np.int64(buf[4 * t + 1]) << 16)
                    | (np.int64(buf[4 * t + 2]) << 8) | np.int64(buf[4 * t + 3]))
        for t in range(16, 80):
            w[t] = _rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1)
        a, b, c, d, e = h0, h1, h2, h3, h4
        for t in range(80):
            if t < 20:
                f = (b & c) | ((b ^ 0xFFFFFFFF) & d)
                k = 0x5A827999
            elif t < 40:
                f = b ^ c ^ d
                k = 0x6ED9EBA1
            elif t < 60:
                f = (b & c) | (b & d) | (c & d)
                k = 0x8F1BBCDC
            else:
                f = b ^ c ^ d
                k = 0xCA62C1D6
            a, b, c, d, e = (_rotl(a, 5) + f + e + k + w[t]) & 0xFFFFFFFF, a, _rotl(b, 30), c, d
        h0, h1, h2, h3, h4 = ((h0 + a) & 0xFFFFFFFF, (h1 + b) & 0xFFFFFFFF, (h2 + c) & 0xFFFFFFFF,
                              (h3 + d) & 0xFFFFFFFF, (h4 + e) & 0xFFFFFFFF)
    # digest bytes 0..3 are h0 big-endian; read little-endian they are h0 byte-swapped
    return (((h0 >> 24) & 0xFF) | (((h0 >> 16) & 0xFF) << 8) | (((h0 >> 8) & 0xFF) << 16)
            | ((h0 & 0xFF) << 24))


@njit(cache=True, nogil=True)
def heads(data, starts, ends, out):  # pragma: no cover - compiled
    """out[i] = the first four bytes of sha1(data[starts[i]:ends[i]]) as a little-endian uint32."""
    w = np.empty(80, dtype=np.int64)
    buf = np.empty(64, dtype=np.uint8)
    for i in range(starts.shape[0]):
        out[i] = sha1_head(data, starts[i], ends[i], w, buf)
