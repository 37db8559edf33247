"""The model server the Rasa servers poll (endpoints.yml `models:`, Rasa's own mechanism).

`GET /api/bot/models/{server}` hands Rasa server "a" or "b" the model the roll-out gave it
(`trainer.rollout.server_models`): the file with `ETag` = the model's id, and `filename` =
"<id>.tar.gz", which Rasa's `/status` then reports as its `model_file` (how the gateway knows a
candidate is loaded). Rasa sends back the ETag it holds as `If-None-Match`: the same model is a
304 and costs nothing. Only the Rasa servers may download models: the bearer token is the one
the gateway and Rasa share (`HANDOVER_RASA_TOKEN`, Rasa's `--auth-token`).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import FileResponse, Response

from handover.api.deps import Credentials, HubDep
from handover.api.responses import UNAUTHORISED, problem
from trainer import registry, rollout
from trainer.settings import TrainerSettings

Server = Literal["a", "b"]

router = APIRouter(prefix="/api/bot", tags=["bot"], include_in_schema=True)


def rasa_caller(hub: HubDep, credentials: Credentials) -> None:
    """Only the Rasa servers, with the token they share with the gateway."""
    expected = hub.settings.rasa_token.encode()
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), expected):
        raise HTTPException(
            401, "the Rasa servers' token is required", {"WWW-Authenticate": "Bearer"}
        )


@router.get(
    "/models/{server}",
    dependencies=[Depends(rasa_caller)],
    response_class=FileResponse,
    responses={
        200: {"content": {"application/gzip": {}}, "description": "The model file"},
        304: {"description": "The server holds this model already"},
        401: UNAUTHORISED,
        404: problem("No model for this server yet (no roll-out, or its file is missing)"),
    },
)
async def model_for(
    server: Server,
    hub: HubDep,
    request: Request,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Any:
    """The model Rasa server `server` must hold."""
    settings: TrainerSettings = request.app.state.trainer_settings

    def find(session: Any) -> registry.ModelRecord | None:
        model_id = rollout.server_models(session).get(server)
        return registry.get_model(session, model_id) if model_id else None

    record = await hub.db(find)
    if record is None:
        raise HTTPException(404, "no model for this server yet")
    if if_none_match is not None and if_none_match.strip('"') == record.id:
        return Response(status_code=304, headers={"ETag": record.id})
    path = registry.model_file(settings, record)
    if not path.is_file():
        raise HTTPException(404, "the model's file is missing from the registry")
    headers = {"ETag": record.id, "filename": f"{record.id}.tar.gz"}
    return FileResponse(path, media_type="application/gzip", headers=headers)
