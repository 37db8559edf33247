"""Base model shared by every contract model."""

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel

Channel = Literal["sms", "email"]


def _iso_utc(value: datetime) -> str:
    # The contract writes timestamps with a `Z`; naive datetimes are taken to be UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class ContractModel(BaseModel):
    """Immutable model that serialises timestamps the way the contract writes them."""

    class Config:
        frozen = True
        json_encoders = {datetime: _iso_utc}
