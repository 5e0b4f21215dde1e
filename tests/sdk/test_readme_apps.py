"""The README's minimal SDK apps ("Use it with SuperTokens SDKs", "A minimal app"), run as written:
the Python (FastAPI) and the Node (Express) app, each a server of its own pointed at the CDI (through
the recording proxy), then the README's curl commands against it, their output compared with what the
README shows. Only the addresses change: the core's, the API key, the app's port, and the user
(one per run)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.test_readme import items, matches
from tests.sdk.conftest import API_KEY
from tests.sdk.recorder import CoreRecorder
from tools.localrun.dynamodb import free_port
from tools.localrun.process import serving
from tools.localrun.template import ROOT

pytestmark = pytest.mark.sdk

README = ROOT / "README.md"
SECTION = "### A minimal app"
NODE_MODULES = ROOT / "tests" / "sdk" / "node" / "node_modules"
README_CORE, README_KEY, README_PORT, README_USER = (
    "http://127.0.0.1:3000/cdi",
    "local-dev-key",
    "3001",
    "alice",
)


@dataclass(frozen=True)
class Section:
    python: str
    node: str
    commands: str
    output: str


def section() -> Section:
    text = README.read_text().split(SECTION, 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", text, flags=re.DOTALL)
    by_language: dict[str, list[str]] = {}
    for language, body in blocks:
        by_language.setdefault(language, []).append(body)
    commands = next(body for body in by_language["sh"] if "st-auth-mode: header" in body)
    return Section(by_language["python"][0], by_language["js"][0], commands, by_language["json"][0])


@pytest.fixture(params=["python", "node"])
def readme_app(request: pytest.FixtureRequest, core: CoreRecorder, tmp_path: Path) -> Iterator[str]:
    """The README's app, as written but for its core, API key and port, serving on a free port."""
    port = free_port()
    code = section().python if request.param == "python" else section().node
    code = code.replace(README_CORE, core.url).replace(README_KEY, API_KEY)
    env = {**os.environ, "SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP": "1", "NODE_PATH": str(NODE_MODULES)}
    if request.param == "python":
        (tmp_path / "app.py").write_text(code)
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "app:app",
            "--app-dir",
            str(tmp_path),
            "--port",
            str(port),
        ]
    else:
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not on PATH")
        assert f"app.listen({README_PORT});" in code
        (tmp_path / "app.js").write_text(code.replace(f"app.listen({README_PORT});", f"app.listen({port});"))
        command = [node, str(tmp_path / "app.js")]
    url = f"http://127.0.0.1:{port}"
    with serving(command, url, tmp_path / "app.log", ready_path="/me", env=env) as served:
        yield served


def test_the_readme_app_answers_the_readme_commands(readme_app: str, tmp_path: Path, unique_id: str) -> None:
    readme = section()
    port = readme_app.rsplit(":", 1)[1]
    commands = readme.commands.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")
    commands = commands.replace(f"user={README_USER}", f"user={unique_id}")
    (tmp_path / "commands.sh").write_text("set -u\n" + commands)
    result = subprocess.run(  # noqa: S603 - the README's own commands, against loopback
        ["bash", str(tmp_path / "commands.sh")],  # noqa: S607
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = readme.output.replace(f'"{README_USER}"', f'"{unique_id}"')
    assert matches(list(items(expected)), list(items(result.stdout))) == []
