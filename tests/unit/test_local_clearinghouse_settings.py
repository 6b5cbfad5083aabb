"""`make serve` pointed at another CAQH CORE endpoint: the TANDEM_CLEARINGHOUSE_* settings."""

from __future__ import annotations

import pytest

from local.settings import ClearinghouseEndpoint, LocalSettings

ALL = {
    "TANDEM_CLEARINGHOUSE_URL": "https://core.clearinghouse.example/realtime",
    "TANDEM_CLEARINGHOUSE_USER": "tandem",
    "TANDEM_CLEARINGHOUSE_PASSWORD": "pw",
    "TANDEM_CLEARINGHOUSE_SENDER_ID": "TANDEMIOP",
    "TANDEM_CLEARINGHOUSE_RECEIVER_ID": "CLEARHOUSE",
}


def test_without_a_url_the_local_simulator_is_used(monkeypatch):
    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    assert LocalSettings.from_env().clearinghouse is None


def test_a_url_with_its_credentials_names_the_endpoint(monkeypatch):
    for name, value in ALL.items():
        monkeypatch.setenv(name, value)
    assert LocalSettings.from_env().clearinghouse == ClearinghouseEndpoint(
        "https://core.clearinghouse.example/realtime", "tandem", "pw", "TANDEMIOP", "CLEARHOUSE"
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"TANDEM_CLEARINGHOUSE_PASSWORD": ""}, "also needs TANDEM_CLEARINGHOUSE_PASSWORD"),
        ({"TANDEM_CLEARINGHOUSE_URL": "http://core.clearinghouse.example/x"}, "must be an https URL"),
    ],
)
def test_an_incomplete_endpoint_is_refused_naming_what_is_wrong(monkeypatch, change, error):
    for name, value in {**ALL, **change}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=error):
        LocalSettings.from_env()
