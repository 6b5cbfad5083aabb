"""The catalog is what CDK and the local runtime build from; each entry point's settings
must ask only for what the catalog gives it."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, time
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest

from functions.catalog import (
    CLEARINGHOUSE_ENV,
    COVERAGE_EVENT_SOURCE,
    DEFAULT_TIMEOUT_SECONDS,
    DLQ_URL_ENV,
    ENTRYPOINTS,
    EVENT_BUS_ENV,
    EVERY_MINUTE,
    Entrypoint,
    TableGrant,
    Trigger,
    api_entrypoint,
    daily_at,
    event_entrypoints,
    resource_env_vars,
    topic_entrypoints,
)
from functions.common.config import Settings
from functions.common.tables import (
    AUDIT,
    COVERAGE,
    DISCLOSURE_PARTITION,
    IDEMPOTENCY,
    NOTIFY,
    SCHEDULE,
)
from local import pollers

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


def test_only_schedule_reads_the_schedule_table():
    """The other domains keep their own copies of what schedule publishes."""
    for entry in ENTRYPOINTS:
        for grant in entry.grants:
            assert grant.table is not SCHEDULE or entry.domain == "schedule", entry.id


def test_audit_is_append_only_for_everyone():
    """Appended to, never changed; read back only as Part 2 disclosure lists, by schedule's API."""
    for entry in ENTRYPOINTS:
        for grant in entry.grants:
            if grant.table is AUDIT and grant.access != "append":
                assert entry.id == "ScheduleApi"
                assert (grant.access, grant.index, grant.partition, grant.attributes, grant.query) == (
                    "read",
                    None,
                    DISCLOSURE_PARTITION,
                    None,
                    True,
                )
    assert [g.access for g in entry_of("ScheduleApi").grants if g.table is AUDIT] == ["append", "read"]


def test_query_narrows_a_partition_grant_only():
    with pytest.raises(ValueError, match="narrow a partition grant only"):
        TableGrant(AUDIT, "read", query=True)


def entry_of(entry_id: str) -> Entrypoint:
    return next(e for e in ENTRYPOINTS if e.id == entry_id)


# --- schedules and timeouts ------------------------------------------------------------------


def test_daily_at_reads_only_daily_crons():
    assert daily_at("cron(0 8 * * ? *)") == time(8, 0)
    assert daily_at("cron(30 23 * * ? *)") == time(23, 30)
    for other in (
        EVERY_MINUTE,
        "rate(1 day)",
        "cron(0 8 ? * MON *)",
        "cron(0 24 * * ? *)",
        "cron(60 1 * * ? *)",
    ):
        assert daily_at(other) is None, other


def test_every_schedule_entry_runs_every_minute_or_daily():
    scheduled = [e for e in ENTRYPOINTS if e.trigger == "schedule"]
    assert {e.id for e in scheduled if e.every_minute} == {
        "NotifySweep",
        "NotifyGroupReminders",
        "NotifyDigest",
    }
    assert {e.id for e in scheduled if e.daily is not None} == {"CoverageRecheck"}
    for entry in scheduled:
        assert entry.every_minute != (entry.daily is not None), entry.id
    for entry in ENTRYPOINTS:
        if entry.trigger != "schedule":
            assert not entry.every_minute, entry.id
            assert entry.daily is None, entry.id


def test_coverage_recheck_runs_nightly_for_up_to_fifteen_minutes():
    recheck = entry_of("CoverageRecheck")
    assert (recheck.domain, recheck.trigger, recheck.module) == (
        "coverage",
        "schedule",
        "functions.coverage.recheck",
    )
    assert recheck.schedule == "cron(0 8 * * ? *)"  # 02:00 US Central standard time
    assert recheck.daily == time(8, 0)
    assert recheck.timeout == 900
    assert {(g.table.key, g.access, g.index) for g in recheck.grants} == {
        (COVERAGE.key, "readwrite", None),
        (AUDIT.key, "append", None),
    }


def test_every_trigger_has_a_default_timeout():
    assert set(DEFAULT_TIMEOUT_SECONDS) == set(get_args(Trigger))


def test_timeouts_default_per_trigger():
    for entry in ENTRYPOINTS:
        if entry.timeout_seconds is None:
            assert entry.timeout == DEFAULT_TIMEOUT_SECONDS[entry.trigger], entry.id
        assert 1 <= entry.timeout <= 900, entry.id
    assert entry_of("NotifySweep").timeout == 60


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"schedule": "rate(5 minutes)"}, "schedule must be"),
        ({"trigger": "api", "schedule": "cron(0 8 * * ? *)"}, "only schedule-trigger"),
        ({"timeout_seconds": 901}, "timeout_seconds"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"trigger": "event"}, "event_pattern"),
        ({"trigger": "queue", "event_pattern": {"source": ["tandem.coverage"]}}, "event_pattern"),
        ({"trigger": "topic", "event_pattern": {"source": ["tandem.coverage"]}}, "event_pattern"),
        ({"trigger": "topic", "schedule": "cron(0 8 * * ? *)"}, "only schedule-trigger"),
        ({"trigger": "topic", "stream_filters": ({"dynamodb": {}},)}, "stream_filters"),
    ],
)
def test_entrypoints_refuse_what_infra_and_local_cannot_run(changes: dict[str, Any], problem: str):
    fields: dict[str, Any] = {
        "id": "X",
        "domain": "notify",
        "handler": "m.f",
        "trigger": "schedule",
        **changes,
    }
    with pytest.raises(ValueError, match=problem):
        Entrypoint(**fields)


# --- the program's event bus ---------------------------------------------------------------


def test_only_the_coverage_alert_raisers_put_events_on_the_bus():
    assert {e.id for e in ENTRYPOINTS if e.emits_events} == {
        "CoverageApi",
        "CoverageEvents",
        "CoverageRecheck",
    }
    for entry in ENTRYPOINTS:
        assert (EVENT_BUS_ENV in resource_env_vars(entry)) == (entry.emits_events or entry.checks_readiness)
    assert EVENT_BUS_ENV == "EVENT_BUS_NAME"


def test_coverage_prices_consumes_only_the_prices_changed_event():
    copies = entry_of("CoveragePrices")
    assert (copies.domain, copies.trigger, copies.handler) == (
        "coverage",
        "event",
        "functions.coverage.prices.lambda_handler",
    )
    assert copies.event_pattern == {
        "source": ["tandem.coverage"],
        "detail-type": ["billing.reference.changed"],
    }
    assert {(g.table.key, g.access, g.index) for g in copies.grants} == {(COVERAGE.key, "readwrite", None)}
    assert not copies.emits_events


def test_notify_alerts_consumes_coverage_events_from_the_bus():
    alerts = entry_of("NotifyAlerts")
    assert (alerts.domain, alerts.trigger, alerts.handler) == (
        "notify",
        "event",
        "functions.notify.alerts.lambda_handler",
    )
    assert alerts.event_pattern == {
        "source": [COVERAGE_EVENT_SOURCE],
        "detail-type": ["authorization.low", "authorization.expiring", "eligibility.problem"],
    }
    assert {(g.table.key, g.access, g.index) for g in alerts.grants} == {(NOTIFY.key, "readwrite", None)}
    assert alerts.timeout == DEFAULT_TIMEOUT_SECONDS["event"] == 30
    assert alerts.notifies_coordinators
    assert not alerts.emits_events  # it never feeds the bus it consumes
    assert [e.id for e in event_entrypoints()] == [
        "ScheduleAuthorizationFlags",
        "CoveragePrices",
        "NotifyAlerts",
    ]
    assert {e.id for e in ENTRYPOINTS if e.notifies_coordinators} == {"NotifyAlerts", "NotifySweep"}


def test_the_consumer_pattern_names_the_source_coverage_puts_events_with():
    from functions.coverage.alerts import SOURCE

    assert SOURCE == COVERAGE_EVENT_SOURCE


# --- two-way SMS -----------------------------------------------------------------------------


def test_notify_inbound_consumes_the_inbound_sms_topic():
    inbound = entry_of("NotifyInbound")
    assert (inbound.domain, inbound.trigger, inbound.handler) == (
        "notify",
        "topic",
        "functions.notify.inbound.lambda_handler",
    )
    assert [e.id for e in topic_entrypoints()] == ["NotifyInbound"]
    # It changes consent (audited), keeps idempotency records per inbound message, and answers by SMS
    assert {(g.table.key, g.access, g.index) for g in inbound.grants} == {
        (NOTIFY.key, "readwrite", None),
        (AUDIT.key, "append", None),
        (IDEMPOTENCY.key, "readwrite", None),
    }
    assert inbound.sends_sms
    assert not inbound.sends_email
    assert not inbound.sends_to_queue
    assert not inbound.emits_events
    assert inbound.timeout == DEFAULT_TIMEOUT_SECONDS["topic"] == 30


def test_the_minute_sweep_alone_watches_the_send_dead_letter_queue_and_alerts_coordinators():
    sweep = entry_of("NotifySweep")
    assert sweep.every_minute
    assert sweep.watches_dead_letters
    assert sweep.notifies_coordinators
    assert {e.id for e in ENTRYPOINTS if e.watches_dead_letters} == {"NotifySweep"}
    for entry in ENTRYPOINTS:
        expected = entry.watches_dead_letters or entry.checks_readiness
        assert (DLQ_URL_ENV in resource_env_vars(entry)) == expected, entry.id
    assert DLQ_URL_ENV == "NOTIFY_DLQ_URL"


# --- the clearinghouse -----------------------------------------------------------------------


def test_only_eligibility_checkers_use_the_clearinghouse():
    assert {e.id for e in ENTRYPOINTS if e.uses_clearinghouse} == {"CoverageApi", "CoverageRecheck"}
    for entry in ENTRYPOINTS:
        given = set(CLEARINGHOUSE_ENV) & resource_env_vars(entry)
        assert given == (set(CLEARINGHOUSE_ENV) if entry.uses_clearinghouse else set()), entry.id


def test_clearinghouse_variables_are_the_ones_payer_link_reads():
    """The names CDK sets are aliases of the settings `payer_link` loads (the recheck's extend them)."""
    from functions.coverage.clearinghouse import ClearinghouseSettings
    from functions.coverage.recheck import SETTINGS as RECHECK_SETTINGS

    assert set(CLEARINGHOUSE_ENV) <= {field.alias for field in ClearinghouseSettings.model_fields.values()}
    assert issubclass(RECHECK_SETTINGS, ClearinghouseSettings)


# --- the local runtime runs each schedule as AWS would ---------------------------------------


@pytest.fixture
def invoked(monkeypatch) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []

    def fake_invoke(entry: Entrypoint, event: dict[str, Any]) -> dict[str, Any]:
        calls.append((entry.id, event))
        return {"ok": True}

    monkeypatch.setattr(pollers, "invoke", fake_invoke)
    return calls


def test_the_minute_sweep_invokes_only_minute_entries(invoked):
    pollers.run_sweep()
    assert [entry_id for entry_id, _ in invoked] == ["NotifySweep", "NotifyGroupReminders", "NotifyDigest"]
    event = invoked[0][1]
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"][0].endswith("rule/tandem-local-minute")


def test_run_nightly_invokes_the_recheck_on_demand(invoked):
    assert pollers.run_nightly() == {"CoverageRecheck": {"ok": True}}
    assert pollers.run_nightly("CoverageRecheck") == {"CoverageRecheck": {"ok": True}}
    assert [entry_id for entry_id, _ in invoked] == ["CoverageRecheck", "CoverageRecheck"]
    assert invoked[0][1]["source"] == "aws.events"
    with pytest.raises(KeyError):
        pollers.run_nightly("NotifySweep")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _runner(clock: Clock) -> tuple[pollers.NightlyRunner, list[str], list[str]]:
    runs: list[str] = []
    log: list[str] = []
    runner = pollers.NightlyRunner(log.append, clock=clock, run=lambda entry, _event: runs.append(entry.id))
    return runner, runs, log


def test_nightly_runner_runs_once_a_day_at_the_cron_time():
    clock = Clock(datetime(2025, 3, 3, 7, 59, tzinfo=UTC))
    runner, runs, _ = _runner(clock)
    assert [e.id for e in runner.entries] == ["CoverageRecheck"]
    runner.step()
    assert runs == []  # 07:59 UTC: not yet
    clock.now = datetime(2025, 3, 3, 8, 0, 30, tzinfo=UTC)
    runner.step()
    runner.step()
    assert runs == ["CoverageRecheck"]  # once, however often it steps
    clock.now = datetime(2025, 3, 3, 23, 59, tzinfo=UTC)
    runner.step()
    assert runs == ["CoverageRecheck"]
    clock.now = datetime(2025, 3, 4, 0, 1, tzinfo=UTC)
    runner.step()
    assert runs == ["CoverageRecheck"]  # the next day, but before 08:00
    clock.now = datetime(2025, 3, 4, 8, 5, tzinfo=UTC)
    runner.step()
    assert runs == ["CoverageRecheck", "CoverageRecheck"]


def test_nightly_runner_started_after_the_time_waits_for_the_next_day():
    clock = Clock(datetime(2025, 3, 3, 14, 0, tzinfo=ZoneInfo("America/Chicago")))  # 20:00 UTC
    runner, runs, _ = _runner(clock)
    runner.step()
    assert runs == []
    clock.now = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
    runner.step()
    assert runs == ["CoverageRecheck"]


def test_nightly_runner_logs_a_failed_run_and_does_not_repeat_it_that_day():
    clock = Clock(datetime(2025, 3, 3, 7, 0, tzinfo=UTC))
    log: list[str] = []
    calls: list[str] = []

    def failing(entry: Entrypoint, _event: dict[str, Any]) -> None:
        calls.append(entry.id)
        raise RuntimeError("clearinghouse down")

    runner = pollers.NightlyRunner(log.append, clock=clock, run=failing)
    clock.now = datetime(2025, 3, 3, 8, 1, tzinfo=UTC)
    runner.step()
    runner.step()
    assert calls == ["CoverageRecheck"]
    assert log == ["CoverageRecheck: nightly run failed: RuntimeError: clearinghouse down"]
