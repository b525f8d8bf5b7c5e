//! The Branchline gateway: it owns the process. It loads configuration, connects
//! to the database and applies migrations, mounts every domain's routes behind one
//! middleware pipeline in `build_app()`, serves the OpenAPI document and its
//! interactive docs, and answers liveness, readiness and metrics.

pub mod app;
pub mod config;
pub mod demo;
pub mod facts;
pub mod fallback;
pub mod idempotency;
pub mod logwriter;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod ratelimit;

pub use app::{AppState, build_app, build_app_with, openapi, openapi_json};
pub use config::Config;
