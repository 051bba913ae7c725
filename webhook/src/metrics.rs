//! Prometheus metrics in the text exposition format, hand-rolled: three
//! families are not worth a metrics dependency.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The service's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Counts by webhook id, then outcome (nested so that counting looks
    /// up a borrowed id and allocates nothing).
    requests: Mutex<BTreeMap<String, BTreeMap<&'static str, u64>>>,
    dispatch_errors: Mutex<BTreeMap<String, u64>>,
    /// Requests per latency bucket, not cumulative (one atomic add per
    /// request; `render` adds them up); the last one is above every bound.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Metrics {
    /// Counts one request by webhook id and outcome, and its latency.
    /// Unknown ids are counted under `webhook=""` so random paths cannot
    /// grow the label set.
    pub fn record(&self, webhook: Option<&str>, outcome: &'static str, elapsed: Duration) {
        let webhook = webhook.unwrap_or_default();
        let mut map = match self.requests.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let outcomes = match map.get_mut(webhook) {
            Some(outcomes) => outcomes,
            None => map.entry(webhook.to_owned()).or_default(),
        };
        *outcomes.entry(outcome).or_default() += 1;
        drop(map);
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts one failed dispatch by gRPC status name.
    pub fn dispatch_error(&self, status: &str) {
        match self.dispatch_errors.lock() {
            Ok(mut map) => *map.entry(status.to_owned()).or_default() += 1,
            Err(poisoned) => *poisoned.into_inner().entry(status.to_owned()).or_default() += 1,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP webhook_requests_total Inbound webhook requests by webhook id and outcome.\n",
        );
        out.push_str("# TYPE webhook_requests_total counter\n");
        let requests = match self.requests.lock() {
            Ok(map) => map.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for (webhook, outcomes) in &requests {
            for (outcome, n) in outcomes {
                let _ = writeln!(
                    out,
                    "webhook_requests_total{{webhook=\"{}\",outcome=\"{outcome}\"}} {n}",
                    escape(webhook)
                );
            }
        }
        out.push_str("# HELP webhook_request_duration_seconds Time from request to response.\n");
        out.push_str("# TYPE webhook_request_duration_seconds histogram\n");
        let mut count = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            count += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "webhook_request_duration_seconds_bucket{{le=\"{bound}\"}} {count}"
            );
        }
        count += self.buckets[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "webhook_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "webhook_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "webhook_request_duration_seconds_count {count}");
        out.push_str(
            "# HELP webhook_dispatch_errors_total Commands Zeebe did not accept, by gRPC status.\n",
        );
        out.push_str("# TYPE webhook_dispatch_errors_total counter\n");
        let errors = match self.dispatch_errors.lock() {
            Ok(map) => map.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for (status, n) in &errors {
            let _ = writeln!(
                out,
                "webhook_dispatch_errors_total{{status=\"{}\"}} {n}",
                escape(status)
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record(Some("sms"), "accepted", Duration::from_millis(3));
        m.record(Some("sms"), "accepted", Duration::from_millis(300));
        m.record(None, "not_found", Duration::from_micros(10));
        m.record(None, "not_found", Duration::from_secs(11));
        m.dispatch_error("UNAVAILABLE");
        let text = m.render();
        assert!(
            text.contains("webhook_requests_total{webhook=\"sms\",outcome=\"accepted\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("webhook_requests_total{webhook=\"\",outcome=\"not_found\"} 2\n"));
        assert!(text.contains("webhook_request_duration_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(text.contains("webhook_request_duration_seconds_bucket{le=\"0.5\"} 3\n"));
        assert!(text.contains("webhook_request_duration_seconds_bucket{le=\"10\"} 3\n"));
        assert!(text.contains("webhook_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
        assert!(text.contains("webhook_request_duration_seconds_count 4\n"));
        assert!(text.contains("webhook_dispatch_errors_total{status=\"UNAVAILABLE\"} 1\n"));
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c\n"), "a\\\"b\\\\c\\n");
    }
}
