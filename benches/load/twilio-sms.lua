-- wrk script: POST the signed Twilio SMS form that run.sh prepared.
-- run.sh exports SIGNATURE and BODY (from `webhook sign`) before starting wrk.
-- wrk itself reports "Non-2xx or 3xx responses: N" when any answer was not a
-- success; run.sh turns its absence into "errors: 0".
--
-- Every request carries its own I-Twilio-Idempotency-Token (Twilio's header,
-- the same on every retry of one callback and not covered by the signature),
-- so each one is a new event the service must store and deliver, not a
-- duplicate of the first: the durable path, not the deduplication shortcut.
-- Set DUPLICATES=1 to send the same event every time instead.
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = os.getenv("SIGNATURE")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", string.format("load-%d-%d-", os.time(), threads))
end

local sent = 0
local unique = os.getenv("DUPLICATES") ~= "1"
function request()
  if unique then
    sent = sent + 1
    wrk.headers["I-Twilio-Idempotency-Token"] = prefix .. sent
  end
  return wrk.format()
end

done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms; socket errors: %d connect, %d read, %d write, %d timeout\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
