"""Virtual rooms behind an adapter: Amazon Chime SDK meetings in AWS, a fake locally.

A room is created when someone first joins (Chime ends an empty meeting after a few
minutes, so creating it at booking time would only make it expire); its id is kept on the
session. Each join is an attendee of that meeting; `external_user_id` is an opaque
person or couple id, never a name.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Join:
    meeting_id: str
    attendee_id: str
    join_token: str
    media_placement: dict[str, str]


class RoomGone(Exception):
    """The provider no longer has the meeting (it ended); a new one must be created."""


class VideoRooms(Protocol):
    provider: str

    def create_room(self, session_id: str) -> str: ...

    def join(self, meeting_id: str, external_user_id: str) -> Join: ...


class ChimeRooms:
    """Amazon Chime SDK meetings (`chime-sdk-meetings`)."""

    provider = "chime"

    def __init__(self, client: Any, media_region: str) -> None:
        self._client = client
        self._region = media_region

    def create_room(self, session_id: str) -> str:
        response = self._client.create_meeting(
            ClientRequestToken=session_id, ExternalMeetingId=session_id, MediaRegion=self._region
        )
        return str(response["Meeting"]["MeetingId"])

    def join(self, meeting_id: str, external_user_id: str) -> Join:
        try:
            response = self._client.create_attendee(MeetingId=meeting_id, ExternalUserId=external_user_id)
            meeting = self._client.get_meeting(MeetingId=meeting_id)["Meeting"]
        except self._client.exceptions.NotFoundException as exc:
            raise RoomGone(meeting_id) from exc
        attendee = response["Attendee"]
        return Join(
            meeting_id=meeting_id,
            attendee_id=str(attendee["AttendeeId"]),
            join_token=str(attendee["JoinToken"]),
            media_placement={k: str(v) for k, v in meeting.get("MediaPlacement", {}).items()},
        )


class FakeRooms:
    """The local stand-in (moto has no Chime SDK meetings): deterministic ids and tokens, so
    the same person joining twice gets the same attendee, as Chime does for one user id."""

    provider = "local-fake"

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _digest(self, *parts: str) -> str:
        return hmac.new(self._secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()

    def create_room(self, session_id: str) -> str:
        return "local-" + self._digest("meeting", session_id)[:32]

    def join(self, meeting_id: str, external_user_id: str) -> Join:
        return Join(
            meeting_id=meeting_id,
            attendee_id="att-" + self._digest("attendee", meeting_id, external_user_id)[:24],
            join_token=self._digest("token", meeting_id, external_user_id),
            media_placement={"AudioHostUrl": f"https://rooms.local.invalid/{meeting_id}"},
        )


def rooms_from_env(client_factory: Any) -> VideoRooms:
    """`VIDEO_ROOMS=chime` (the deployed default) or `fake` (local runtime and tests)."""
    kind = os.environ.get("VIDEO_ROOMS", "chime")
    if kind == "fake":
        return FakeRooms(os.environ.get("VIDEO_ROOMS_FAKE_SECRET", "local-only"))
    region = os.environ.get("AWS_REGION", "us-east-1")
    return ChimeRooms(client_factory("chime-sdk-meetings"), media_region=region)
