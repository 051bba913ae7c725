-- wrk script: POST the signed Twilio SMS form that run.sh prepared.
-- run.sh exports SIGNATURE and BODY (from `webhook sign`) before starting wrk.
-- wrk itself reports "Non-2xx or 3xx responses: N" when any answer was not a
-- success; run.sh turns its absence into "errors: 0".
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = os.getenv("SIGNATURE")

done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms; socket errors: %d connect, %d read, %d write, %d timeout\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
