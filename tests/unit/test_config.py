"""Environment settings, validated with clear messages."""

from __future__ import annotations

import pytest

from functions.common.config import ApiSettings, load_settings
from functions.common.errors import ConfigurationError


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
