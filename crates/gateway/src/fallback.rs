//! What answers when no route matched: 405 with `Allow` when the path is a known
//! route under another method, 404 `route_not_found` otherwise. Known routes are
//! read from the generated spec, so the answer is right for every route without a
//! list kept by hand.

use actix_web::{HttpRequest, HttpResponse, web};
use kernel::{ApiError, ErrorCode};
use utoipa::openapi::OpenApi;

/// Path templates from the spec with the methods each accepts.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    pub fn from_openapi(api: &OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = split(path)
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let methods: Vec<String> = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(m, _)| m.to_owned())
                .collect();
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods the path accepts, when it is a known route.
    pub fn allowed(&self, path: &str) -> Option<&[String]> {
        let parts: Vec<&str> = split(path).collect();
        self.routes
            .iter()
            .find(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(seg, part)| match seg {
                        Segment::Literal(lit) => lit == part,
                        Segment::Param => !part.is_empty(),
                    })
            })
            .map(|(_, methods)| methods.as_slice())
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
}

pub async fn no_route(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    match table.allowed(req.path()) {
        Some(methods) => {
            let mut err = ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} is not allowed on {}; allowed: {}",
                    req.method(),
                    req.path(),
                    methods.join(", ")
                ),
            );
            err.allow = Some(methods.join(", "));
            Err(err)
        }
        _ => Err(ApiError::new(
            ErrorCode::RouteNotFound,
            format!("no route matches {}", req.path()),
        )),
    }
}
