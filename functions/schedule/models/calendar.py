"""Calendar feeds: the subscription link."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class FeedOut(BaseModel):
    url: str = Field(
        description="Subscribe to this in a calendar app. Shown once; rotate or revoke it any time."
    )
    path: str
    created_at: datetime
