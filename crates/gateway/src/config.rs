//! Configuration: built-in defaults, overlaid by an optional TOML file
//! (`--config FILE` or `BRANCHLINE_CONFIG`), overlaid by `BRANCHLINE_*` environment
//! variables, so a container can override one setting of a shipped file. The
//! result is passed into the app; nothing reads the environment after start-up.
//! Secrets (the database password) are redacted in every `Debug` and log line.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use store::{DatabaseUrl, PoolOptions};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/branchline.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: String,
    /// Origins allowed to call the API from a browser; empty allows none.
    pub cors_allowed_origins: Vec<String>,
    /// Largest accepted request body, in bytes; larger ones answer 413.
    pub body_limit: usize,
    pub db_pool_size: u32,
    pub db_checkout_timeout: Duration,
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `info,gateway=debug`.
    pub log_filter: String,
    /// HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    /// The access-token signing key (at least 32 bytes). Unset: a random key per
    /// process, so tokens do not survive a restart or work across replicas.
    pub jwt_secret: Option<Secret>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client;
    /// from any other peer those headers are ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Requests a second each client address may make, sustained; 0 turns the
    /// limit off.
    pub rate_limit_per_second: u32,
    /// Requests a client address may make at once before the sustained rate
    /// applies.
    pub rate_limit_burst: u32,
}

/// A secret string whose `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: &str) -> Self {
        Secret(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is invalid: {source}")]
    Parse {
        path: String,
        source: Box<toml::de::Error>,
    },
    #[error("{name} is invalid: {message}")]
    Invalid { name: String, message: String },
}

/// The file's shape: the same keys as `SETTINGS`, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    cors_allowed_origins: Option<Vec<String>>,
    body_limit: Option<usize>,
    db_pool_size: Option<u32>,
    db_checkout_timeout_secs: Option<u64>,
    log_format: Option<String>,
    log_filter: Option<String>,
    workers: Option<usize>,
    jwt_secret: Option<String>,
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_secs: Option<u64>,
    trusted_proxies: Option<Vec<String>>,
    rate_limit_per_second: Option<u32>,
    rate_limit_burst: Option<u32>,
}

impl Config {
    /// Loads from the process environment and the optional file.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("BRANCHLINE_"))
            .collect();
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env.get("BRANCHLINE_CONFIG").map(Into::into));
        Config::from_sources(file.as_deref(), &env)
    }

    /// Loads from an explicit environment map (tests vary it without touching the
    /// process environment).
    pub fn from_sources(
        file: Option<&Path>,
        env: &HashMap<String, String>,
    ) -> Result<Config, ConfigError> {
        let file_cfg = match file {
            None => FileConfig::default(),
            Some(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: shown.clone(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: shown,
                    source: Box::new(source),
                })?
            }
        };
        let get = |name: &str| {
            env.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let invalid = |name: &str, message: String| ConfigError::Invalid {
            name: name.to_owned(),
            message,
        };
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T, ConfigError> {
            v.parse().map_err(|_| ConfigError::Invalid {
                name: name.to_owned(),
                message: format!("`{v}` is not a number"),
            })
        }

        let raw_url = get("BRANCHLINE_DATABASE_URL")
            .or(file_cfg.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database_url = DatabaseUrl::parse(&raw_url)
            .map_err(|e| invalid("BRANCHLINE_DATABASE_URL", e.to_string()))?;

        let cors_allowed_origins = match get("BRANCHLINE_CORS_ALLOWED_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            None => file_cfg.cors_allowed_origins.unwrap_or_default(),
        };
        for origin in &cors_allowed_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.ends_with('/')
            {
                return Err(invalid(
                    "BRANCHLINE_CORS_ALLOWED_ORIGINS",
                    format!("`{origin}` is not an origin like https://app.example.com"),
                ));
            }
        }

        let body_limit = match get("BRANCHLINE_BODY_LIMIT") {
            Some(v) => num("BRANCHLINE_BODY_LIMIT", v)?,
            None => file_cfg.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
        };
        let db_pool_size: u32 = match get("BRANCHLINE_DB_POOL_SIZE") {
            Some(v) => num("BRANCHLINE_DB_POOL_SIZE", v)?,
            None => file_cfg.db_pool_size.unwrap_or(10),
        };
        if db_pool_size == 0 {
            return Err(invalid(
                "BRANCHLINE_DB_POOL_SIZE",
                "must be at least 1".to_owned(),
            ));
        }
        let checkout_secs: u64 = match get("BRANCHLINE_DB_CHECKOUT_TIMEOUT_SECS") {
            Some(v) => num("BRANCHLINE_DB_CHECKOUT_TIMEOUT_SECS", v)?,
            None => file_cfg.db_checkout_timeout_secs.unwrap_or(5),
        };
        let log_format = match get("BRANCHLINE_LOG_FORMAT")
            .or(file_cfg.log_format)
            .as_deref()
        {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "BRANCHLINE_LOG_FORMAT",
                    format!("`{other}` is not `text` or `json`"),
                ));
            }
        };
        let workers = match get("BRANCHLINE_WORKERS") {
            Some(v) => Some(num("BRANCHLINE_WORKERS", v)?),
            None => file_cfg.workers,
        };
        let jwt_secret = get("BRANCHLINE_JWT_SECRET").or(file_cfg.jwt_secret);
        if let Some(secret) = &jwt_secret
            && secret.len() < 32
        {
            return Err(invalid(
                "BRANCHLINE_JWT_SECRET",
                "must be at least 32 bytes".to_owned(),
            ));
        }
        let access_ttl: u64 = match get("BRANCHLINE_ACCESS_TOKEN_TTL_SECS") {
            Some(v) => num("BRANCHLINE_ACCESS_TOKEN_TTL_SECS", v)?,
            None => file_cfg.access_token_ttl_secs.unwrap_or(900),
        };
        let refresh_ttl: u64 = match get("BRANCHLINE_REFRESH_TOKEN_TTL_SECS") {
            Some(v) => num("BRANCHLINE_REFRESH_TOKEN_TTL_SECS", v)?,
            None => file_cfg.refresh_token_ttl_secs.unwrap_or(30 * 24 * 3600),
        };
        let proxies: Vec<String> = match get("BRANCHLINE_TRUSTED_PROXIES") {
            Some(list) => list
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            None => file_cfg.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = proxies
            .iter()
            .map(|p| {
                p.parse().map_err(|_| {
                    invalid(
                        "BRANCHLINE_TRUSTED_PROXIES",
                        format!("`{p}` is not an IP address"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rate_limit_per_second: u32 = match get("BRANCHLINE_RATE_LIMIT_PER_SECOND") {
            Some(v) => num("BRANCHLINE_RATE_LIMIT_PER_SECOND", v)?,
            None => file_cfg.rate_limit_per_second.unwrap_or(100),
        };
        let rate_limit_burst: u32 = match get("BRANCHLINE_RATE_LIMIT_BURST") {
            Some(v) => num("BRANCHLINE_RATE_LIMIT_BURST", v)?,
            None => file_cfg.rate_limit_burst.unwrap_or(200),
        };
        Ok(Config {
            trusted_proxies,
            rate_limit_per_second,
            rate_limit_burst: rate_limit_burst.max(1),
            jwt_secret: jwt_secret.map(Secret),
            access_token_ttl: Duration::from_secs(access_ttl.max(1)),
            refresh_token_ttl: Duration::from_secs(refresh_ttl.max(1)),
            database_url,
            bind: get("BRANCHLINE_BIND")
                .or(file_cfg.bind)
                .unwrap_or_else(|| DEFAULT_BIND.to_owned()),
            cors_allowed_origins,
            body_limit,
            db_pool_size,
            db_checkout_timeout: Duration::from_secs(checkout_secs.max(1)),
            log_format,
            log_filter: get("BRANCHLINE_LOG")
                .or(file_cfg.log_filter)
                .unwrap_or_else(|| "info".to_owned()),
            workers,
        })
    }

    pub fn pool_options(&self) -> PoolOptions {
        PoolOptions {
            max_size: self.db_pool_size,
            checkout_timeout: self.db_checkout_timeout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults() {
        let c = Config::from_sources(None, &env(&[])).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite("data/branchline.db".into())
        );
        assert_eq!(c.body_limit, DEFAULT_BODY_LIMIT);
        assert!(c.cors_allowed_origins.is_empty());
    }

    #[test]
    fn env_overrides_file() {
        let dir = std::env::temp_dir().join(format!("bl-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("branchline.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\nbody_limit = 2048\ncors_allowed_origins = [\"https://a.example\"]\n").unwrap();
        let c =
            Config::from_sources(Some(&file), &env(&[("BRANCHLINE_BODY_LIMIT", "4096")])).unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert_eq!(c.body_limit, 4096);
        assert_eq!(c.cors_allowed_origins, vec!["https://a.example"]);
        std::fs::write(&file, "bnd = \"x\"\n").unwrap();
        let err = Config::from_sources(Some(&file), &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `bnd`"), "{err}");
    }

    #[test]
    fn bad_values_name_the_variable_and_hide_secrets() {
        let err =
            Config::from_sources(None, &env(&[("BRANCHLINE_DB_POOL_SIZE", "many")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BRANCHLINE_DB_POOL_SIZE is invalid: `many` is not a number"
        );
        let err = Config::from_sources(
            None,
            &env(&[("BRANCHLINE_DATABASE_URL", "mysql://u:pw@h/db")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("BRANCHLINE_DATABASE_URL is invalid"),
            "{err}"
        );
        assert!(!err.contains("pw@"), "{err}");
        let c = Config::from_sources(
            None,
            &env(&[("BRANCHLINE_DATABASE_URL", "postgres://u:pw@h/db")]),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("pw"));
        let c = Config::from_sources(
            None,
            &env(&[("BRANCHLINE_JWT_SECRET", "x".repeat(40).as_str())]),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("xxxx"));
        assert!(Config::from_sources(None, &env(&[("BRANCHLINE_JWT_SECRET", "short")])).is_err());
        assert!(
            Config::from_sources(
                None,
                &env(&[("BRANCHLINE_CORS_ALLOWED_ORIGINS", "a.example")])
            )
            .is_err()
        );
    }
}
