"""``python -m actions.server``: rasa_sdk's action server, hardened.

rasa_sdk 3.6 binds 0.0.0.0, has no authentication and on an error answers HTTP 500 with
the whole request body (the conversation). This entry point runs rasa_sdk's executor in an
app of its own: it listens on 127.0.0.1 unless ACTION_SERVER_HOST says otherwise; every
call except /health must carry the shared secret that Rasa sends (endpoints.yml, header
X-Action-Token); errors are answered without echoing the request; and every action is
made once with the backend built here from this process's settings.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import traceback
import zlib
from pathlib import Path

import orjson
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Sanic, response
from sanic.request import Request

from actions import all_actions
from bot.backend import Backend
from bot.settings import Settings, require_production_ready
from bot.storage.migrate import upgrade

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Action-Token"  # noqa: S105 - a header name, not a secret
OPEN_PATHS = {"/health"}


def read_json(body: bytes) -> object:
    """A request body: orjson first (Rasa's call holds the whole tracker, and for some actions the
    domain, ~160 KB: the standard ``json`` spent a tenth of this server's CPU on it), ``json`` for
    what orjson refuses (NaN)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def create_secure_app(settings: Settings, backend: Backend | None = None) -> Sanic:
    """The action server's Sanic app: every action of the ``actions`` package, behind the shared secret."""
    token = settings.action_server_token
    if not token:
        raise ValueError("The action server needs a token (ACTION_SERVER_TOKEN).")
    backend = backend or Backend.from_settings(settings)
    executor = ActionExecutor()
    for action_class in all_actions():
        executor.register_action(action_class(backend))
    app = Sanic("welbevinden_actions", configure_logging=False)

    @app.get("/health")
    async def health(_request: Request):
        return response.json({"status": "ok"})

    @app.post("/webhook")
    async def webhook(request: Request):
        try:
            body = request.body
            if request.headers.get("Content-Encoding") == "deflate":  # RASA_COMPRESS_ACTION_SERVER_REQUEST
                body = zlib.decompress(body)
            action_call = read_json(body)
        except (ValueError, zlib.error):
            action_call = None
        if not isinstance(action_call, dict):
            return response.json({"error": "bad request"}, status=400)
        try:
            result = await executor.run(action_call)
        except ActionExecutionRejection as exc:  # a form rejected the message: Rasa predicts anew
            return response.json({"error": exc.message, "action_name": exc.action_name}, status=400)
        except ActionNotFoundException as exc:
            logger.error("Unknown action %s", exc.action_name)
            return response.json({"error": exc.message, "action_name": exc.action_name}, status=404)
        return response.json(result)

    @app.middleware("request")
    async def require_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        supplied = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def safe_error(request: Request, exception: Exception):
        # Log the type and where it happened, never the message or the body: both can
        # hold what the user typed.
        frames = traceback.extract_tb(exception.__traceback__)[-4:]
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
        logger.error("Action call failed: %s at %s", type(exception).__name__, where)
        status = getattr(exception, "status_code", 500)
        return response.json({"error": "internal error" if status >= 500 else "bad request"}, status=status)

    app.error_handler.add(Exception, safe_error)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the hardened action server.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT", "5055")))
    parser.add_argument("--host", default=os.environ.get("ACTION_SERVER_HOST", "127.0.0.1"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    require_production_ready(settings, "actions")  # APP_ENV=production: one list of what to fix
    upgrade(settings.database_url)  # once, however many processes start together
    app = create_secure_app(settings)
    logger.info("Action server on http://%s:%s", args.host, args.port)
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
