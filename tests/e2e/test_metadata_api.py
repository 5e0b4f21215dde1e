"""User metadata over real HTTP against the local server (template routes, same handlers)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.conftest import API_KEY, Api


def metadata_path(user_id: str) -> str:
    return f"/users/{quote(user_id, safe='')}/metadata"


def test_unknown_user_reads_as_empty(api: Api, unique_id: str) -> None:
    response = api.call("GET", metadata_path(unique_id))
    assert (response.status_code, response.json()) == (200, {"metadata": {}})
    assert response.headers["Content-Type"] == "application/json"


def test_patch_merges_and_get_reads_it_back(api: Api, unique_id: str) -> None:
    path = metadata_path(unique_id)
    first = api.call(
        "PATCH",
        path,
        json={
            "metadataUpdate": {
                "preferences": {"theme": "dark"},
                "notifications": {"email": True},
                "todos": ["use-text-notifs"],
            }
        },
    )
    assert first.status_code == 200
    second = api.call("PATCH", path, json={"metadataUpdate": {"notifications": {"sms": True}, "todos": None}})
    expected = {"metadata": {"preferences": {"theme": "dark"}, "notifications": {"sms": True}}}
    assert (second.status_code, second.json()) == (200, expected)
    assert api.call("GET", path).json() == expected


def test_issue_vectors(api: Api, unique_id: str) -> None:
    path = metadata_path(unique_id)
    assert api.call("PATCH", path, json={"metadataUpdate": {"test": "123", "testNull": None}}).json() == {
        "metadata": {"test": "123"}
    }
    api.call("DELETE", path)
    api.call(
        "PATCH",
        path,
        json={"metadataUpdate": {"testUpdate": {"subsub": "123"}, "unmodified": "123", "cleared": 123}},
    )
    response = api.call(
        "PATCH",
        path,
        json={
            "metadataUpdate": {"testUpdate": {"subsubupdate": "subnew!"}, "testNew": "new!", "cleared": None}
        },
    )
    assert response.json() == {
        "metadata": {"testUpdate": {"subsubupdate": "subnew!"}, "unmodified": "123", "testNew": "new!"}
    }


def test_types_unicode_and_nested_nulls_round_trip_over_http(api: Api, unique_id: str) -> None:
    path = metadata_path(unique_id)
    body = (
        '{"metadataUpdate": {"i": 1, "f": 1.0, "b": false, "n": {"x": null}, "ü": "✓",'
        ' "big": 123456789012345678901234567890}}'
    )
    response = api.call("PATCH", path, data=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200
    text = api.call("GET", path).text
    # Exact text: 1.0 stays a float, the 30-digit int stays exact, keys come back sorted.
    expected = (
        '{"metadata":{"b":false,"big":123456789012345678901234567890,"f":1.0,"i":1,"n":{"x":null},"ü":"✓"}}'
    )
    assert text == expected


def test_delete_clears(api: Api, unique_id: str) -> None:
    path = metadata_path(unique_id)
    api.call("PATCH", path, json={"metadataUpdate": {"a": 1}})
    response = api.call("DELETE", path)
    assert (response.status_code, response.json()) == (200, {"metadata": {}})
    assert api.call("GET", path).json() == {"metadata": {}}


def test_unicode_and_reserved_characters_in_user_id(api: Api) -> None:
    user_id = "üser +@:;,=&$ ()'!*~"
    path = metadata_path(user_id)
    api.call("PATCH", path, json={"metadataUpdate": {"who": user_id}})
    assert api.call("GET", path).json() == {"metadata": {"who": user_id}}


def test_bearer_authorization_is_accepted(api: Api, unique_id: str) -> None:
    response = api.call(
        "GET", metadata_path(unique_id), key=None, headers={"authorization": f"Bearer {API_KEY}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("key", "code"),
    [(None, "MISSING_API_KEY"), ("wrong-key", "INVALID_API_KEY"), (API_KEY + "x", "INVALID_API_KEY")],
)
def test_missing_or_wrong_api_key_is_401(api: Api, unique_id: str, key: str | None, code: str) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = api.call(method, metadata_path(unique_id), key=key, json={"metadataUpdate": {"a": 1}})
        assert response.status_code == 401
        assert response.json()["code"] == code
        assert API_KEY not in response.text


BAD_REQUESTS = [
    ("invalid json", b'{"metadataUpdate": ', 400, "INVALID_JSON"),
    ("not an object", b"[1]", 400, "INVALID_JSON"),
    ("empty body", b"", 400, "INVALID_JSON"),
    ("missing metadataUpdate", b'{"other": {}}', 400, "VALIDATION_ERROR"),
    ("metadataUpdate not an object", b'{"metadataUpdate": [1]}', 400, "VALIDATION_ERROR"),
    ("metadataUpdate null", b'{"metadataUpdate": null}', 400, "VALIDATION_ERROR"),
    ("extra field", b'{"metadataUpdate": {}, "x": 1}', 400, "VALIDATION_ERROR"),
    ("empty key", b'{"metadataUpdate": {"": 1}}', 400, "INVALID_KEY"),
    ("duplicate key", b'{"metadataUpdate": {"a": 1, "a": 2}}', 400, "DUPLICATE_KEY"),
    ("NaN", b'{"metadataUpdate": {"a": NaN}}', 400, "INVALID_NUMBER"),
    ("invalid UTF-8", b'{"metadataUpdate": {"a": "\xff"}}', 400, "INVALID_UTF8"),
    ("lone surrogate", b'{"metadataUpdate": {"a": "\\udc00"}}', 400, "INVALID_UTF8"),
]


@pytest.mark.parametrize(
    ("body", "status", "code"), [b[1:] for b in BAD_REQUESTS], ids=[b[0] for b in BAD_REQUESTS]
)
def test_bad_bodies_are_4xx_json_and_change_nothing(
    api: Api, unique_id: str, body: bytes, status: int, code: str
) -> None:
    path = metadata_path(unique_id)
    api.call("PATCH", path, json={"metadataUpdate": {"before": "kept"}})
    response = api.call("PATCH", path, data=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["code"] == code
    assert set(response.json()) == {"code", "message"}
    assert "Traceback" not in response.text
    assert api.call("GET", path).json() == {"metadata": {"before": "kept"}}


def test_user_id_too_long_is_400(api: Api) -> None:
    response = api.call("GET", metadata_path("u" * 257))
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_USER_ID")


def test_blank_user_id_is_400(api: Api) -> None:
    response = api.call("PATCH", metadata_path(" "), json={"metadataUpdate": {"a": 1}})
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_USER_ID")


def test_oversized_body_is_413(api: Api, unique_id: str) -> None:
    response = api.call("PATCH", metadata_path(unique_id), json={"metadataUpdate": {"a": "x" * 500_000}})
    assert (response.status_code, response.json()["code"]) == (413, "BODY_TOO_LARGE")
    assert api.call("GET", metadata_path(unique_id)).json() == {"metadata": {}}


def test_prefer_return_minimal_answers_204_without_the_document(api: Api, unique_id: str) -> None:
    api.call("PATCH", f"/users/{unique_id}/metadata", json={"metadataUpdate": {"a": 1}})
    response = api.call(
        "PATCH",
        f"/users/{unique_id}/metadata",
        json={"metadataUpdate": {"b": 2}},
        headers={"prefer": "respond-async, return=minimal"},
    )
    assert (response.status_code, response.content, response.headers["Preference-Applied"]) == (
        204,
        b"",
        "return=minimal",
    )
    assert api.call("GET", f"/users/{unique_id}/metadata").json() == {"metadata": {"a": 1, "b": 2}}
