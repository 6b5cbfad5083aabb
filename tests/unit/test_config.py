"""Environment settings, validated with clear messages."""

from __future__ import annotations

import pytest

from functions.catalog import CLEARINGHOUSE_ENV, COORDINATOR_ALERT_IDS_ENV, EVENT_BUS_ENV
from functions.common.config import ApiSettings, load_settings
from functions.common.errors import ConfigurationError
from functions.coverage.events import EventsSettings
from functions.coverage.recheck import RecheckSettings
from functions.notify.alerts import AlertSettings


def test_load_settings_from_explicit_environ():
    settings = load_settings(
        ApiSettings,
        environ={"AUDIT_TABLE": "audit-t", "IDEMPOTENCY_TABLE": "idem-t", "AWS_REGION": "us-west-2"},
    )
    assert settings.audit_table == "audit-t"
    assert settings.idempotency_table == "idem-t"
    assert settings.region == "us-west-2"
    assert settings.stage == "local"


def test_load_settings_ignores_unrelated_variables():
    settings = load_settings(
        ApiSettings,
        environ={"AUDIT_TABLE": "a", "IDEMPOTENCY_TABLE": "i", "HOME": "/root", "TANDEM_STAGE": "prod"},
    )
    assert settings.stage == "prod"
    assert settings.region == "us-east-1"


def test_load_settings_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("AUDIT_TABLE", "from-env-audit")
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "from-env-idem")
    assert load_settings(ApiSettings).audit_table == "from-env-audit"


def test_missing_audit_table_is_named():
    with pytest.raises(ConfigurationError) as caught:
        load_settings(ApiSettings, environ={"IDEMPOTENCY_TABLE": "i"})
    assert "AUDIT_TABLE" in str(caught.value)
    assert "IDEMPOTENCY_TABLE" not in str(caught.value)
    assert caught.value.status == 500


def test_both_missing_are_named():
    with pytest.raises(ConfigurationError) as caught:
        load_settings(ApiSettings, environ={})
    message = str(caught.value)
    assert "AUDIT_TABLE" in message
    assert "IDEMPOTENCY_TABLE" in message


def test_recheck_settings_read_the_clearinghouse_environment_cdk_gives():
    # Given the variables CDK sets on a clearinghouse user in prod (names from the catalog)
    environ = dict(
        zip(
            CLEARINGHOUSE_ENV,
            (
                "https",
                "https://clearinghouse.example.org/x12/270",
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:tandem/clearinghouse",
                "P",
            ),
            strict=True,
        )
    )
    environ |= {"COVERAGE_TABLE": "c", "AUDIT_TABLE": "a", "TANDEM_STAGE": "prod"}
    # When the recheck loads its settings
    settings = load_settings(RecheckSettings, environ=environ)
    # Then it talks HTTPS to that endpoint with that secret, as production (ISA15 P)
    assert settings.resolved_mode() == "https"
    assert settings.url == "https://clearinghouse.example.org/x12/270"
    assert settings.secret_arn == environ["CLEARINGHOUSE_SECRET_ARN"]
    assert settings.provider().usage == "P"


def test_recheck_settings_refuse_production_without_a_clearinghouse():
    settings = load_settings(
        RecheckSettings, environ={"COVERAGE_TABLE": "c", "AUDIT_TABLE": "a", "TANDEM_STAGE": "prod"}
    )
    with pytest.raises(ConfigurationError, match="CLEARINGHOUSE"):
        settings.resolved_mode()


@pytest.mark.parametrize("model", [EventsSettings, RecheckSettings], ids=lambda m: m.__name__)
def test_coverage_alert_raisers_read_the_bus_cdk_names(model):
    # Given the variables CDK sets on an `emits_events` entry point (the bus under the catalog's name)
    environ = {"COVERAGE_TABLE": "c", "AUDIT_TABLE": "a", "IDEMPOTENCY_TABLE": "i"}
    # When its settings load, with and without the bus
    with_bus = load_settings(model, environ=environ | {EVENT_BUS_ENV: "tandem-prod-events"})
    without = load_settings(model, environ=environ)
    # Then it puts alerts on that bus; without one it only logs them
    assert with_bus.event_bus_name == "tandem-prod-events"
    assert without.event_bus_name is None


def test_notify_alerts_read_the_coordinators_cdk_names():
    environ = {"NOTIFY_TABLE": "n", COORDINATOR_ALERT_IDS_ENV: "per_a1, per_b2,,"}
    assert load_settings(AlertSettings, environ=environ).coordinators() == ["per_a1", "per_b2"]
    assert load_settings(AlertSettings, environ={"NOTIFY_TABLE": "n"}).coordinators() == []
