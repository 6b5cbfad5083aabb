"""The Chime adapter's calls, checked with botocore's Stubber (moto has no Chime SDK
meetings), and the fake's determinism."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from functions.schedule.rooms import ChimeRooms, FakeRooms, RoomGone


def chime() -> tuple[Any, Stubber]:
    client = boto3.client("chime-sdk-meetings", region_name="us-east-1")
    return client, Stubber(client)


def test_chime_creates_a_meeting_named_by_the_session_only():
    client, stub = chime()
    stub.add_response(
        "create_meeting",
        {"Meeting": {"MeetingId": "m-1"}},
        {
            "ClientRequestToken": "ses_123456789",
            "ExternalMeetingId": "ses_123456789",
            "MediaRegion": "us-east-1",
        },
    )
    with stub:
        assert ChimeRooms(client, "us-east-1").create_room("ses_123456789") == "m-1"


def test_chime_join_is_an_attendee_keyed_by_an_opaque_id():
    client, stub = chime()
    stub.add_response(
        "create_attendee",
        {"Attendee": {"AttendeeId": "a-1", "JoinToken": "t-1", "ExternalUserId": "per_alex0001"}},
        {"MeetingId": "m-1", "ExternalUserId": "per_alex0001"},
    )
    stub.add_response(
        "get_meeting",
        {"Meeting": {"MeetingId": "m-1", "MediaPlacement": {"AudioHostUrl": "audio.example"}}},
        {"MeetingId": "m-1"},
    )
    with stub:
        join = ChimeRooms(client, "us-east-1").join("m-1", "per_alex0001")
    assert (join.attendee_id, join.join_token) == ("a-1", "t-1")
    assert join.media_placement == {"AudioHostUrl": "audio.example"}


def test_an_ended_chime_meeting_is_reported_as_gone():
    client, stub = chime()
    stub.add_client_error("create_attendee", service_error_code="NotFoundException", http_status_code=404)
    with stub, pytest.raises(RoomGone):
        ChimeRooms(client, "us-east-1").join("m-ended", "per_alex0001")


def test_the_fake_is_deterministic_and_distinguishes_people():
    rooms = FakeRooms("secret")
    meeting = rooms.create_room("ses_1")
    assert meeting == rooms.create_room("ses_1") != rooms.create_room("ses_2")
    assert rooms.join(meeting, "a") == rooms.join(meeting, "a")
    assert rooms.join(meeting, "a").attendee_id != rooms.join(meeting, "b").attendee_id
