//! Prometheus metrics in the text exposition format, hand-rolled: three
//! families are not worth a metrics dependency.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::sync::lock;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The service's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Per-thread request counts, summed by [`Metrics::render`]: counting a
    /// request locks only its own thread's shard, so the worker threads never
    /// wait for each other or pass one cache line back and forth.
    shards: [Shard; SHARDS],
    dispatch_errors: Mutex<BTreeMap<String, u64>>,
}

/// The number of request count shards (threads beyond share them).
const SHARDS: usize = 16;

/// One thread's share of the request counts, on its own cache lines.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(Mutex<Counts>);

#[derive(Debug, Default, Clone)]
struct Counts {
    /// Counts by webhook id, then outcome (nested so that counting looks
    /// up a borrowed id and allocates nothing).
    requests: BTreeMap<String, BTreeMap<&'static str, u64>>,
    /// Requests per latency bucket, not cumulative (`render` adds them up);
    /// the last one is above every bound.
    buckets: [u64; BUCKETS.len() + 1],
    sum_micros: u64,
}

/// This thread's shard: threads take shards in turn as they first count.
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    INDEX.with(|index| *index)
}

impl Metrics {
    /// Counts one request by webhook id and outcome, and its latency.
    /// Unknown ids are counted under `webhook=""` so random paths cannot
    /// grow the label set.
    pub fn record(&self, webhook: Option<&str>, outcome: &'static str, elapsed: Duration) {
        let webhook = webhook.unwrap_or_default();
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(BUCKETS.len());
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let mut counts = lock(&self.shards[shard_index()].0);
        let outcomes = match counts.requests.get_mut(webhook) {
            Some(outcomes) => outcomes,
            None => counts.requests.entry(webhook.to_owned()).or_default(),
        };
        *outcomes.entry(outcome).or_default() += 1;
        counts.buckets[bucket] += 1;
        counts.sum_micros = counts.sum_micros.saturating_add(micros);
    }

    /// The request counts of every shard added up.
    fn totals(&self) -> Counts {
        let mut total = Counts::default();
        for shard in &self.shards {
            let counts = lock(&shard.0);
            for (webhook, outcomes) in &counts.requests {
                let sums = total.requests.entry(webhook.clone()).or_default();
                for (outcome, n) in outcomes {
                    *sums.entry(outcome).or_default() += n;
                }
            }
            for (sum, n) in total.buckets.iter_mut().zip(&counts.buckets) {
                *sum += n;
            }
            total.sum_micros = total.sum_micros.saturating_add(counts.sum_micros);
        }
        total
    }

    /// Counts one failed dispatch by gRPC status name.
    pub fn dispatch_error(&self, status: &str) {
        *lock(&self.dispatch_errors)
            .entry(status.to_owned())
            .or_default() += 1;
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP webhook_requests_total Inbound webhook requests by webhook id and outcome.\n",
        );
        out.push_str("# TYPE webhook_requests_total counter\n");
        let totals = self.totals();
        for (webhook, outcomes) in &totals.requests {
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
        for (bound, bucket) in BUCKETS.iter().zip(&totals.buckets) {
            count += bucket;
            let _ = writeln!(
                out,
                "webhook_request_duration_seconds_bucket{{le=\"{bound}\"}} {count}"
            );
        }
        count += totals.buckets[BUCKETS.len()];
        let _ = writeln!(
            out,
            "webhook_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = totals.sum_micros as f64 / 1e6;
        let _ = writeln!(out, "webhook_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "webhook_request_duration_seconds_count {count}");
        out.push_str(
            "# HELP webhook_dispatch_errors_total Commands Zeebe did not accept, by gRPC status.\n",
        );
        out.push_str("# TYPE webhook_dispatch_errors_total counter\n");
        let errors = lock(&self.dispatch_errors).clone();
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

    /// Counts made on different threads (different shards) add up.
    #[test]
    fn counts_from_many_threads_add_up() {
        let m = std::sync::Arc::new(Metrics::default());
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let m = std::sync::Arc::clone(&m);
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        m.record(Some("sms"), "accepted", Duration::from_millis(2));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = m.render();
        assert!(
            text.contains("webhook_requests_total{webhook=\"sms\",outcome=\"accepted\"} 1000\n"),
            "{text}"
        );
        assert!(text.contains("webhook_request_duration_seconds_bucket{le=\"0.001\"} 0\n"));
        assert!(text.contains("webhook_request_duration_seconds_bucket{le=\"0.0025\"} 1000\n"));
        assert!(
            text.contains("webhook_request_duration_seconds_sum 2\n"),
            "{text}"
        );
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c\n"), "a\\\"b\\\\c\\n");
    }
}
