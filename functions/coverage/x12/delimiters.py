"""The separators of an X12 interchange, as read from an ISA header or written into one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Delimiters:
    """The separators of an interchange (ISA position 3, ISA11, ISA16, the character after ISA16)."""

    element: str = "*"
    repetition: str | None = "^"
    component: str = ":"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = [self.element, self.component, self.segment]
        if self.repetition is not None:
            chars.append(self.repetition)
        if any(len(c) != 1 or c.isalnum() or c == " " for c in chars) or len(set(chars)) != len(chars):
            raise ValueError(
                "delimiters must be distinct single characters, neither letters, digits nor spaces"
            )
        if any(c is not None and c.isspace() for c in (self.element, self.repetition, self.component)):
            raise ValueError("only the segment terminator may be a line break")

    def repeated(self, values: Sequence[str]) -> str:
        """`values` joined by the repetition separator (only the first when there is none, as in 4010)."""
        if self.repetition is None:
            return values[0] if values else ""
        return self.repetition.join(values)

    def __iter__(self) -> Iterator[str]:
        yield self.element
        if self.repetition is not None:
            yield self.repetition
        yield self.component
        yield self.segment


X12_DELIMITERS = Delimiters()
