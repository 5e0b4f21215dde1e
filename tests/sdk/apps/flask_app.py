"""The same app in Flask, served by werkzeug (threaded): ``python -m tests.sdk.apps.flask_app PORT``.

Everything is synchronous as in the seeds' Flask and ``syncio`` snippets: ``@verify_session()`` with the
session in ``g.supertokens``, ``session.sync_*`` methods, ``supertokens_python.recipe.*.syncio``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, jsonify, request
from supertokens_python.framework.flask import Middleware
from supertokens_python.recipe.session import SessionContainer
from supertokens_python.recipe.session.framework.flask import verify_session
from supertokens_python.recipe.session.syncio import (
    create_new_session,
    get_all_session_handles_for_user,
    get_session_information,
    merge_into_access_token_payload,
    revoke_all_sessions_for_user,
    revoke_session,
    update_session_data_in_database,
)
from supertokens_python.recipe.usermetadata.syncio import (
    clear_user_metadata,
    get_user_metadata,
    update_user_metadata,
)
from supertokens_python.types import RecipeUserId

from tests.sdk.apps.common import init_supertokens, session_view

init_supertokens("flask", "wsgi")

app = Flask(__name__)
Middleware(app)


def _body() -> dict[str, Any]:
    body: dict[str, Any] = request.get_json(force=True)
    return body


@app.route("/health", methods=["GET"])
def health() -> Response:
    return jsonify({"ok": True})


@app.route("/login", methods=["POST"])
def login() -> Response:
    body = _body()
    s = create_new_session(
        request,
        body.get("tenantId", "public"),
        RecipeUserId(body["userId"]),
        body.get("accessTokenPayload"),
        body.get("sessionData"),
    )
    return jsonify(session_view(s))


@app.route("/me", methods=["GET"])
@verify_session()
def me() -> Response:
    session: SessionContainer = g.supertokens
    return jsonify(session_view(session))


@app.route("/me-db", methods=["GET", "POST"])
@verify_session(check_database=True)
def me_db() -> Response:
    session: SessionContainer = g.supertokens
    return jsonify(session_view(session))


@app.route("/update-access-token-payload", methods=["POST"])
@verify_session()
def update_access_token_payload() -> Response:
    """Seed 003 (Flask), online."""
    session: SessionContainer = g.supertokens
    session.sync_merge_into_access_token_payload(_body())
    return jsonify(session_view(session))


@app.route("/update_info", methods=["POST"])
@verify_session()
def update_info() -> Response:
    """Seed 002, method 1 (Flask)."""
    session: SessionContainer = g.supertokens
    curr_session_data = session.sync_get_session_data_from_database()
    before = dict(curr_session_data)
    curr_session_data.update(_body())
    session.sync_update_session_data_in_database(curr_session_data)
    return jsonify({"before": before, "after": session.sync_get_session_data_from_database()})


@app.route("/updateinfo", methods=["POST"])
@verify_session()
def updateinfo() -> Response:
    """Seed 000 (syncio)."""
    session: SessionContainer = g.supertokens
    return jsonify({"metadata": update_user_metadata(session.get_user_id(), _body()).metadata})


def _seed_002_offline(body: dict[str, Any]) -> list[str]:
    session_handles = get_all_session_handles_for_user(body["userId"])
    for handle in session_handles:
        session_information = get_session_information(handle)
        if session_information is None:
            continue
        current_session_data = session_information.session_data_in_database
        current_session_data["newKey"] = "newValue"
        update_session_data_in_database(handle, current_session_data)
    return session_handles


def _seed_003_offline(body: dict[str, Any]) -> list[str]:
    session_handles = get_all_session_handles_for_user(body["userId"])
    for handle in session_handles:
        session_information = get_session_information(handle)
        if session_information is None:
            continue
        merge_into_access_token_payload(handle, {"newKey": "newValue"})
    return session_handles


def _information(body: dict[str, Any]) -> dict[str, Any] | None:
    info = get_session_information(body["handle"])
    return None if info is None else info.to_json()


def _handles(body: dict[str, Any]) -> list[str]:
    if "tenantId" in body:
        return get_all_session_handles_for_user(body["userId"], tenant_id=body["tenantId"])
    return get_all_session_handles_for_user(body["userId"])


def _revoke_all(body: dict[str, Any]) -> list[str]:
    if "tenantId" in body:
        return revoke_all_sessions_for_user(body["userId"], tenant_id=body["tenantId"])
    return revoke_all_sessions_for_user(body["userId"])


def _metadata_clear(body: dict[str, Any]) -> None:
    clear_user_metadata(body["userId"])


OFFLINE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "handles": _handles,
    "information": _information,
    "merge": lambda b: merge_into_access_token_payload(b["handle"], b["update"]),
    "session-data": lambda b: update_session_data_in_database(b["handle"], b["data"]),
    "revoke": lambda b: revoke_session(b["handle"]),
    "revoke-all": _revoke_all,
    "metadata-get": lambda b: get_user_metadata(b["userId"]).metadata,
    "metadata-update": lambda b: update_user_metadata(b["userId"], b["update"]).metadata,
    "metadata-clear": _metadata_clear,
    "seed-002": _seed_002_offline,
    "seed-003": _seed_003_offline,
}


@app.route("/offline/<call>", methods=["POST"])
def offline(call: str) -> tuple[Response, int]:
    try:
        result = OFFLINE[call](_body())
    except Exception as error:  # the SDK raises plain Exceptions for the core's 4xx/5xx
        return jsonify({"error": f"{type(error).__name__}: {error}"}), 500
    return jsonify({"result": result}), 200


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
