//! Prometheus text metrics: requests by route, method and status, a latency
//! histogram by route, and the database pool's state. Routes are the matched
//! patterns (`/api/v1/org/offices/{id}`), never raw paths, so the label set stays
//! bounded whatever clients send.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// One route's figures. Looked up by the route's `&str`, so recording a request
/// allocates nothing once the route has been seen.
#[derive(Default)]
struct RouteStats {
    /// (method, status) → requests.
    requests: BTreeMap<(String, u16), u64>,
    latency: Histogram,
}

#[derive(Default)]
struct Inner {
    routes: HashMap<String, RouteStats>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// What the pool reports at scrape time.
pub struct PoolState {
    pub max_size: u32,
    pub connections: u32,
    pub idle: u32,
}

impl Metrics {
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let stats = match inner.routes.get_mut(route) {
            Some(stats) => stats,
            None => inner.routes.entry(route.to_owned()).or_default(),
        };
        match stats
            .requests
            .iter_mut()
            .find(|((m, s), _)| m == method && *s == status)
        {
            Some((_, n)) => *n += 1,
            None => {
                stats.requests.insert((method.to_owned(), status), 1);
            }
        }
        let h = &mut stats.latency;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    pub fn render(&self, pool: &PoolState) -> String {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP branchline_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE branchline_http_requests_total counter\n");
        let routes: BTreeMap<&String, &RouteStats> = inner.routes.iter().collect();
        for ((route, method, status), n) in routes
            .iter()
            .flat_map(|(r, st)| st.requests.iter().map(move |((m, s), n)| ((r, m, s), n)))
        {
            let _ = writeln!(
                out,
                "branchline_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                escape(route),
                escape(method)
            );
        }
        out.push_str("# HELP branchline_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE branchline_http_request_duration_seconds histogram\n");
        for (route, stats) in &routes {
            let h = &stats.latency;
            let route = escape(route);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "branchline_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "branchline_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "branchline_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "branchline_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        for (name, help, value) in [
            (
                "branchline_db_pool_max_connections",
                "Largest number of pooled connections.",
                pool.max_size,
            ),
            (
                "branchline_db_pool_connections",
                "Open pooled connections.",
                pool.connections,
            ),
            (
                "branchline_db_pool_idle_connections",
                "Idle pooled connections.",
                pool.idle,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
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
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.record("/healthz", "GET", 200, Duration::from_millis(3));
        m.record("/healthz", "GET", 200, Duration::from_millis(300));
        m.record("/healthz", "GET", 503, Duration::from_secs(20));
        let text = m.render(&PoolState {
            max_size: 10,
            connections: 2,
            idle: 1,
        });
        assert!(text.contains(
            "branchline_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "branchline_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "branchline_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.5\"} 2"
        ));
        assert!(text.contains(
            "branchline_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains("branchline_db_pool_idle_connections 1"));
    }
}
