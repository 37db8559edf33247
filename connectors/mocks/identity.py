"""Mock identity provider: password-reset links."""

import hashlib
import itertools
import logging

from fastapi import FastAPI, HTTPException

from connectors.formats import mask_email, mask_phone
from connectors.identity import PasswordReset, PasswordResetRequest
from connectors.mocks.faults import add_mock_routes
from connectors.mocks.seed import Dataset

logger = logging.getLogger("connectors.mocks.identity")

RESET_TTL_MINUTES = 30


def create_app(dataset: Dataset) -> FastAPI:
    """Build the identity mock."""
    app = FastAPI(title="Nimbus identity (mock)")
    add_mock_routes(app, "identity")
    reset_numbers = itertools.count(1)

    @app.post("/password-resets", response_model=PasswordReset)
    async def send_password_reset(request: PasswordResetRequest) -> PasswordReset:
        customer = dataset.customers.get(request.customer_id)
        if customer is None:
            raise HTTPException(404, "unknown customer")
        number = next(reset_numbers)
        token = hashlib.sha256(f"{dataset.seed}:{number}".encode()).hexdigest()[:24]
        if request.channel == "sms":
            sent_to = mask_phone(customer.phone)
        else:
            sent_to = mask_email(customer.email)
        logger.info(
            "[%s to %s] reset your password: https://account.nimbus.example/reset/%s",
            request.channel,
            sent_to,
            token,
        )
        return PasswordReset(
            reset_id=f"PWR-{number:06d}", sent_to=sent_to, expires_in_minutes=RESET_TTL_MINUTES
        )

    return app
