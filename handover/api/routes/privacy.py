"""Supervisors' privacy API: erase or export everything held about one customer.

A customer is named by exactly one of `customer_id` (CRM id) or `account` (8 digits starting
with 3). Both calls answer with JSON: the erasure receipt lists every store and what was
removed from it; the export holds every record found.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, root_validator

from handover.api.deps import CleanJsonBody, CurrentSupervisor
from handover.api.responses import AUTHENTICATED, FORBIDDEN
from privacy import erasure
from privacy.erasure import PrivacyStores

logger = logging.getLogger(__name__)
router = APIRouter(
    prefix="/api/privacy",
    tags=["privacy"],
    dependencies=[CleanJsonBody],
    responses={**AUTHENTICATED, 403: FORBIDDEN},
)


class Customer(BaseModel):
    """Exactly one of the two identifiers."""

    customer_id: str | None = Field(None, regex=erasure.CUSTOMER_ID.pattern, max_length=64)
    account: str | None = Field(None, regex=erasure.ACCOUNT_NUMBER.pattern, max_length=8)

    @root_validator(skip_on_failure=True)
    def exactly_one(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        try:
            erasure.check_identifier(customer_id=values["customer_id"], account=values["account"])
        except ValueError as error:
            raise ValueError(str(error)) from error
        return values


def _stores(request: Request) -> PrivacyStores:
    return request.app.state.privacy_stores


def _customer(customer_id: str | None, account: str | None) -> Customer:
    # Query parameters are checked by the same model as the body of erase.
    try:
        return Customer(customer_id=customer_id, account=account)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from error


@router.post("/erase")
async def erase(body: Customer, request: Request, supervisor: CurrentSupervisor) -> dict[str, Any]:
    """Delete the customer's conversations, tracker events, queue entries and CRM tickets."""
    receipt = await erasure.erase(_stores(request), **body.dict())
    # The audit trail: who erased, and how much (identifiers only, no personal data).
    logger.info(
        "%s erased the data of customer %s: %d conversation(s)",
        supervisor.username, receipt["customer_id"], len(receipt["conversations"]),
    )  # fmt: skip
    return receipt


@router.get("/export")
async def export(
    request: Request,
    supervisor: CurrentSupervisor,
    customer_id: str | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """Everything held about the customer, as JSON."""
    customer = _customer(customer_id, account)
    return await erasure.export(_stores(request), **customer.dict())
