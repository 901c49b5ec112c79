#!/usr/bin/env bash
# The session-stream clients of docs/clients.md against a real daemon (embedded Redis,
# appendfsync always) that is killed -9 and restarted on the same port while they run:
# each client reserves N units of its own SKU one by one, reconnects and sends again
# (same request ids) what was not answered; every reservation must be applied exactly
# once (held == N) and answered OK.
#
# Usage: session_clients_test.sh STOCKD STOCKCTL SESSION_CLIENT   (ctest passes them)
set -euo pipefail
stockd=$1 stockctl=$2 cpp_client=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
python=/usr/bin/python3  # Debian's, with python3-grpcio (scripts/bootstrap)
N=${SESSION_CLIENTS_N:-20000}

tmp=$(mktemp -d /tmp/stockd-clients-XXXXXX)
daemon_pid=""
client_pid=""
cleanup() {
  [ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null || true
  [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null || true
  [ -f "$tmp/data/redis.pid" ] && kill -9 "$(cat "$tmp/data/redis.pid")" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "session_clients_test: FAIL: $*" >&2; for f in "$tmp"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/data"
cat >"$tmp/stockd.yaml" <<YAML
server: {listen: "127.0.0.1:$port", drain_timeout: 2s}
data_dir: $tmp/data
redis: {mode: embedded, appendfsync: always}
holds: {max_ttl: 1h}
locations:
  - {id: wh, type: warehouse}
channels:
  - {id: webshop, type: webshop, sources: [wh]}
YAML

start_daemon() {
  "$stockd" --config "$tmp/stockd.yaml" >>"$tmp/stockd.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 200); do
    "$stockctl" --addr "127.0.0.1:$port" --timeout 1 get NONE >/dev/null 2>&1 && return 0
    grep -q 'NOT_FOUND' <("$stockctl" --addr "127.0.0.1:$port" --timeout 1 get NONE 2>&1) && return 0
    kill -0 "$daemon_pid" 2>/dev/null || fail "stockd exited at start"
    sleep 0.1
  done
  fail "stockd did not serve within 20 s"
}
held_of() {
  "$stockctl" --addr "127.0.0.1:$port" --json get "$1" |
    "$python" -c 'import json,sys; r=json.load(sys.stdin)["rows"]; print(sum(int(x.get("held", 0)) for x in r))'
}

# Runs one client in the background, kills the daemon -9 while the client is mid-run,
# restarts it, and checks the client's report and the daemon's counters. The client is
# stopped (SIGSTOP) around the kill, so "mid-run" is read from the daemon's counters and
# cannot go stale: held < N then means answers are still owed, and the client must see
# its stream break. On a loaded machine the polling can be slow enough for a client to
# finish first; that attempt proves nothing and runs again on a fresh SKU (3 attempts).
run_client() {
  local name=$1 sku=$2; shift 2
  local attempt before=""
  for attempt in 1 2 3; do
    "$stockctl" --addr "127.0.0.1:$port" count wh "$sku$attempt" 1000000 >/dev/null
    "$@" --addr "127.0.0.1:$port" --sku "$sku$attempt" --count "$N" --id-prefix "$name$attempt-" \
      >"$tmp/$name.out" 2>"$tmp/$name.log" &
    client_pid=$!
    for _ in $(seq 300); do  # until some reservations are in
      [ "$(held_of "$sku$attempt")" -ge $((N / 10)) ] && break
      sleep 0.05
    done
    kill -STOP "$client_pid" 2>/dev/null || true
    before=$(held_of "$sku$attempt")
    [ "$before" -lt "$N" ] && break
    echo "session_clients_test: $name: attempt $attempt finished before the kill (held=$before); again" >&2
    kill -CONT "$client_pid" 2>/dev/null || true
    wait "$client_pid" || fail "$name client exited $?"
    client_pid=""
  done
  [ -n "$client_pid" ] || fail "$name: the client finished before the kill in 3 attempts"
  sku=$sku$attempt
  kill -9 "$daemon_pid"
  wait "$daemon_pid" 2>/dev/null || true
  kill -CONT "$client_pid"
  sleep 0.5
  start_daemon
  wait "$client_pid" || fail "$name client exited $?"
  client_pid=""
  local out; out=$(cat "$tmp/$name.out")
  [ "$out" = "ok=$N refused=0" ] || fail "$name client: '$out', want 'ok=$N refused=0'"
  local held; held=$(held_of "$sku")
  [ "$held" = "$N" ] || fail "$name: held $held after the run, want $N (exactly once each)"
  grep -q "reconnecting" "$tmp/$name.log" || fail "$name client never saw the stream break"
  echo "session_clients_test: $name: $N reservations, daemon killed at held=$before, all applied once"
}

start_daemon
run_client cpp CPP "$cpp_client"
pystubs=$tmp/py
mkdir -p "$pystubs"
protoc -I "$src/proto" --python_out="$pystubs" --grpc_python_out="$pystubs" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" "$src/proto/stockd/v1/stockd.proto"
PYTHONPATH=$pystubs run_client py PY "$python" "$src/docs/clients/session_client.py"
echo "session_clients_test: ok"
