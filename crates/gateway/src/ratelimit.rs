//! A request budget per client address — the address `kernel::client` resolves,
//! so forwarded headers count only from configured proxies and nobody can spend
//! another address's budget by writing them. Each address has a bucket of
//! `rate_limit_burst` requests that refills at `rate_limit_per_second`; a request
//! finding it empty is answered 429 `rate_limited` with `Retry-After`, before any
//! other work. Health and readiness probes are not counted. The buckets live in
//! each process: with several replicas an address may spend each one's budget
//! (docs/scaling.md).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use kernel::{ApiError, ClientAddr, ErrorCode};

use crate::app::AppState;

/// Buckets kept before full ones (idle addresses) are forgotten.
const KEPT: usize = 50_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill(&self, b: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_second).min(self.burst);
        b.at = now;
    }

    /// Spends one request of `addr`'s budget, or says in how many seconds one
    /// will be there.
    pub fn check(&self, addr: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= KEPT {
            buckets.retain(|_, b| {
                let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
                b.tokens + elapsed * self.per_second < self.burst
            });
        }
        let bucket = buckets.entry(addr).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        self.refill(bucket, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let probe = matches!(req.path(), "/healthz" | "/readyz");
    let addr = req.extensions().get::<ClientAddr>().map(|a| a.0);
    if let (false, Some(addr), Some(state)) = (probe, addr, req.app_data::<web::Data<AppState>>())
        && let Err(wait) = state.rate_limiter.check(addr, Instant::now())
    {
        return Ok(req.error_response(
            ApiError::new(
                ErrorCode::RateLimited,
                "too many requests from this address",
            )
            .with_retry_after(wait),
        ));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_sustained_rate_per_address() {
        let limiter = RateLimiter::new(2, 3);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(a, t0).is_ok());
        }
        assert_eq!(limiter.check(a, t0), Err(1));
        // Another address has its own budget.
        assert!(limiter.check(b, t0).is_ok());
        // Half a second refills one request at two a second.
        assert!(limiter.check(a, t0 + Duration::from_millis(500)).is_ok());
        assert!(limiter.check(a, t0 + Duration::from_millis(500)).is_err());
        // Off.
        let off = RateLimiter::new(0, 1);
        for _ in 0..1000 {
            assert!(off.check(a, t0).is_ok());
        }
    }
}
