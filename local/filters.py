"""Lambda event-filter matching, for the local stream poller.

Implements the part of the EventBridge/Lambda filter-pattern grammar that Tandem's
catalog uses: nested objects, lists of literal values (any may match), and the
`exists`, `prefix` and `anything-but` operators. An unknown operator raises, so a filter
the local runtime cannot honour is noticed instead of silently passing everything.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


def matches(pattern: dict[str, Any], event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    for key, expected in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, dict):
            if value is _MISSING or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not any(_leaf(rule, value) for rule in expected):
                return False
        else:
            raise ValueError(f"filter values must be objects or lists, got {expected!r} at {key}")
    return True


def _leaf(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        if "exists" in rule:
            return (value is not _MISSING) == bool(rule["exists"])
        if value is _MISSING:
            return False
        if "prefix" in rule:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        if "anything-but" in rule:
            excluded = rule["anything-but"]
            excluded = excluded if isinstance(excluded, list) else [excluded]
            return value not in excluded
        raise ValueError(f"unsupported filter operator: {sorted(rule)}")
    if value is _MISSING:
        return False
    if isinstance(value, list):
        return rule in value
    return bool(rule == value)


def matches_any(patterns: tuple[dict[str, Any], ...], event: dict[str, Any]) -> bool:
    """No patterns: everything passes (as with an event source mapping without filters)."""
    return not patterns or any(matches(p, event) for p in patterns)
