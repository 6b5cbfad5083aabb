"""The catalog is what CDK and the local runtime build from; each entry point's settings
must ask only for what the catalog gives it."""

from __future__ import annotations

import importlib

import pytest

from functions.catalog import ENTRYPOINTS, api_entrypoint, resource_env_vars
from functions.common.config import Settings
from functions.common.tables import AUDIT, PARTICIPANT_WEEK_INDEX, SCHEDULE

ALWAYS_SET = {"AWS_REGION", "TANDEM_STAGE"}  # Lambda sets the region; CDK sets the stage


@pytest.mark.parametrize("entry", ENTRYPOINTS, ids=lambda e: e.id)
def test_settings_require_only_what_the_catalog_provides(entry):
    module = importlib.import_module(entry.module)
    model = module.SETTINGS
    assert issubclass(model, Settings)
    required = {field.alias for field in model.model_fields.values() if field.is_required()}
    assert required <= resource_env_vars(entry) | ALWAYS_SET, f"{entry.id} needs {required}"


@pytest.mark.parametrize("entry", ENTRYPOINTS, ids=lambda e: e.id)
def test_every_handler_exists(entry):
    module = importlib.import_module(entry.module)
    assert callable(getattr(module, entry.function_name))


def test_entry_ids_are_unique_and_each_domain_has_one_api():
    assert len({e.id for e in ENTRYPOINTS}) == len(ENTRYPOINTS)
    for domain in ("schedule", "coverage", "notify"):
        assert api_entrypoint(domain).trigger == "api"


def test_coverage_reads_the_schedule_table_only_through_the_participant_week_index():
    for entry in ENTRYPOINTS:
        for grant in entry.grants:
            if grant.table is SCHEDULE and entry.domain != "schedule":
                assert (grant.access, grant.index) == ("read", PARTICIPANT_WEEK_INDEX), entry.id


def test_audit_is_append_only_for_everyone():
    for entry in ENTRYPOINTS:
        for grant in entry.grants:
            if grant.table is AUDIT:
                assert grant.access == "append", entry.id
