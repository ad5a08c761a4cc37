"""Check-in QR codes: a PNG for each in-person invite, an SVG for the check-in page.

Every in-person invite carries its own code (a fresh token per email), so making PNGs is on the
delivery path of a 2,000-person invite: segno takes about 5 ms a code (1 ms of it choosing the
mask, 1 ms writing the PNG), which would double the time to deliver. Emails therefore use the
fact that a QR code is affine in its data: with the version, error level, mask and data length
fixed, each module of the symbol is a fixed module XOR a sum (XOR) of the data's bits, because
Reed-Solomon error correction is linear and the placement, the mask and the function patterns
are fixed. segno encodes the link's fixed part with zeros after it, and each single bit of the
varying part, once per process (a few tenths of a second); a code is then the XOR of the
matrices of its set bits, written as a 1-bit PNG directly: about a tenth of a millisecond. The symbols are the ones segno
makes with the same fixed mask (the tests compare them module by module). A fixed mask is valid
QR; choosing the best mask only helps unusual data, not random tokens in a URL.

The check-in page is not a hot path: its SVG is segno's own, with the mask segno chooses.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache
from typing import Any

import segno

#: Error correction M (15%): a phone screen or a print with a crease still scans.
ERROR = "m"
#: The fixed mask of email codes (see the module docstring).
MASK = 0
#: Quiet zone, in modules, as the QR standard asks.
BORDER = 4
#: Pixels per module in the PNG: 8 makes each module one byte of a 1-bit row.
SCALE = 8
_FIXED: dict[str, Any] = {"mode": "byte", "error": ERROR, "boost_error": False, "mask": MASK}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# One module per byte in the matrices below (1 dark, 0 light); in a 1-bit grayscale PNG row a
# byte of 8 pixels is 0x00 for dark and 0xFF for light.
_PIXELS = bytes.maketrans(b"\x00\x01", b"\xff\x00")


class _AffineCode:
    """The modules of every code of ``prefix`` followed by ``length`` more bytes: those of the
    prefix followed by zero bytes, XOR the delta of each set bit of the rest.

    A delta costs one segno encoding (about a millisecond) and is made the first time a code
    needs it: the tokens of our links are ASCII, so their top bits never cost anything.
    """

    def __init__(self, prefix: bytes, length: int):
        self.prefix, self.length = prefix, length
        zero = segno.make_qr(prefix + bytes(length), **_FIXED)
        self.width = len(zero.matrix)
        self.base = _as_int(zero.matrix)
        #: deltas[8 * i + b]: what bit b (from the most significant) of byte i of the rest flips.
        self.deltas: list[int | None] = [None] * (8 * length)

    def _delta(self, position: int) -> int:
        rest = bytearray(self.length)
        rest[position // 8] = 0x80 >> (position % 8)
        matrix = segno.make_qr(self.prefix + bytes(rest), **_FIXED).matrix
        delta = self.deltas[position] = _as_int(matrix) ^ self.base
        return delta

    def modules(self, rest: bytes) -> bytes:
        """The symbol's modules, row by row, one byte each (1 dark, 0 light)."""
        value, deltas = self.base, self.deltas
        for index, byte in enumerate(rest):
            if byte:
                offset = 8 * index
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        value ^= deltas[offset + bit] or self._delta(offset + bit)
        return value.to_bytes(self.width * self.width, "big")


def _as_int(matrix) -> int:
    return int.from_bytes(b"".join(bytes(row) for row in matrix), "big")


@lru_cache(maxsize=8)
def _code_for(prefix: bytes, length: int) -> _AffineCode:
    return _AffineCode(prefix, length)


def modules(data: str) -> tuple[int, bytes]:
    """(width, modules row by row, one byte each) of the email QR code of ``data``.

    What follows the last "/" varies (a link's token); what comes before it is the same for
    every link of a kind, and is encoded once.
    """
    raw = data.encode("utf-8")
    cut = raw.rfind(b"/") + 1
    code = _code_for(raw[:cut], len(raw) - cut)
    return code.width, code.modules(raw[cut:])


def png(data: str) -> bytes:
    """A 1-bit PNG of the QR code of ``data`` (a URL), with its quiet zone, 8 pixels a module."""
    width, cells = modules(data)
    side = width + 2 * BORDER
    blank = b"\x00" + b"\xff" * side  # filter byte "none", then a light row
    quiet = b"\xff" * BORDER
    rows = [blank * (BORDER * SCALE)]
    for start in range(0, len(cells), width):
        rows.append((b"\x00" + quiet + cells[start:start + width].translate(_PIXELS) + quiet) * SCALE)
    rows.append(blank * (BORDER * SCALE))
    pixels = side * SCALE
    header = struct.pack(">IIBBBBB", pixels, pixels, 1, 0, 0, 0, 0)  # 1-bit grayscale
    # Level 1: a tenth of the time of the default for 300 more bytes on a 16 KB bitmap of long runs.
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(rows), 1))
            + _chunk(b"IEND", b""))


def png_size(data: str) -> int:
    """The side of `png`'s image, in pixels."""
    return (modules(data)[0] + 2 * BORDER) * SCALE


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def svg(data: str) -> str:
    """An inline SVG of the QR code of ``data``, for a page (segno's own, best mask)."""
    return segno.make_qr(data, error=ERROR, boost_error=False).svg_inline(scale=6, border=BORDER)
