#!/usr/bin/env bash
# What the example app (examples/app) and its browser tests (tests/browser) need; idempotent.
#   tools/scripts/setup-browser.sh               everything: make test-browser
#   tools/scripts/setup-browser.sh --no-browser  all but Chromium: make demo (you bring the browser)
# 1. tools/scripts/setup.sh (the dev .venv, DynamoDB Local);
# 2. examples/app/requirements.txt (supertokens-python, FastAPI, uvicorn) and tests/browser/requirements.txt
#    (Playwright's Python client) into .venv;
# 3. supertokens-web-js from npm (npm ci in examples/app/web), served by the example backend: no CDN;
# 4. Debian's chromium and chromium-driver (apt-get, as root), unless CHROMIUM names another Chromium.
#    Playwright drives that executable: its own browser download is never used.
set -euo pipefail
cd "$(dirname "$0")/../.."

tools/scripts/setup.sh

with_browser=1
if [ "${1:-}" = "--no-browser" ]; then with_browser=0; fi

# 2. Python packages: again whenever a requirements file changed (.venv/.stamp-browser holds their hash).
stamp=$(cat .venv/.stamp examples/app/requirements.txt tests/browser/requirements.txt | sha256sum | cut -c1-16)
if [ ! -f .venv/.stamp-browser ] || [ "$(cat .venv/.stamp-browser)" != "$stamp" ]; then
  echo "setup: installing examples/app/requirements.txt and tests/browser/requirements.txt into .venv (pip) ..." >&2
  started=$SECONDS
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
      -r examples/app/requirements.txt -r tests/browser/requirements.txt 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
  echo "$stamp" > .venv/.stamp-browser
  echo "setup: example app's Python packages ready ($((SECONDS - started)) s)" >&2
fi

# 3. The web SDK's prebuilt bundles (node_modules/supertokens-web-js/bundle/*.js).
if ! ls examples/app/web/node_modules/supertokens-web-js/bundle/session.*.js >/dev/null 2>&1 \
   || [ examples/app/web/package-lock.json -nt examples/app/web/node_modules/.package-lock.json ]; then
  echo "setup: installing supertokens-web-js (npm ci in examples/app/web/) ..." >&2
  started=$SECONDS
  (cd examples/app/web && npm ci --no-audit --no-fund --loglevel=error)
  echo "setup: supertokens-web-js ready ($((SECONDS - started)) s)" >&2
fi

[ "$with_browser" = 1 ] || exit 0

# 4. Chromium.
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ -n "${CHROMIUM:-}" ]; then
  if [ ! -x "$chromium" ]; then echo "setup: CHROMIUM=$chromium is not an executable" >&2; exit 1; fi
  exit 0
fi
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi
need="Chromium for the browser tests: Debian's packages chromium and chromium-driver (/usr/bin/chromium)"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: $need are missing and this is not a Debian/Ubuntu system (no apt-get)." >&2
  echo "       Install Chromium yourself and run again with CHROMIUM=/path/to/chromium." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then
  echo "setup: $need are missing, and installing them needs root. Run:" >&2
  echo "         sudo apt-get update && sudo apt-get install -y chromium chromium-driver" >&2
  echo "       then again: make test-browser" >&2
  exit 1
fi
as_root=""
if [ "$(id -u)" != 0 ]; then as_root="sudo -n"; fi
echo "setup: installing $need (apt-get; about a minute) ..." >&2
started=$SECONDS
if ! { $as_root apt-get update -qq \
       && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends \
            chromium chromium-driver >/dev/null; }; then
  echo "setup: apt-get could not install chromium and chromium-driver (see above)." >&2
  echo "       Install them (apt-get install -y chromium chromium-driver), or set CHROMIUM=/path/to/chromium." >&2
  exit 1
fi
echo "setup: $("$chromium" --version 2>/dev/null | head -1) ready ($((SECONDS - started)) s)" >&2
