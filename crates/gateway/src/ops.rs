//! Operations endpoints: liveness, readiness and metrics, for load balancers,
//! orchestrators and Prometheus. They sit outside `/api/v1` and need no token.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use kernel::ApiError;
use kernel::responses::{InternalError, ServiceUnavailable};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::metrics::PoolState;

/// How long readiness waits for a database connection before saying no.
const READY_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` for liveness, `ready` for readiness.
    #[schema(example = "ok")]
    pub status: String,
    /// The database backend in use: `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub database: String,
    /// The server's version.
    #[schema(example = "0.1.0")]
    pub version: String,
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_health)
        .service(get_readiness)
        .service(get_metrics);
}

/// Liveness: the process is up and serving. Never touches the database.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The process is alive", body = HealthStatus),
        (status = 500, response = InternalError),
    )
)]
#[get("/healthz")]
async fn get_health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus {
        status: "ok".to_owned(),
        database: state.db.backend().as_str().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Readiness: the database answers and every migration is applied. While it does
/// not, answers 503 with `Retry-After`; it recovers by itself when the database
/// comes back.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve requests", body = HealthStatus),
        (status = 503, response = ServiceUnavailable),
        (status = 500, response = InternalError),
    )
)]
#[get("/readyz")]
async fn get_readiness(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.check_ready(READY_WAIT).await?;
    Ok(HttpResponse::Ok().json(HealthStatus {
        status: "ready".to_owned(),
        database: state.db.backend().as_str().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}

/// Metrics in Prometheus text format: requests by route and status, latency
/// histogram by route, database pool state.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
        (status = 500, response = InternalError),
    )
)]
#[get("/metrics")]
async fn get_metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.db.pool().state();
    let text = state.metrics.render(&PoolState {
        max_size: state.db.pool().max_size(),
        connections: pool.connections,
        idle: pool.idle_connections,
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}
