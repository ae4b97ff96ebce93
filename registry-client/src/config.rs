//! Client settings, read from Kafka Connect style properties (`value.converter.` prefix already
//! stripped). Keys this crate does not know are ignored: converter properties arrive in the same
//! map (`auto.register.schemas`, `use.latest.version`, ...).

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use reqwest::Url;

use crate::retry::RetryPolicy;

/// Comma-separated registry base URLs, tried in order (Confluent's key).
pub const URL: &str = "schema.registry.url";
/// `URL` (default: credentials embedded in each URL) or `USER_INFO` (Confluent's key).
pub const BASIC_AUTH_SOURCE: &str = "basic.auth.credentials.source";
/// `user:password` for `USER_INFO` (Confluent's key).
pub const BASIC_AUTH_USER_INFO: &str = "basic.auth.user.info";
/// Older spelling of [`BASIC_AUTH_USER_INFO`] still accepted by Confluent's serializers.
pub const LEGACY_BASIC_AUTH_USER_INFO: &str = "schema.registry.basic.auth.user.info";
/// Only `STATIC_TOKEN` is supported; may be left out when a token is set (Confluent's key).
pub const BEARER_AUTH_SOURCE: &str = "bearer.auth.credentials.source";
/// A static bearer token (Confluent's key).
pub const BEARER_AUTH_TOKEN: &str = "bearer.auth.token";
/// Entries per cache (id → schema and (subject, schema) → id); 0 disables caching.
pub const CACHE_CAPACITY: &str = "schema.registry.cache.capacity";
/// Per-request timeout, connecting included, in milliseconds.
pub const REQUEST_TIMEOUT_MS: &str = "schema.registry.request.timeout.ms";
/// Retries after a retriable failure.
pub const RETRIES: &str = "schema.registry.retries";
/// First pause between attempts, in milliseconds.
pub const RETRY_BACKOFF_MS: &str = "schema.registry.retry.backoff.ms";
/// Longest pause between attempts, in milliseconds.
pub const RETRY_BACKOFF_MAX_MS: &str = "schema.registry.retry.backoff.max.ms";
/// A PEM file of the CAs to trust for `https://` registries (besides the platform's).
pub const SSL_TRUSTSTORE_LOCATION: &str = "schema.registry.ssl.truststore.location";
/// The truststore's type; only `PEM` is read.
pub const SSL_TRUSTSTORE_TYPE: &str = "schema.registry.ssl.truststore.type";
/// The CAs inline, PEM.
pub const SSL_TRUSTSTORE_CERTIFICATES: &str = "schema.registry.ssl.truststore.certificates";
/// A PEM file holding the client certificate chain and its unencrypted key (mutual TLS).
pub const SSL_KEYSTORE_LOCATION: &str = "schema.registry.ssl.keystore.location";
/// The keystore's type; only `PEM` is read.
pub const SSL_KEYSTORE_TYPE: &str = "schema.registry.ssl.keystore.type";
/// The client certificate chain inline, PEM (with [`SSL_KEYSTORE_KEY`]).
pub const SSL_KEYSTORE_CERTIFICATE_CHAIN: &str = "schema.registry.ssl.keystore.certificate.chain";
/// The client key inline, PEM.
pub const SSL_KEYSTORE_KEY: &str = "schema.registry.ssl.keystore.key";

/// Confluent's `max.schemas.per.subject` default, the size of its serializers' caches.
pub const fn default_cache_capacity() -> usize {
    1000
}

/// Half of Confluent's 60 s HTTP read timeout: a registry that has not answered by then is
/// better failed over.
pub const fn default_request_timeout() -> Duration {
    Duration::from_secs(30)
}

/// Confluent's client default (`max.retries`).
pub const fn default_retries() -> u32 {
    3
}

/// Kafka's `retry.backoff.ms` default.
pub const fn default_retry_backoff() -> Duration {
    Duration::from_millis(100)
}

/// Kafka's `retry.backoff.max.ms` default.
pub const fn default_retry_backoff_max() -> Duration {
    Duration::from_millis(1000)
}

/// How requests authenticate. `Debug` hides secrets.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: String,
        /// Password (may be empty).
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { username, .. } => write!(f, "Basic({username}:***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// One registry URL and the credentials sent to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL (e.g. `http://host:8081` or `http://host:8080/apis/ccompat/v7`) without credentials,
    /// so it can appear in errors and logs.
    pub url: Url,
    /// Credentials for this URL.
    pub auth: Auth,
}

/// Everything the client needs. Build it with [`RegistryConfig::from_props`] or
/// [`RegistryConfig::for_urls`], then adjust fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// Registries in failover order; never empty when built by this module.
    pub endpoints: Vec<Endpoint>,
    /// Entries per cache; 0 disables caching.
    pub cache_capacity: usize,
    /// Per-request timeout, connecting included.
    pub request_timeout: Duration,
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// TLS: extra trusted CAs and a client certificate.
    pub tls: TlsConfig,
}

/// TLS settings for `https://` registries, as PEM (the `schema.registry.ssl.*` keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// CA certificates to trust besides the platform's; empty for none.
    pub roots_pem: Vec<u8>,
    /// The client certificate chain and its key, for mutual TLS.
    pub identity_pem: Option<Vec<u8>>,
}

/// The `schema.registry.ssl.*` settings: PEM files or inline PEM. JKS and PKCS12 stores are
/// refused with the command that converts them.
fn tls_config(
    get: &dyn Fn(&str) -> Option<String>,
    fail: &mut dyn FnMut(&str, String),
) -> TlsConfig {
    let mut tls = TlsConfig::default();
    let read = |key: &str, path: &str, fail: &mut dyn FnMut(&str, String)| match std::fs::read(path)
    {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            fail(key, format!("cannot read {path}: {e}"));
            None
        }
    };
    let pem_type = |key: &str, fail: &mut dyn FnMut(&str, String)| {
        let kind = get(key)
            .unwrap_or_else(|| "JKS".to_owned())
            .to_ascii_uppercase();
        if kind == "PEM" {
            true
        } else {
            fail(
                key,
                format!(
                    "a {kind} store is not read; convert it to PEM (openssl pkcs12 -in store.p12 \
                     -nodes -out store.pem, after keytool -importkeystore -deststoretype PKCS12 \
                     for JKS) and set {key}=PEM"
                ),
            );
            false
        }
    };
    if let Some(path) = get(SSL_TRUSTSTORE_LOCATION) {
        if pem_type(SSL_TRUSTSTORE_TYPE, fail)
            && let Some(bytes) = read(SSL_TRUSTSTORE_LOCATION, &path, fail)
        {
            tls.roots_pem = bytes;
        }
    } else if let Some(pem) = get(SSL_TRUSTSTORE_CERTIFICATES) {
        tls.roots_pem = pem.into_bytes();
    }
    if let Some(path) = get(SSL_KEYSTORE_LOCATION) {
        if pem_type(SSL_KEYSTORE_TYPE, fail) {
            tls.identity_pem = read(SSL_KEYSTORE_LOCATION, &path, fail);
        }
    } else if let Some(chain) = get(SSL_KEYSTORE_CERTIFICATE_CHAIN) {
        match get(SSL_KEYSTORE_KEY) {
            Some(key) => tls.identity_pem = Some(format!("{chain}\n{key}").into_bytes()),
            None => fail(
                SSL_KEYSTORE_KEY,
                format!("is required with {SSL_KEYSTORE_CERTIFICATE_CHAIN}"),
            ),
        }
    }
    tls
}

/// One bad property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct FieldError {
    /// The property key.
    pub key: String,
    /// What is wrong with its value.
    pub message: String,
}

/// Every bad property found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid schema registry configuration: {}", join(.errors))]
pub struct ConfigError {
    /// The bad properties.
    pub errors: Vec<FieldError>,
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl RegistryConfig {
    /// Defaults for everything but the URLs (`a,b` or `a`, as in `schema.registry.url`).
    pub fn for_urls(urls: &str) -> Result<Self, ConfigError> {
        Self::from_props([(URL, urls)])
    }

    /// Reads the properties listed in this module's constants; other keys are ignored.
    pub fn from_props<I, K, V>(props: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let props: HashMap<String, String> = props
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().trim().to_owned()))
            .collect();
        let mut errors = Vec::new();
        let mut fail = |key: &str, message: String| {
            errors.push(FieldError {
                key: key.to_owned(),
                message,
            });
        };
        let get = |key: &str| props.get(key).map(String::as_str).filter(|v| !v.is_empty());

        let mut urls = Vec::new();
        match get(URL) {
            None => fail(URL, "is required".into()),
            Some(list) => {
                for raw in list.split(',').map(str::trim) {
                    match parse_url(raw) {
                        Ok(url) => urls.push(url),
                        Err(message) => fail(URL, message),
                    }
                }
            }
        }

        let user_info = get(BASIC_AUTH_USER_INFO)
            .map(|v| (BASIC_AUTH_USER_INFO, v))
            .or_else(|| get(LEGACY_BASIC_AUTH_USER_INFO).map(|v| (LEGACY_BASIC_AUTH_USER_INFO, v)));
        let basic = match get(BASIC_AUTH_SOURCE).unwrap_or("URL") {
            "URL" => None,
            "USER_INFO" => match user_info {
                None => {
                    fail(
                        BASIC_AUTH_USER_INFO,
                        "is required when basic.auth.credentials.source=USER_INFO".into(),
                    );
                    None
                }
                Some((key, info)) => match info.split_once(':') {
                    Some((user, pass)) => Some(Auth::Basic {
                        username: user.to_owned(),
                        password: pass.to_owned(),
                    }),
                    None => {
                        fail(key, "must be user:password".into());
                        None
                    }
                },
            },
            other => {
                fail(
                    BASIC_AUTH_SOURCE,
                    format!("'{other}' is not supported; use URL or USER_INFO"),
                );
                None
            }
        };
        let bearer = match (get(BEARER_AUTH_SOURCE), get(BEARER_AUTH_TOKEN)) {
            (Some(source), _) if source != "STATIC_TOKEN" => {
                fail(
                    BEARER_AUTH_SOURCE,
                    format!("'{source}' is not supported; use STATIC_TOKEN"),
                );
                None
            }
            (Some(_), None) => {
                fail(
                    BEARER_AUTH_TOKEN,
                    "is required when bearer.auth.credentials.source=STATIC_TOKEN".into(),
                );
                None
            }
            (_, token) => token.map(|t| Auth::Bearer(t.to_owned())),
        };
        if basic.is_some() && bearer.is_some() {
            fail(
                BEARER_AUTH_TOKEN,
                "cannot be combined with basic.auth.credentials.source=USER_INFO".into(),
            );
        }
        let shared_auth = basic.or(bearer);

        let mut number = |key: &str, default: u64| -> u64 {
            match get(key).map(str::parse::<u64>) {
                None => default,
                Some(Ok(n)) => n,
                Some(Err(e)) => {
                    fail(
                        key,
                        format!("'{}' is not a non-negative integer ({e})", props[key]),
                    );
                    default
                }
            }
        };
        let cache_capacity = number(CACHE_CAPACITY, default_cache_capacity() as u64);
        let timeout_ms = number(REQUEST_TIMEOUT_MS, millis(default_request_timeout()));
        let retries = number(RETRIES, u64::from(default_retries()));
        let backoff_ms = number(RETRY_BACKOFF_MS, millis(default_retry_backoff()));
        let backoff_max_ms = number(RETRY_BACKOFF_MAX_MS, millis(default_retry_backoff_max()));

        let tls = tls_config(&|key| get(key).map(str::to_owned), &mut fail);
        let cache_capacity = usize::try_from(cache_capacity).unwrap_or_else(|_| {
            fail(CACHE_CAPACITY, "is too large".into());
            0
        });
        if timeout_ms == 0 {
            fail(REQUEST_TIMEOUT_MS, "must be at least 1".into());
        }
        let retries = u32::try_from(retries).unwrap_or_else(|_| {
            fail(RETRIES, format!("must be at most {}", u32::MAX));
            0
        });
        // An explicit max below the explicit start is a mistake; a default max below it follows it.
        let backoff_max_ms = if backoff_max_ms < backoff_ms {
            if get(RETRY_BACKOFF_MAX_MS).is_some() {
                fail(
                    RETRY_BACKOFF_MAX_MS,
                    format!("must be at least {RETRY_BACKOFF_MS} ({backoff_ms})"),
                );
            }
            backoff_ms
        } else {
            backoff_max_ms
        };

        if !errors.is_empty() {
            return Err(ConfigError { errors });
        }
        let endpoints = urls
            .into_iter()
            .map(|(url, embedded)| Endpoint {
                url,
                auth: shared_auth.clone().or(embedded).unwrap_or(Auth::None),
            })
            .collect();
        Ok(RegistryConfig {
            endpoints,
            cache_capacity,
            request_timeout: Duration::from_millis(timeout_ms),
            retry: RetryPolicy {
                retries,
                initial_backoff: Duration::from_millis(backoff_ms),
                max_backoff: Duration::from_millis(backoff_max_ms),
            },
            tls,
        })
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Parses one base URL and takes out embedded credentials (`http://user:pass@host`).
fn parse_url(raw: &str) -> Result<(Url, Option<Auth>), String> {
    if raw.is_empty() {
        return Err("contains an empty URL".into());
    }
    let mut url = Url::parse(raw).map_err(|e| format!("'{raw}' is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "'{}' must be an http:// or https:// URL with a host",
            redacted(&url)
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "'{}' must not have a query or fragment",
            redacted(&url)
        ));
    }
    let embedded = if url.username().is_empty() && url.password().is_none() {
        None
    } else {
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| "has credentials that are not UTF-8".to_owned())
        };
        let auth = Auth::Basic {
            username: decode(url.username())?,
            password: decode(url.password().unwrap_or_default())?,
        };
        // Neither can fail for an http(s) URL with a host, checked above.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Some(auth)
    };
    Ok((url, embedded))
}

fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_password(None);
    url.to_string()
}

/// Decodes `%XX` escapes (URL user info is stored percent-encoded).
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;
