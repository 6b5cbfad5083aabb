"""Read X12 text into segments: the delimiters an ISA header declares, segments split on the
segment terminator and into elements, and the first transaction set (ST through SE).

Error messages name segment positions and element numbers, never element values (they may be PHI).
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.coverage.x12.delimiters import Delimiters


class X12Error(ValueError):
    """The text is not a readable 271 interchange."""


@dataclass(frozen=True)
class Segment:
    index: int
    elements: tuple[str, ...]

    @property
    def tag(self) -> str:
        return self.elements[0]

    def get(self, n: int) -> str:
        return self.elements[n].strip() if n < len(self.elements) else ""

    def opt(self, n: int) -> str | None:
        return self.get(n) or None

    def fail(self, what: str) -> X12Error:
        return X12Error(f"segment {self.index} ({self.tag}): {what}")


def read_delimiters(text: str) -> Delimiters:
    """The delimiters an interchange declares in its ISA header."""
    return _read_header(text)[0]


def _read_header(text: str) -> tuple[Delimiters, int]:
    start = text.find("ISA")
    if start < 0 or len(text) < start + 4:
        raise X12Error("not an X12 interchange: no ISA header")
    element = text[start + 3]
    # ISA has 16 elements; ISA16 (the component separator) follows the 16th element separator and
    # the segment terminator follows ISA16. Counting separators tolerates unpadded headers.
    pos = start
    for _ in range(16):
        pos = text.find(element, pos + 1)
        if pos < 0:
            raise X12Error("truncated ISA header")
    if len(text) < pos + 3:
        raise X12Error("truncated ISA header")
    isa = text[start:pos].split(element)
    repetition = isa[11].strip()
    try:
        d = Delimiters(
            element=element,
            repetition=repetition if len(repetition) == 1 and not repetition.isalnum() else None,
            component=text[pos + 1],
            segment=text[pos + 2],
        )
    except ValueError:
        raise X12Error("ISA header declares unusable delimiters") from None
    return d, start


def tokenise(text: str) -> tuple[Delimiters, list[Segment]]:
    d, start = _read_header(text)
    body = text[start:]
    if d.segment not in "\r\n":
        body = body.replace("\r", "").replace("\n", "")
    segments: list[Segment] = []
    for raw in body.split(d.segment):
        raw = raw.strip()
        if raw:
            elements = tuple(raw.split(d.element))
            segments.append(Segment(len(segments) + 1, (elements[0].strip().upper(), *elements[1:])))
    return d, segments


def transaction(segments: list[Segment]) -> list[Segment]:
    """The segments of the first transaction set (ST through SE)."""
    begin = next((i for i, s in enumerate(segments) if s.tag == "ST"), None)
    if begin is None:
        raise X12Error("no transaction set (ST) in the interchange")
    kind = segments[begin].get(1)
    if kind != "271":
        shown = kind if kind.isalnum() and len(kind) <= 3 else "?"
        raise X12Error(f"expected a 271 transaction set, got {shown}")
    end = next((i for i in range(begin, len(segments)) if segments[i].tag == "SE"), len(segments) - 1)
    return segments[begin : end + 1]
