#!/usr/bin/env bash
# Starts demo-upstream at $UPSTREAM_VERSION with uv, waits for its health check, runs the checks
# against it, and stops the server's whole process group at the end, pass or fail.
set -euo pipefail
mode=${1:?usage: run.sh replay|record}
cd "$(dirname "$0")"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

set -m  # job control: the server gets its own process group, so it can be stopped as a whole
DEMO_MODE=$mode DEMO_RECORDINGS=$PWD/recordings \
  uv run --no-project --with "demo-upstream==${UPSTREAM_VERSION:?}" python -m demo_upstream serve --port "$port" &
server=$!
set +m
trap 'kill -TERM -- -$server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT

for _ in $(seq 1 150); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then break; fi
  kill -0 $server 2>/dev/null || { echo "demo-upstream exited before it was healthy" >&2; exit 1; }
  sleep 0.2
done
python3 check.py "http://127.0.0.1:$port"
