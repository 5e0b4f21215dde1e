#!/usr/bin/env bash
# make demo: authstate (the local server, 60 s access tokens) and the example app (examples/app),
# whose SuperTokens core is authstate's /cdi. Prints the URL to open; Ctrl-C stops both.
#   AUTHSTATE_PORT=3000 APP_PORT=3001 API_KEY=local-dev-key ACCESS_TOKEN_TTL=60 tools/scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

AUTHSTATE_PORT=${AUTHSTATE_PORT:-3000}
APP_PORT=${APP_PORT:-3001}
API_KEY=${API_KEY:-local-dev-key}
ACCESS_TOKEN_TTL=${ACCESS_TOKEN_TTL:-60}  # seconds; the template's minimum, so refreshes come often
PY=.venv/bin/python

tools/scripts/setup-browser.sh --no-browser  # the example's packages and supertokens-web-js; no Chromium needed

for port in "$AUTHSTATE_PORT" "$APP_PORT"; do
  if "$PY" -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$port"; then
    echo "demo: port $port is in use (is \`make run\` or another demo running?); stop it, or choose" \
         "others: AUTHSTATE_PORT=... APP_PORT=... make demo" >&2
    exit 1
  fi
done

logs=$(mktemp -d "${TMPDIR:-/tmp}/authstate-demo.XXXXXX")
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo: stopped (logs in $logs)" >&2
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

# wait_for URL WHAT PID: until URL answers (any HTTP status), or the process PID has ended.
wait_for() {
  local url=$1 what=$2 pid=$3 started=$SECONDS
  until "$PY" - "$url" <<'EOF' 2>/dev/null
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1).close()
except urllib.error.HTTPError:
    pass
EOF
  do
    if ! kill -0 "$pid" 2>/dev/null || [ $((SECONDS - started)) -gt 120 ]; then
      echo "demo: $what did not start; its log:" >&2
      tail -40 "$logs/$what.log" >&2
      exit 1
    fi
    sleep 0.3
  done
}

echo "demo: starting authstate on http://127.0.0.1:$AUTHSTATE_PORT (DynamoDB Local in memory, access tokens" \
     "live $ACCESS_TOKEN_TTL s) ..." >&2
"$PY" -m tools.localrun serve --host 127.0.0.1 --port "$AUTHSTATE_PORT" --api-key "$API_KEY" \
  --parameter-overrides "AccessTokenTtlSeconds=$ACCESS_TOKEN_TTL" >"$logs/authstate.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$AUTHSTATE_PORT/" authstate "${pids[-1]}"

echo "demo: starting the example app on http://127.0.0.1:$APP_PORT ..." >&2
"$PY" examples/app/app.py --port "$APP_PORT" --core "http://127.0.0.1:$AUTHSTATE_PORT/cdi" --api-key "$API_KEY" \
  --access-token-note "access tokens live $ACCESS_TOKEN_TTL s" >"$logs/example-app.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$APP_PORT/healthz" example-app "${pids[-1]}"

cat <<EOF

  Open  http://127.0.0.1:$APP_PORT   (the example app: FastAPI + supertokens-python, supertokens-web-js page)
  Core  http://127.0.0.1:$AUTHSTATE_PORT/cdi   (authstate, API key $API_KEY; access tokens live $ACCESS_TOKEN_TTL s)
  Logs  $logs/authstate.log (the access log of every core call), $logs/example-app.log

  Sign in with any user name (a demo: no password). Open a second tab, set claims, merge metadata,
  revoke sessions; the page reads the claims every 10 s, so you see the SDK refresh the session
  once the access token has expired. Ctrl-C stops both servers.

EOF
wait -n "${pids[@]}" || true
echo "demo: a server stopped by itself; the last lines of its log are in $logs" >&2
exit 1
