"""`python -m functions.contracts` writes the committed JSON Schemas of every published event
(`contracts/<domain>/<type>.v<version>.json`); `--check` only says which differ (exit 1)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from functions.contracts import schedule

ROOT = Path(__file__).resolve().parent.parent.parent / "contracts"


def documents() -> dict[Path, str]:
    """Every schema file's path and its text, as the code defines them."""
    return {
        ROOT / "schedule" / f"{schedule.type_of(event)}.v{schedule.VERSION}.json": json.dumps(
            schedule.schema_of(event), indent=2, sort_keys=True
        )
        + "\n"
        for event in schedule.EVENTS
    }


def main(argv: list[str]) -> int:
    wanted = documents()
    if "--check" in argv:
        stale = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
        extra = sorted(set((ROOT / "schedule").glob("*.json")) - set(wanted))
        for path in [*stale, *extra]:
            print(f"differs from the code: {path.relative_to(ROOT.parent)}", file=sys.stderr)
        return 1 if stale or extra else 0
    (ROOT / "schedule").mkdir(parents=True, exist_ok=True)
    for path in set((ROOT / "schedule").glob("*.json")) - set(wanted):
        path.unlink()
    for path, text in wanted.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
