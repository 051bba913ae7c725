#!/usr/bin/env bash
# Load run: signed Twilio SMS forms against the webhook service (embedded
# default, no Zeebe) beside a bare warp hello-world, on loopback only.
#   bash benches/load/run.sh [DURATION] [CONNECTIONS] [ROUNDS]   (default 30s, 64, 3)
#   NO_OUTBOX=1 bash benches/load/run.sh ...   (the in-memory path: no durable outbox)
#   DUPLICATES=1 bash benches/load/run.sh ...   (the same event every time: the
#     deduplication shortcut; by default each request is a new event, see
#     twilio-sms.lua)
#   JOURNAL=/dev/shm/journal.jsonl bash benches/load/run.sh ...   (the journal elsewhere;
#     default: a temporary directory, removed afterwards)
# Each round loads the service, then bare warp, for DURATION each; alternating
# them spreads the machine's drift over both. The summary gives the median
# round of each, their ratio, and the server's own CPU time per request (from
# /proc, user + system), which varies much less from run to run than req/s.
# Each service round also splits that CPU by thread name (connection workers,
# outbox writer, delivery, …), so a change shows where it saved or spent.
# Needs wrk (apt-get install wrk). Every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-30s}
connections=${2:-64}
rounds=${3:-3}
threads=2
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }

cargo build --release -q -p webhook -p feel-benches --bin webhook --bin hello_warp
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

journal=${JOURNAL:-$work/journal.jsonl}
token=load-test-token
url=http://127.0.0.1:18080/inbound/sms-received
if [ -n "${NO_OUTBOX:-}" ]; then store=(--no-outbox); else store=(--outbox "$work/outbox.log"); fi
SECRET_TWILIO_AUTH_TOKEN=$token RUST_LOG=warn ./target/release/webhook --bpmn examples \
  --listen 127.0.0.1:18080 --journal "$journal" "${store[@]}" \
  >"$work/webhook.log" 2>&1 &
webhook_pid=$!
./target/release/hello_warp 127.0.0.1:18081 >/dev/null 2>&1 &
warp_pid=$!
sleep 1

signed=$(./target/release/webhook sign --token "$token" --url "$url" \
  --form ToCountry=US --form SmsStatus=received --form NumMedia=0 \
  --form SmsMessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f --form From=+14155550123 \
  --form To=+15005550006 --form Body="Hello from Twilio, please confirm my order #4711" \
  --form AccountSid=AC00000000000000000000000000000000 --form ApiVersion=2010-04-01)
SIGNATURE=$(sed -n 's/^X-Twilio-Signature: //p' <<<"$signed")
BODY=$(sed -n 's/^Body: //p' <<<"$signed")
export SIGNATURE BODY

ticks_per_second=$(getconf CLK_TCK)
# user + system CPU ticks of a process so far
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# "name ticks" per thread name of a process (threads of one name summed);
# the fields after the name in /proc/…/stat start at its closing ") "
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$t/comm")" "$(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
  done 2>/dev/null | awk '{c[$1] += $2} END {for (k in c) print k, c[k]}' | sort
}
# per_thread BEFORE AFTER PROCESS_TICKS REQUESTS: CPU per request of each
# thread name, and of the threads that ended in between (compactions)
per_thread() {
  join -a2 -e0 -o 2.1,1.2,2.2 "$1" "$2" | awk -v hz="$ticks_per_second" -v n="$4" -v total="$3" '
    { d = $3 - $2; seen += d; if (d > 0) out = out sprintf("%s %.1f, ", $1, d / hz * 1e6 / n) }
    END { printf "           per thread (µs/request): %sthreads that ended %.1f\n", out, (total - seen) / hz * 1e6 / n }'
}

# load NAME PID URL: one wrk run; appends "req/s p99_ms cpu_us_per_request errors" to $work/NAME
load() {
  local name=$1 pid=$2 target=$3 before after
  thread_ticks "$pid" >"$work/threads.before"
  before=$(cpu_ticks "$pid")
  wrk -t$threads -c"$connections" -d"$duration" --latency -s benches/load/twilio-sms.lua "$target" >"$work/wrk.out"
  after=$(cpu_ticks "$pid")
  thread_ticks "$pid" >"$work/threads.after"
  local rps requests p99 errors cpu
  rps=$(sed -n 's/^Requests\/sec: *//p' "$work/wrk.out")
  requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk.out")
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)} else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; print v}' "$work/wrk.out")
  errors=$(sed -n 's/.*Non-2xx or 3xx responses: *//p' "$work/wrk.out" | grep . || echo 0)
  cpu=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  printf '%-8s %10.0f req/s   p99 %6.2f ms   %5s µs CPU/request   %s non-2xx\n' "$name" "$rps" "$p99" "$cpu" "$errors"
  if [ "$name" = webhook ]; then
    per_thread "$work/threads.before" "$work/threads.after" $((after - before)) "$requests"
  fi
  echo "$rps $p99 $cpu $errors" >>"$work/$name"
}

echo "== $rounds rounds of $duration each, $connections connections, wrk -t$threads"
for round in $(seq "$rounds"); do
  echo "-- round $round"
  load webhook "$webhook_pid" "$url"
  load warp "$warp_pid" http://127.0.0.1:18081/
done

# median NAME COLUMN
median() { awk "{print \$$2}" "$work/$1" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
webhook_rps=$(median webhook 1)
warp_rps=$(median warp 1)
echo "== medians"
echo "webhook: $webhook_rps req/s, p99 $(median webhook 2) ms, $(median webhook 3) µs CPU/request, non-2xx in all rounds: $(awk '{s += $4} END {print s}' "$work/webhook")"
echo "warp:    $warp_rps req/s, p99 $(median warp 2) ms, $(median warp 3) µs CPU/request"
echo "ratio:   $(awk -v a="$webhook_rps" -v b="$warp_rps" 'BEGIN {printf "%.1f", 100 * a / b}') % of bare warp's req/s"
sleep 3
echo "== after the run: $(curl -s http://127.0.0.1:18080/health)"
echo "== journal lines written: $(wc -l <"$journal" 2>/dev/null || echo 0) ($journal)"
