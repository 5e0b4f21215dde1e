"""Tooling that is installed with the project but is not part of the deployed service."""
