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
use kernel::principal::Resolver;
use kernel::responses::{
    BadRequest, Conflict, Forbidden, InternalError, NotFound, PayloadTooLarge, PreconditionFailed,
    PreconditionRequired, ServiceUnavailable, TooManyRequests, Unauthorized, UnprocessableEntity,
    UnsupportedMediaType,
};
use kernel::{ErrorCode, FieldError, Problem};
use org::principal::PrincipalCache;
use org::{DbResolver, OrgSettings, TokenSettings};
use store::Db;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::fallback::{RouteTable, no_route};
use crate::idempotency::idempotency;
use crate::metrics::Metrics;
use crate::middleware::request_context;
use crate::ops;

/// Everything a request handler may need, shared by all workers.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub org: OrgSettings,
    /// Every document type the approval engine routes.
    pub documents: workflow::Registry,
    /// Callers resolved by this process (`org::principal`), shared by its workers.
    pub principals: Arc<PrincipalCache>,
    /// Each client address's request budget (`crate::ratelimit`), shared by the
    /// process's workers.
    pub rate_limiter: Arc<crate::ratelimit::RateLimiter>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        let secret = match &config.jwt_secret {
            Some(s) => s.expose().as_bytes().to_vec(),
            None => {
                tracing::warn!(
                    "BRANCHLINE_JWT_SECRET is not set: using a random signing key; tokens end with this process"
                );
                TokenSettings::random_secret()
            }
        };
        let tokens = TokenSettings::new(secret, config.access_token_ttl, config.refresh_token_ttl);
        let rate_limiter = Arc::new(crate::ratelimit::RateLimiter::new(
            config.rate_limit_per_second,
            config.rate_limit_burst,
        ));
        AppState {
            rate_limiter,
            db,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            org: OrgSettings::new(tokens),
            documents: documents(),
            principals: Arc::new(PrincipalCache::default()),
        }
    }

    /// Adds a document type to the approval engine (tests add their own).
    pub fn with_document(mut self, doc: Arc<dyn workflow::ApprovalDocument>) -> Self {
        self.documents = self.documents.with(doc);
        self
    }
}

/// Reads the principal epoch every `store::epoch::WATCH_INTERVAL`, so that this
/// process drops cached callers soon after another process changed who may do
/// what (its own changes it sees as they commit). While the epoch cannot be read
/// nothing is served from the cache, so the bound holds through an outage. Runs
/// until the runtime stops; every server process and test app starts one.
pub fn spawn_epoch_watch(db: Db, principals: Arc<PrincipalCache>) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(store::epoch::WATCH_INTERVAL);
        let mut failing = false;
        loop {
            tick.tick().await;
            match db.refresh_epoch().await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("principal epoch readable again");
                }
                Ok(_) => {}
                Err(e) => {
                    principals.clear();
                    if !failing {
                        failing = true;
                        tracing::warn!(error = ?e, "cannot read the principal epoch; no caller is served from the cache until it can be read");
                    }
                }
            }
        }
    });
}

/// Every document type the approval engine routes: the engine's own and each
/// domain's.
pub fn documents() -> workflow::Registry {
    finance::documents()
        .into_iter()
        .chain(sales_pipeline::documents())
        .chain(personnel::documents())
        .chain(after_sales::documents())
        .chain(risk::documents(&crate::facts::risk::sources()))
        .fold(workflow::registry(), |r, d| r.with(d))
}

/// Declares bearer-token authentication in the spec.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from POST /api/v1/auth/login"))
                    .build(),
            ),
        );
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
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in, tokens, the caller's own profile"),
        (name = "org", description = "Regions, offices, departments, users and role assignments"),
        (name = "audit", description = "The audit trail of every write"),
        (name = "approvals", description = "The approval engine: inbox, chains, decisions, policies"),
        (name = "sales", description = "Sales pipeline: customer files, contacts, interactions"),
        (name = "finance", description = "Finance: expense claims and HQ pre-approvals"),
        (name = "personnel", description = "Personnel: employee files with their confidential personal data, labour contracts and position history; recruitment plans approved before candidates pass their stages and are hired; onboarding checklists; probation evaluations and conversions through approval; leaving with its handover; training needs, annual plans through approval, sessions with results and assessments, certificates; rewards and sanctions through approval; business trips, approved before and reported on after"),
        (name = "after-sales", description = "After-sales: working calendars and service levels; inquiries, complaints and suggestions timed by them; service tickets of the repair chain with warranty, parts and quotations; return visits; the knowledge base; satisfaction surveys and improvement actions; service indicators"),
        (name = "risk", description = "Risk: the risk register of offices, regions and the company with each risk's file, grade bands HQ sets, responses, measures, residual assessment and reviews, decisions through approval, and the risk matrix"),
        (name = "operations", description = "Liveness, readiness and metrics"),
    )
)]
struct ApiDoc;

/// Every documented route, registered through utoipa so the spec sees each one.
fn api_routes(cfg: &mut ServiceConfig) {
    ops::configure(cfg);
    cfg.service(
        utoipa_actix_web::scope("/api/v1")
            .configure(org::configure)
            .configure(workflow::configure)
            .configure(sales_pipeline::configure)
            .configure(finance::configure)
            .configure(personnel::configure)
            .configure(after_sales::configure)
            .configure(risk::configure),
    );
}

/// Responses and headers that a shared layer adds to whole classes of operations,
/// written into the spec here once rather than on every handler: any operation
/// with a JSON body can answer 413 and 415 (the `ValidJson` extractor); any POST
/// under `/api/v1` takes `Idempotency-Key` and can answer 409 and 422 for it (the
/// idempotency middleware); any operation but the probes can answer 429 (the
/// rate limit per client address). Headers read by shared extractors get the
/// exact form those accept: `If-Match` an ETag this API issued (`kernel::IfMatch`),
/// `Idempotency-Key` printable ASCII (the idempotency middleware).
fn add_shared_layer_responses(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{Ref, RefOr, Required};

    let reference = |name: &str| RefOr::Ref(Ref::from_response_name(name));
    for (path, item) in api.paths.paths.iter_mut() {
        let is_api = path.starts_with("/api/v1/");
        let is_probe = matches!(path.as_str(), "/healthz" | "/readyz");
        let ops = [
            (false, item.get.as_mut()),
            (false, item.put.as_mut()),
            (true, item.post.as_mut()),
            (false, item.patch.as_mut()),
            (false, item.delete.as_mut()),
        ];
        for (is_post, op) in ops {
            let Some(op) = op else { continue };
            for param in op.parameters.iter_mut().flatten() {
                if let RefOr::T(param) = param
                    && param.name == "If-Match"
                    && param.parameter_in == ParameterIn::Header
                {
                    param.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(r#"^(W/)?"?-?[0-9]{1,18}"?$"#))
                            .examples([serde_json::json!("\"3\"")])
                            .into(),
                    );
                }
            }
            let mut add = |status: &str, name: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| reference(name));
            };
            if !is_probe {
                add("429", "TooManyRequests");
            }
            let has_body = op.request_body.is_some();
            if has_body {
                add("413", "PayloadTooLarge");
                add("415", "UnsupportedMediaType");
            }
            if is_post && is_api {
                add("409", "Conflict");
                add("422", "UnprocessableEntity");
                op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(
                    ParameterBuilder::new()
                        .name("Idempotency-Key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some(
                            "Makes a retry safe: the same key and body (per caller, within 24 h) returns the \
                             first response without doing the work again",
                        ))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(255))
                                .pattern(Some("^[!-~]+$")),
                        ))
                        .build(),
                ));
            }
        }
    }
}

/// Internally tagged enums that refuse unknown fields
/// (`#[serde(tag = "...", deny_unknown_fields)]`): utoipa leaves their variants
/// open, so the spec would promise extra fields the server refuses.
const CLOSED_TAGGED_UNIONS: &[&str] = &["Approver"];

fn close_tagged_unions(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    let Some(components) = api.components.as_mut() else {
        return;
    };
    for name in CLOSED_TAGGED_UNIONS {
        let Some(RefOr::T(Schema::OneOf(union))) = components.schemas.get_mut(*name) else {
            continue;
        };
        for variant in &mut union.items {
            if let RefOr::T(Schema::Object(object)) = variant {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

/// The OpenAPI document, without a database or a server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts()
        .1;
    add_shared_layer_responses(&mut api);
    close_tagged_unions(&mut api);
    api
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
    let (app, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .configure(extra)
        .split_for_parts();
    add_shared_layer_responses(&mut api);
    close_tagged_unions(&mut api);
    let routes = web::Data::new(RouteTable::from_openapi(&api));
    let config = state.config.clone();

    let resolver: Resolver = Arc::new(DbResolver {
        db: state.db.clone(),
        tokens: state.org.tokens.clone(),
        cache: state.principals.clone(),
    });
    app.app_data(web::Data::new(resolver))
        .app_data(web::Data::new(state.db.clone()))
        .app_data(web::Data::new(state.org.clone()))
        .app_data(web::Data::new(state.documents.clone()))
        .app_data(web::Data::new(
            Arc::new(crate::facts::finance::SalesReceipts) as finance::facts::Sales,
        ))
        .app_data(web::Data::new(
            Arc::new(crate::facts::after_sales::SalesCustomers) as after_sales::facts::Sales,
        ))
        .app_data(web::Data::new(
            Arc::new(crate::facts::finance::PersonnelTrips) as finance::facts::Trips,
        ))
        .app_data(web::Data::new(crate::facts::risk::sources()))
        .app_data(web::Data::new(crate::facts::personnel::sources()))
        .app_data(web::Data::new(state))
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
        .wrap(from_fn(idempotency))
        .wrap(from_fn(crate::ratelimit::rate_limit))
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
