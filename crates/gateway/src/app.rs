//! `build_app()`: the one place routes, middleware and the OpenAPI document are put
//! together. The server, the in-process tests and the `openapi` command all call
//! it (or `openapi()`, which runs the same route registration without a database),
//! so the served routes and the committed contract cannot drift apart.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpResponse, web};
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PayloadTooLarge, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, TooManyRequests, Unauthorized, UnprocessableEntity,
    UnsupportedMediaType,
};
use kernel::{ErrorCode, FieldError, Problem};
use store::Db;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::fallback::{RouteTable, no_route};
use crate::metrics::Metrics;
use crate::middleware::request_context;
use crate::ops;

/// Everything a request handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        AppState {
            db,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Branchline API",
        description = "Branchline runs a company's network of branch offices under its management \
            regulations: organization, personnel, sales pipeline, after-sales, finance, risk and \
            administration, with approval chains, scoped access and an audit trail.\n\n\
            Every error body is `application/problem+json` (RFC 9457) with a stable `code`. \
            Money is an integer count of minor units (分 for CNY); times are RFC 3339 UTC.",
    ),
    components(
        schemas(Problem, FieldError, ErrorCode),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed,
            PayloadTooLarge, UnsupportedMediaType, UnprocessableEntity, PreconditionRequired,
            TooManyRequests, InternalError, ServiceUnavailable
        )
    ),
    tags(
        (name = "operations", description = "Liveness, readiness and metrics"),
    )
)]
struct ApiDoc;

/// Every documented route, registered through utoipa so the spec sees each one.
fn api_routes(cfg: &mut ServiceConfig) {
    ops::configure(cfg);
}

/// The OpenAPI document, without a database or a server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts()
        .1
}

/// The spec as committed in `openapi/openapi.json`: pretty-printed, newline-ended.
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// Content-Security-Policy that lets the vendored Swagger UI render and nothing
/// else load.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";

pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    build_app_with(state, |_| {})
}

/// `build_app` with extra routes mounted beside the real ones, behind the same
/// middleware. Tests use it to mount handlers that exist only in tests (a document
/// type, an echo of the validated-JSON extractor).
pub fn build_app_with(
    state: AppState,
    extra: fn(&mut ServiceConfig),
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .configure(extra)
        .split_for_parts();
    let routes = web::Data::new(RouteTable::from_openapi(&api));
    let config = state.config.clone();

    app.app_data(web::Data::new(state))
        .app_data(routes)
        .app_data(web::PayloadConfig::new(config.body_limit))
        .app_data(kernel::extract::json_config(config.body_limit))
        .app_data(kernel::extract::query_config())
        .app_data(kernel::extract::path_config())
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, "/docs/"))
                    .finish()
            }),
        )
        .default_service(web::to(no_route))
        .wrap(
            DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::REFERRER_POLICY, "no-referrer"))
                .add((header::CONTENT_SECURITY_POLICY, CSP))
                .add((header::CACHE_CONTROL, "no-store")),
        )
        .wrap(from_fn(request_context))
}
