"""One owner per table layout (issue 17, part 3): only a domain's keys module formats a key of
its table.

Every `functions/**/*.py` is parsed with `ast` and these are counted as formatting a key:
- text shaped like a table key, `UPPERCASE_PREFIX#...`: an f-string that begins so
  (`f"PERSON#{person_id}"`) or a string constant that does (`"COUPLE#"`, `"ELIG_DUE#"`, a key
  prefix for `begins_with` or `startswith`);
- a key attribute of a table (`pk`, `sk`, `gsi1pk`, `pw_pk` ..., from `functions.common.tables`)
  used as a dict key: a key of a dict literal (`{"pk": ...}`), a subscript (`item["sk"]`) or the
  first argument of `.get`, `.pop` or `.setdefault`.
Docstrings are not counted (they describe layouts); comments are not code. A sort key that is
a bare word (`"PROFILE"`, `"CHARGEMASTER"`) cannot be told from any other constant and is not
seen: keep those in the keys module all the same.

Enforced strictly for every domain: nothing under `functions/<domain>/` but its
`functions/<domain>/keys.py` may format a key (coverage and notify read nothing of the
schedule table: they keep their own copies of schedule's published events).

Every other module's offenders as they stand are recorded in `ALLOWED`, per file with their
count. The list can only shrink: a new offender anywhere (a file not listed, or a count above
its entry) fails, and so does a file with fewer than listed, until its entry is lowered (or
dropped at zero) in the same change. When a domain gets its own keys module, add it to
`KEYS_MODULES` and its prefix to `STRICT`.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from functions.common.tables import ALL_TABLES, IDEMPOTENCY

ROOT = Path(__file__).resolve().parents[2]

KEYS_MODULES = frozenset(
    {"functions/coverage/keys.py", "functions/notify/keys.py", "functions/schedule/keys.py"}
)
"""The modules that own a table layout: they may format its keys."""
STRICT = ("functions/coverage/", "functions/notify/", "functions/schedule/")
"""Where only a keys module may format a key (no allow-list entry)."""

ALLOWED = {
    "functions/common/audit.py": 7,
    "functions/common/dynamo.py": 1,
    "functions/common/models.py": 4,
    "functions/common/tables.py": 1,
}
"""Offenders per file outside the strict domains, as they stand: this list only shrinks."""

KEY_SHAPED = re.compile(r"^[A-Z][A-Z0-9_]*#")
KEY_ATTRIBUTES = frozenset(
    name for table in ALL_TABLES if table is not IDEMPOTENCY for name in table.key_attributes()
)
"""Powertools owns the idempotency table's layout (its `id` would match every JSON id)."""
DICT_READS = frozenset({"get", "pop", "setdefault"})


def _docstrings(tree: ast.AST) -> set[int]:
    """The string constants that stand alone as statements: module, class, function and
    attribute docstrings."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def _is_key_attribute(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in KEY_ATTRIBUTES


def _reads_key_attribute(node: ast.AST) -> bool:
    """`item["sk"]`, `item.get("sk")`, `item.pop("sk")` ..."""
    if isinstance(node, ast.Subscript):
        return _is_key_attribute(node.slice)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in DICT_READS
        and bool(node.args)
        and _is_key_attribute(node.args[0])
    )


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for each place `source` formats a key (see the module docstring)."""
    tree = ast.parse(source)
    skipped = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(part) for part in node.values)  # the f-string counts once
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and KEY_SHAPED.match(str(first.value)):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Dict):
            keys = [key for key in node.keys if _is_key_attribute(key)]
            found.extend((key.lineno, f"{ast.unparse(key)}: ...") for key in keys if key is not None)
        elif _reads_key_attribute(node):
            found.append((getattr(node, "lineno", 0), ast.unparse(node)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skipped
            and KEY_SHAPED.match(node.value)
        ):
            found.append((node.lineno, repr(node.value)))
    return sorted(found)


def _all_offences() -> dict[str, list[tuple[int, str]]]:
    found = {}
    for path in sorted((ROOT / "functions").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in KEYS_MODULES:
            continue
        places = offences(path.read_text(encoding="utf-8"))
        if places:
            found[name] = places
    return found


def test_only_a_keys_module_formats_a_key() -> None:
    found = _all_offences()
    counts = Counter({name: len(places) for name, places in found.items()})
    allowed = Counter(ALLOWED)
    new = {name: found[name] for name in counts if counts[name] > allowed[name]}
    assert not new, (
        "only a domain's keys module may format a key of its table (move these there):\n"
        + "\n".join(
            f"  {name} ({counts[name]}, {allowed[name]} allowed):\n"
            + "\n".join(f"    {line}: {what}" for line, what in places)
            for name, places in new.items()
        )
    )
    fewer = {name: counts[name] for name in allowed if counts[name] < allowed[name]}
    assert not fewer, f"fewer offenders than allowed: set these ALLOWED entries to (drop a 0): {fewer}"


def test_strict_domains_are_held_to_their_keys_modules() -> None:
    """No allow-list entry in a strict domain."""
    assert [name for name in ALLOWED if name.startswith(STRICT)] == []
    assert all(any(module.startswith(domain) for module in KEYS_MODULES) for domain in STRICT)


@pytest.mark.parametrize(
    "source",
    [
        'key = f"PERSON#{person_id}"',
        'prefix = "COUPLE#"',
        'if sk.startswith("ELIG_DUE#"): pass',
        'item = {"pk": pk, "entity": "X"}',
        'sort = item["sk"]',
        'bucket = item.get("gsi1pk")',
        'week = image.pop("pw_pk", None)',
    ],
)
def test_a_key_is_seen(source: str) -> None:
    assert len(offences(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        '"""Items under `PERSON#<id>`: {"pk": ...}."""',
        'def f():\n    """`CLAIM#<source>`"""',
        'names = {"#v": "version"}',
        'condition = "attribute_not_exists(pk) AND begins_with(sk, :p)"',
        'source = f"{group_id}@{start}"',
        'entity = "PLAN"',
        'kwargs = {"id": key}',
        'attributes = ("pk", "sk", "kind")',
    ],
)
def test_what_is_not_a_key(source: str) -> None:
    assert offences(source) == []
