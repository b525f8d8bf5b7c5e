//! Tokens. The access token is a short-lived JWT signed with HS256; the algorithm
//! is pinned on verification, and `iss`, `aud` and `exp` (with 60 s leeway) are
//! checked, so `alg: none` and tokens signed any other way are refused. The
//! refresh token is an opaque random string stored only as its SHA-256 hash; each
//! use rotates it within its family, and a reused (already rotated) token revokes
//! the whole family.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use kernel::ApiError;
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "branchline";
pub const AUDIENCE: &str = "branchline-api";
pub const LEEWAY_SECS: u64 = 60;

/// Signing settings, from configuration.
#[derive(Clone)]
pub struct TokenSettings {
    secret: Vec<u8>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl std::fmt::Debug for TokenSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSettings")
            .field("secret", &"***")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish()
    }
}

impl TokenSettings {
    pub fn new(secret: Vec<u8>, access_ttl: Duration, refresh_ttl: Duration) -> Self {
        TokenSettings {
            secret,
            access_ttl,
            refresh_ttl,
        }
    }

    /// A random secret, for a single process that needs no shared key.
    pub fn random_secret() -> Vec<u8> {
        random_bytes::<32>().to_vec()
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

pub fn issue_access(settings: &TokenSettings, user_id: i64) -> Result<String, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: user_id.to_string(),
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        iat: now,
        exp: now + settings.access_ttl.as_secs() as i64,
        jti: uuid::Uuid::new_v4().simple().to_string(),
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&settings.secret),
    )
    .map_err(ApiError::internal)
}

/// The user id of a valid access token.
pub fn verify_access(settings: &TokenSettings, token: &str) -> Result<i64, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.algorithms = vec![Algorithm::HS256];
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    let data = decode::<Claims>(
        token,
        &DecodingKey::from_secret(&settings.secret),
        &validation,
    )
    .map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        let why = match e.kind() {
            ErrorKind::ExpiredSignature => "the access token has expired; refresh it",
            ErrorKind::ImmatureSignature => "the access token is not valid yet",
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidSignature => {
                "the access token's signature is invalid"
            }
            ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                "the access token was not issued for this API"
            }
            _ => "the access token is malformed",
        };
        ApiError::unauthenticated(why)
    })?;
    // Issued later than now (past the leeway): not a token this server made.
    let now = chrono::Utc::now().timestamp();
    if data.claims.iat > now + LEEWAY_SECS as i64 {
        return Err(ApiError::unauthenticated(
            "the access token claims to be issued in the future",
        ));
    }
    data.claims
        .sub
        .parse()
        .map_err(|_| ApiError::unauthenticated("the access token is malformed"))
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS random source failing is not something a request can recover from.
    getrandom::fill(&mut buf).expect("operating system random source");
    buf
}

/// A new opaque refresh token (256 random bits).
pub fn new_refresh_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A new refresh-token family id.
pub fn new_family_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// What is stored for a refresh token: its SHA-256, never the token.
pub fn hash_refresh_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TokenSettings {
        TokenSettings::new(
            b"0123456789abcdef0123456789abcdef".to_vec(),
            Duration::from_secs(900),
            Duration::from_secs(86400),
        )
    }

    fn sign(claims: &Claims, alg: Algorithm, secret: &[u8]) -> String {
        encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn claims(exp_offset: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: "42".into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + exp_offset,
            jti: "j".into(),
        }
    }

    #[test]
    fn round_trip() {
        let s = settings();
        let t = issue_access(&s, 42).unwrap();
        assert_eq!(verify_access(&s, &t).unwrap(), 42);
    }

    #[test]
    fn expiry_honours_leeway() {
        let s = settings();
        let secret = b"0123456789abcdef0123456789abcdef";
        assert!(verify_access(&s, &sign(&claims(-30), Algorithm::HS256, secret)).is_ok());
        assert!(verify_access(&s, &sign(&claims(-61 - 5), Algorithm::HS256, secret)).is_err());
    }

    #[test]
    fn other_algorithms_secrets_and_none_are_refused() {
        let s = settings();
        let secret = b"0123456789abcdef0123456789abcdef";
        assert!(verify_access(&s, &sign(&claims(60), Algorithm::HS512, secret)).is_err());
        assert!(
            verify_access(
                &s,
                &sign(
                    &claims(60),
                    Algorithm::HS256,
                    b"another secret entirely......"
                )
            )
            .is_err()
        );
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(60)).unwrap());
        assert!(verify_access(&s, &format!("{header}.{body}.")).is_err());
        let mut wrong_aud = claims(60);
        wrong_aud.aud = "other".into();
        assert!(verify_access(&s, &sign(&wrong_aud, Algorithm::HS256, secret)).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_ne!(hash_refresh_token(&a), a);
    }
}
