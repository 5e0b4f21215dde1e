"""Schemathesis against the local server: every operation of the served /openapi.json and of the CDI's
document (``build_cdi_openapi``, under /cdi), a bounded,
reproducible number of generated requests (valid and invalid), no 5xx and no contract violation.

Run alone with ``pytest -m fuzz tests/fuzz``. Failing cases found here are kept as plain tests in
``test_regressions.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

pytest.importorskip("schemathesis")

import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import API_KEY
from tools.localrun.openapi import build_cdi_openapi, build_openapi

pytestmark = pytest.mark.fuzz

#: Fixed, so that CI replays the same requests every run (schemathesis derives one seed per operation
#: from it). ``AUTHSTATE_FUZZ_SEED`` / ``AUTHSTATE_FUZZ_EXAMPLES`` explore further by hand.
SEED = int(os.environ.get("AUTHSTATE_FUZZ_SEED", "20260601"))
#: Fuzzing-phase examples per operation (the examples and coverage phases add their own, bounded).
MAX_EXAMPLES = int(os.environ.get("AUTHSTATE_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


# The contract the local server serves at /openapi.json (test_served_document_is_the_fuzzed_one checks
# that it is this one). Loaded eagerly, not with ``schemathesis.pytest.from_fixture``
# and ``from_url``: the lazy loader of schemathesis 4.32.5 sets ``request.node._nodeid``, which
# pytest 9 no longer has (AttributeError), so the schema cannot come from the server fixture.
CONFIG = {
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
    "auth": {"openapi": {"ApiKeyAuth": {"api_key": API_KEY}}},
    "request-timeout": 30,
}
schema = schemathesis.openapi.from_dict(build_openapi(), config=SchemathesisConfig.from_dict(CONFIG))
#: The CDI's own document (SuperTokens' Core Driver Interface under /cdi), fuzzed by the same run.
cdi_schema = schemathesis.openapi.from_dict(build_cdi_openapi(), config=SchemathesisConfig.from_dict(CONFIG))


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


#: ``parametrize()`` is typed as returning a bare Callable; it keeps the test's signature.
_parametrize = cast(Callable[[Callable[..., None]], Callable[..., None]], schema.parametrize())
_parametrize_cdi = cast(Callable[[Callable[..., None]], Callable[..., None]], cdi_schema.parametrize())


def _fresh_session(http: requests.Session, server_url: str) -> dict[str, Any]:
    response = http.post(
        f"{server_url}/sessions",
        json={"userId": "fuzz-user", "accessTokenPayload": {"role": "fuzz"}, "sessionData": {"step": 1}},
        headers={"api-key": API_KEY},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _use_live_session(case: schemathesis.Case[Any], http: requests.Session, server_url: str) -> None:
    """Positive fuzzing cases get a live session's tokens and handle in place of the generated ones,
    so that they get past verification and reach the store (random tokens never verify). Negative
    and coverage cases keep what was generated, so token parsing is fuzzed too."""
    meta = case.meta
    if meta is None or meta.phase.name != "fuzzing" or meta.generation.mode != GenerationMode.POSITIVE:
        return
    needs_tokens = isinstance(case.body, dict) and (
        {"accessToken", "refreshToken", "sessionHandle"} & set(case.body)
    )
    needs_handle = "sessionHandle" in (case.path_parameters or {}) or "sessionHandle" in (case.query or {})
    if not (needs_tokens or needs_handle):
        return
    created = _fresh_session(http, server_url)
    handle = created["session"]["handle"]
    if "sessionHandle" in (case.path_parameters or {}):
        case.path_parameters = {**(case.path_parameters or {}), "sessionHandle": handle}
    if "sessionHandle" in (case.query or {}):  # the CDI's GET /recipe/session
        case.query = {**(case.query or {}), "sessionHandle": handle}
    if isinstance(case.body, dict):
        body = dict(case.body)
        if "accessToken" in body:
            body["accessToken"] = created["accessToken"]["token"]
        if "refreshToken" in body:
            body["refreshToken"] = created["refreshToken"]["token"]
        if "sessionHandle" in body:  # the CDI's session data and payload writes
            body["sessionHandle"] = handle
        case.body = body


#: Hypothesis' settings of both runs: bounded, no example database, reproducible from SEED.
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=True,
)


def _call(case: schemathesis.Case[Any], http: requests.Session, server_url: str, base_url: str) -> None:
    _use_live_session(case, http, server_url)
    case.call_and_validate(base_url=base_url, session=http, checks=CHECKS)


@_parametrize
@BOUNDED
def test_api_conforms_to_its_contract(
    case: schemathesis.Case[Any], server_url: str, http: requests.Session
) -> None:
    _call(case, http, server_url, server_url)


@_parametrize_cdi
@BOUNDED
def test_cdi_conforms_to_its_contract(
    case: schemathesis.Case[Any], server_url: str, http: requests.Session
) -> None:
    _call(case, http, server_url, f"{server_url}/cdi")


def test_served_document_is_the_fuzzed_one(server_url: str, http: requests.Session) -> None:
    response = http.get(f"{server_url}/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == schema.raw_schema
