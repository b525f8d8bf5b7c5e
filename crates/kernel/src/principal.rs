//! Who is calling, and what they may reach.
//!
//! A `Principal` is resolved from the bearer token on every request by the
//! resolver the gateway registers (the organization module implements it): the
//! user, and their grants — each a role's permissions over a reach (the whole
//! company, or a set of offices). Checks answer the two questions every endpoint
//! asks: may this caller do this kind of thing at all (403 if not), and is this
//! record inside their reach (404 if not, so nobody learns that it exists).
//! List queries take `Reach` into their SQL (`WHERE office_id IN (...)`).

use std::collections::BTreeSet;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::error::ApiError;

/// A `resource:action` permission, e.g. `office:read`.
pub type Permission = &'static str;

/// The offices a permission reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every office, and records that belong to no office.
    Company,
    /// These offices only (possibly none).
    Offices(BTreeSet<i64>),
}

/// No office at all: the safe default.
impl Default for Reach {
    fn default() -> Self {
        Reach::none()
    }
}

impl Reach {
    pub fn none() -> Reach {
        Reach::Offices(BTreeSet::new())
    }

    /// The reach of these offices; `None`: every office.
    pub fn over(offices: Option<&[i64]>) -> Reach {
        match offices {
            None => Reach::Company,
            Some(ids) => Reach::Offices(ids.iter().copied().collect()),
        }
    }

    pub fn contains(&self, office_id: i64) -> bool {
        match self {
            Reach::Company => true,
            Reach::Offices(set) => set.contains(&office_id),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Reach::Offices(set) if set.is_empty())
    }

    /// The office ids for an `IN (...)` clause; `None` means no restriction.
    pub fn office_ids(&self) -> Option<Vec<i64>> {
        match self {
            Reach::Company => None,
            Reach::Offices(set) => Some(set.iter().copied().collect()),
        }
    }

    /// Widens this reach by `other`.
    pub fn union(&mut self, other: &Reach) {
        match (&mut *self, other) {
            (Reach::Company, _) => {}
            (_, Reach::Company) => *self = Reach::Company,
            (Reach::Offices(a), Reach::Offices(b)) => a.extend(b.iter().copied()),
        }
    }
}

/// One role assignment, as resolved for this request.
#[derive(Debug, Clone)]
pub struct Grant {
    pub role: &'static str,
    pub permissions: &'static [Permission],
    pub reach: Reach,
    /// Set when this grant is an acting assignment (代行): the user acts for this
    /// other user, and actions taken through it are recorded as such.
    pub acting_for: Option<i64>,
}

/// How an action was authorised: directly, or acting for someone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Authority {
    pub acting_for: Option<i64>,
}

/// Who performed a write, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub acting_for: Option<i64>,
    pub request_id: Option<String>,
}

impl Actor {
    /// The demo loader writing as `user_id` (or as nobody), marked as such in
    /// the audit trail.
    pub fn demo_loader(user_id: Option<i64>) -> Actor {
        Actor {
            user_id,
            acting_for: None,
            request_id: Some("demo-loader".to_owned()),
        }
    }

    /// A background job of the server writing as nobody, named in the audit
    /// trail's request id (`leaving-finalization`, say).
    pub fn job(name: &str) -> Actor {
        Actor {
            user_id: None,
            acting_for: None,
            request_id: Some(name.to_owned()),
        }
    }
}

/// The request's id, set by the gateway's middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// The user's home office, if they belong to one.
    pub office_id: Option<i64>,
    pub grants: Vec<Grant>,
    pub request_id: Option<String>,
}

impl Principal {
    /// Every permission the caller holds anywhere, sorted.
    pub fn permissions(&self) -> BTreeSet<Permission> {
        self.grants
            .iter()
            .flat_map(|g| g.permissions.iter().copied())
            .collect()
    }

    pub fn has(&self, perm: Permission) -> bool {
        self.grants.iter().any(|g| g.permissions.contains(&perm))
    }

    /// Where the caller holds `perm`: the union over grants that include it.
    pub fn reach(&self, perm: Permission) -> Reach {
        let mut reach = Reach::none();
        for g in self.grants.iter().filter(|g| g.permissions.contains(&perm)) {
            reach.union(&g.reach);
        }
        reach
    }

    /// 403 unless the caller holds `perm` somewhere; returns where.
    pub fn require(&self, perm: Permission) -> Result<Reach, ApiError> {
        if !self.has(perm) {
            return Err(ApiError::forbidden(format!(
                "your roles do not grant `{perm}`"
            )));
        }
        Ok(self.reach(perm))
    }

    /// 403 unless the caller holds `perm` company-wide.
    pub fn require_company(&self, perm: Permission) -> Result<Authority, ApiError> {
        self.require(perm)?;
        self.grants
            .iter()
            .filter(|g| g.permissions.contains(&perm) && g.reach == Reach::Company)
            .min_by_key(|g| g.acting_for.is_some())
            .map(|g| Authority {
                acting_for: g.acting_for,
            })
            .ok_or_else(|| ApiError::forbidden(format!("`{perm}` is needed company-wide for this")))
    }

    /// For an action on a record of `office_id` (`None`: a company-level record):
    /// 403 without the permission anywhere, 404 when the record is outside the
    /// caller's reach. Prefers the caller's own grants over acting ones.
    pub fn authorize(
        &self,
        perm: Permission,
        office_id: Option<i64>,
    ) -> Result<Authority, ApiError> {
        self.require(perm)?;
        self.grants
            .iter()
            .filter(|g| g.permissions.contains(&perm))
            .filter(|g| match office_id {
                Some(id) => g.reach.contains(id),
                None => g.reach == Reach::Company,
            })
            .min_by_key(|g| g.acting_for.is_some())
            .map(|g| Authority {
                acting_for: g.acting_for,
            })
            .ok_or_else(|| ApiError::not_found("record"))
    }

    /// For an action on a record over several offices at once (a region's):
    /// like [`Principal::authorize`], through one grant that reaches every
    /// office of `offices` (none: only a company-wide grant).
    pub fn authorize_all(&self, perm: Permission, offices: &[i64]) -> Result<Authority, ApiError> {
        if offices.is_empty() {
            return self.authorize(perm, None);
        }
        self.require(perm)?;
        self.grants
            .iter()
            .filter(|g| g.permissions.contains(&perm))
            .filter(|g| offices.iter().all(|o| g.reach.contains(*o)))
            .min_by_key(|g| g.acting_for.is_some())
            .map(|g| Authority {
                acting_for: g.acting_for,
            })
            .ok_or_else(|| ApiError::not_found("record"))
    }

    /// The audit trail's view of this caller for one action.
    pub fn actor(&self, authority: Authority) -> Actor {
        Actor {
            user_id: Some(self.user_id),
            acting_for: authority.acting_for,
            request_id: self.request_id.clone(),
        }
    }
}

/// Turns a bearer token into a `Principal`. The organization module implements it
/// over its tables; the gateway registers it as app data.
pub trait ResolvePrincipal: Send + Sync {
    fn resolve(&self, token: String) -> LocalBoxFuture<'static, Result<Principal, ApiError>>;
}

/// App data holding the resolver.
pub type Resolver = Arc<dyn ResolvePrincipal>;

/// The bearer token of a request, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .then(|| token.trim().to_owned())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let resolver = req.app_data::<web::Data<Resolver>>().cloned();
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let token = token.ok_or_else(|| {
                ApiError::unauthenticated(
                    "send `Authorization: Bearer <access token>`; get one at /api/v1/auth/login",
                )
            })?;
            let resolver = resolver.ok_or_else(|| {
                ApiError::internal(std::io::Error::other("no principal resolver"))
            })?;
            let mut principal = resolver.resolve(token).await?;
            principal.request_id = request_id;
            Ok(principal)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: &[Permission] = &["office:read"];
    const MANAGE: &[Permission] = &["office:read", "user:manage"];

    fn principal(grants: Vec<Grant>) -> Principal {
        Principal {
            user_id: 7,
            username: "u".into(),
            display_name: "U".into(),
            office_id: None,
            grants,
            request_id: Some("rid".into()),
        }
    }

    fn offices(ids: &[i64]) -> Reach {
        Reach::Offices(ids.iter().copied().collect())
    }

    #[test]
    fn reach_is_the_union_of_grants_holding_the_permission() {
        let p = principal(vec![
            Grant {
                role: "staff",
                permissions: READ,
                reach: offices(&[1]),
                acting_for: None,
            },
            Grant {
                role: "office_director",
                permissions: MANAGE,
                reach: offices(&[2]),
                acting_for: None,
            },
        ]);
        assert_eq!(p.reach("office:read"), offices(&[1, 2]));
        assert_eq!(p.reach("user:manage"), offices(&[2]));
        assert!(p.authorize("user:manage", Some(2)).is_ok());
        assert_eq!(
            p.authorize("user:manage", Some(1))
                .unwrap_err()
                .status()
                .as_u16(),
            404
        );
        assert_eq!(
            p.authorize("audit:read", Some(1))
                .unwrap_err()
                .status()
                .as_u16(),
            403
        );
        assert_eq!(
            p.authorize("office:read", None)
                .unwrap_err()
                .status()
                .as_u16(),
            404
        );
    }

    #[test]
    fn own_grants_win_over_acting_ones() {
        let p = principal(vec![
            Grant {
                role: "office_director",
                permissions: MANAGE,
                reach: offices(&[1, 2]),
                acting_for: Some(99),
            },
            Grant {
                role: "deputy_director",
                permissions: MANAGE,
                reach: offices(&[1]),
                acting_for: None,
            },
        ]);
        assert_eq!(
            p.authorize("user:manage", Some(1)).unwrap().acting_for,
            None
        );
        assert_eq!(
            p.authorize("user:manage", Some(2)).unwrap().acting_for,
            Some(99)
        );
        assert_eq!(
            p.actor(Authority {
                acting_for: Some(99)
            })
            .acting_for,
            Some(99)
        );
    }

    #[test]
    fn company_reach_absorbs_offices() {
        let p = principal(vec![
            Grant {
                role: "auditor",
                permissions: READ,
                reach: Reach::Company,
                acting_for: None,
            },
            Grant {
                role: "staff",
                permissions: READ,
                reach: offices(&[3]),
                acting_for: None,
            },
        ]);
        assert_eq!(p.reach("office:read"), Reach::Company);
        assert!(p.authorize("office:read", None).is_ok());
        assert!(p.require_company("office:read").is_ok());
    }
}
