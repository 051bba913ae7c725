#!/usr/bin/env bash
# Load run: signed Twilio SMS forms against the webhook service (embedded
# default, no Zeebe) beside a bare warp hello-world, on loopback only.
#   bash benches/load/run.sh [DURATION] [CONNECTIONS]     (default 30s, 64)
#   NO_OUTBOX=1 bash benches/load/run.sh ...                (the in-memory path: no durable outbox)
# Needs wrk (apt-get install wrk). Every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-30s}
connections=${2:-64}
threads=2
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }

cargo build --release -q -p webhook -p feel-benches --bin webhook --bin hello_warp
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

token=load-test-token
url=http://127.0.0.1:18080/inbound/sms-received
if [ -n "${NO_OUTBOX:-}" ]; then store=(--no-outbox); else store=(--outbox "$work/outbox.redb"); fi
SECRET_TWILIO_AUTH_TOKEN=$token RUST_LOG=warn ./target/release/webhook --bpmn examples \
  --listen 127.0.0.1:18080 --journal "$work/journal.jsonl" "${store[@]}" \
  >"$work/webhook.log" 2>&1 &
./target/release/hello_warp 127.0.0.1:18081 >/dev/null 2>&1 &
sleep 1

signed=$(./target/release/webhook sign --token "$token" --url "$url" \
  --form ToCountry=US --form SmsStatus=received --form NumMedia=0 \
  --form SmsMessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f --form From=+14155550123 \
  --form To=+15005550006 --form Body="Hello from Twilio, please confirm my order #4711" \
  --form AccountSid=AC00000000000000000000000000000000 --form ApiVersion=2010-04-01)
SIGNATURE=$(sed -n 's/^X-Twilio-Signature: //p' <<<"$signed")
BODY=$(sed -n 's/^Body: //p' <<<"$signed")
export SIGNATURE BODY

load() {
  wrk -t$threads -c"$connections" -d"$duration" --latency -s benches/load/twilio-sms.lua "$1" | tee "$work/wrk.out"
  echo "errors: $(sed -n 's/.*Non-2xx or 3xx responses: *//p' "$work/wrk.out" | grep . || echo 0) non-2xx answers"
}
echo "== webhook: signed Twilio form, $connections connections, $duration"
load "$url"
echo "== bare warp hello-world, $connections connections, $duration"
load http://127.0.0.1:18081/
sleep 3
echo "== after the run: $(curl -s http://127.0.0.1:18080/health)"
echo "== journal lines written: $(wc -l <"$work/journal.jsonl" 2>/dev/null || echo 0)"
