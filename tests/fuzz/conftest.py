"""Fuzz fixtures: the e2e local server (same fixtures, imported) and the schema it serves."""

from __future__ import annotations

from tests.e2e.conftest import API_KEY, Api, api, server_log, server_url

__all__ = ["API_KEY", "Api", "api", "server_log", "server_url"]
