"""Mock network-status system: active incidents by postcode."""

from fastapi import FastAPI, HTTPException

from connectors.formats import is_uk_postcode, normalise_postcode, outward_code
from connectors.mocks.faults import add_mock_routes
from connectors.mocks.seed import Dataset
from connectors.network import Incident


def create_app(dataset: Dataset) -> FastAPI:
    """Build the network mock."""
    app = FastAPI(title="Nimbus network status (mock)")
    add_mock_routes(app, "network")

    @app.get("/incidents", response_model=list[Incident])
    async def incidents_for(postcode: str) -> list[Incident]:
        if not is_uk_postcode(postcode):
            raise HTTPException(422, "not a UK postcode")
        # An incident lists full postcodes (a street cabinet) or districts (a mast, an exchange).
        touched = {normalise_postcode(postcode), outward_code(postcode)}
        return [incident for incident in dataset.incidents if touched & set(incident.postcodes)]

    return app
