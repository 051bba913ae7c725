-- wrk script: POST the signed Twilio SMS form that run.sh prepared.
-- run.sh exports SIGNATURE and BODY (from `webhook sign`) before starting wrk.
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = os.getenv("SIGNATURE")

-- Count non-2xx answers so a run with errors can't pass for a fast one.
local errors = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx answers (this thread): %d\n", errors))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
