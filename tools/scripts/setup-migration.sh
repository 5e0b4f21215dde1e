#!/usr/bin/env bash
# What the migration tests (tests/migration: moving from a SuperTokens core) need; idempotent.
# 1. tools/scripts/setup.sh --tests (the dev .venv with authstate-migrate, DynamoDB Local, the Node SDK);
# 2. Debian's postgresql and mariadb-server (apt-get, as root): the tests start their own servers on
#    free ports in temporary directories, as they start DynamoDB Local; no system service is used;
# 3. a JDK (javac) for the core-format token generator (tests/coregen/CoreGen.java).
set -euo pipefail
cd "$(dirname "$0")/../.."

tools/scripts/setup.sh --tests

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_mariadb() { command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; }
have_javac() { command -v javac >/dev/null 2>&1; }

packages=()
have_postgres || packages+=(postgresql)
have_mariadb || packages+=(mariadb-server)
have_javac || packages+=(openjdk-17-jdk-headless)
[ ${#packages[@]} -eq 0 ] && exit 0

need="${packages[*]} (Debian packages) for tests/migration"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: $need are missing and this is not a Debian/Ubuntu system (no apt-get): install them yourself." >&2
  exit 1
fi
as_root=""
if [ "$(id -u)" != 0 ]; then
  if ! sudo -n true 2>/dev/null; then
    echo "setup: $need are missing, and installing them needs root. Run:" >&2
    echo "         sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages[*]}" >&2
    exit 1
  fi
  as_root="sudo -n"
fi
echo "setup: installing $need (apt-get; about a minute) ..." >&2
started=$SECONDS
if ! { $as_root apt-get update -qq \
       && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends \
            "${packages[@]}" >/dev/null; }; then
  echo "setup: apt-get could not install ${packages[*]} (see above)." >&2
  exit 1
fi
echo "setup: ${packages[*]} ready ($((SECONDS - started)) s)" >&2
