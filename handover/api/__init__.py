"""REST API of the gateway (`/api/...`), documented in its OpenAPI schema."""
