//! HTTP basic authentication of the REST API, as Kafka Connect's
//! `BasicAuthSecurityRestExtension` does it: turned on with
//! `rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension`,
//! the users read from `wharf.rest.basic.auth.users.file` (where Kafka Connect takes a JAAS file
//! naming a properties file). Each line is `user: credential`, where the credential is a PBKDF2
//! hash as `wharf hash-password` prints it (`PBKDF2-SHA256:<iterations>:<salt>:<hash>`, base64) or,
//! as in the Java extension's properties file, the password itself (accepted, with a warning
//! at start). A request without valid credentials gets 401 with Kafka Connect's JSON error body
//! and `WWW-Authenticate: Basic`.
//!
//! As Kafka Connect's `JaasBasicAuthFilter`, the internal requests between workers
//! (`POST /connectors/<c>/tasks`, `PUT /connectors/<c>/fence`) are not asked for credentials:
//! they are checked by their signature (KIP-507) instead.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use connect_api::config::Properties;
use connect_protocol::config_topic::{base64_decode, base64_encode};
use ring::{pbkdf2, rand::SecureRandom};

use super::error::RestError;
use crate::keys::worker::{REST_EXTENSIONS as EXTENSIONS, REST_USERS_FILE as USERS_FILE};

/// Kafka Connect's basic authentication extension.
pub const BASIC_AUTH_EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";

const HASH_PREFIX: &str = "PBKDF2-SHA256";
const ITERATIONS: u32 = 100_000;

#[derive(Clone, PartialEq, Eq)]
enum Credential {
    Plain(String),
    Hashed {
        iterations: NonZeroU32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
}

/// The users who may call the API.
#[derive(Clone)]
pub struct BasicAuth {
    users: BTreeMap<String, Credential>,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users", &self.users.len())
            .finish()
    }
}

/// `wharf hash-password`: a credential for the users file.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| "no random salt from the system".to_owned())?;
    let iterations = NonZeroU32::new(ITERATIONS).ok_or("zero iterations")?;
    let mut hash = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &salt,
        password.as_bytes(),
        &mut hash,
    );
    Ok(format!(
        "{HASH_PREFIX}:{ITERATIONS}:{}:{}",
        base64_encode(&salt),
        base64_encode(&hash)
    ))
}

fn parse_credential(text: &str) -> Result<Credential, String> {
    let Some(rest) = text.strip_prefix(&format!("{HASH_PREFIX}:")) else {
        return Ok(Credential::Plain(text.to_owned()));
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let [iterations, salt, hash] = parts.as_slice() else {
        return Err(format!(
            "{HASH_PREFIX} credentials are {HASH_PREFIX}:<iterations>:<salt>:<hash>"
        ));
    };
    Ok(Credential::Hashed {
        iterations: iterations
            .parse::<u32>()
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or("bad iteration count")?,
        salt: base64_decode(salt).ok_or("the salt is not base64")?,
        hash: base64_decode(hash).ok_or("the hash is not base64")?,
    })
}

impl BasicAuth {
    /// The worker's basic authentication, if `rest.extension.classes` turns it on; an error
    /// names the key at fault.
    pub fn from_worker(worker: &Properties) -> Result<Option<Self>, (String, String)> {
        let enabled = worker.get(EXTENSIONS).is_some_and(|v| {
            connect_api::config::split_list(v).iter().any(|c| {
                c == BASIC_AUTH_EXTENSION
                    || c.ends_with(".BasicAuthSecurityRestExtension")
                    || c == "BasicAuthSecurityRestExtension"
            })
        });
        if !enabled {
            return Ok(None);
        }
        let path = worker
            .get(USERS_FILE)
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                (
                    USERS_FILE.to_owned(),
                    format!("{BASIC_AUTH_EXTENSION} needs the users file ({USERS_FILE})"),
                )
            })?;
        let users = connect_api::config::properties::load(std::path::Path::new(path))
            .map_err(|e| (USERS_FILE.to_owned(), e.to_string()))?;
        if users.is_empty() {
            return Err((USERS_FILE.to_owned(), format!("{path} names no user")));
        }
        let mut parsed = BTreeMap::new();
        for (user, credential) in users {
            // Jetty's form allows roles after the password: `password,role...`.
            let credential = credential
                .split(',')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            let c = parse_credential(&credential)
                .map_err(|why| (USERS_FILE.to_owned(), format!("{path}: user {user}: {why}")))?;
            if matches!(c, Credential::Plain(_)) {
                tracing::warn!(message = "A REST user's password is stored in plain text; store its hash (wharf hash-password).", user = %user, file = %path);
            }
            parsed.insert(user, c);
        }
        Ok(Some(Self { users: parsed }))
    }

    /// Whether an `Authorization` header holds a known user's password.
    fn accepts(&self, header: Option<&HeaderValue>) -> bool {
        let Some(encoded) = header.and_then(|h| h.to_str().ok()).and_then(|h| {
            h.strip_prefix("Basic ")
                .or_else(|| h.strip_prefix("basic "))
        }) else {
            return false;
        };
        let Some(decoded) = base64_decode(encoded.trim()).and_then(|b| String::from_utf8(b).ok())
        else {
            return false;
        };
        let Some((user, password)) = decoded.split_once(':') else {
            return false;
        };
        match self.users.get(user) {
            Some(Credential::Plain(expected)) => {
                // Digests of equal length, compared without an early exit.
                let a = ring::digest::digest(&ring::digest::SHA256, expected.as_bytes());
                let b = ring::digest::digest(&ring::digest::SHA256, password.as_bytes());
                a.as_ref()
                    .iter()
                    .zip(b.as_ref())
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                    == 0
            }
            Some(Credential::Hashed {
                iterations,
                salt,
                hash,
            }) => pbkdf2::verify(
                pbkdf2::PBKDF2_HMAC_SHA256,
                *iterations,
                salt,
                password.as_bytes(),
                hash,
            )
            .is_ok(),
            None => false,
        }
    }
}

/// Kafka Connect's internal requests, checked by signature instead.
fn internal(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        (method, segments.as_slice()),
        (&Method::POST, ["connectors", _, "tasks"]) | (&Method::PUT, ["connectors", _, "fence"])
    )
}

/// The middleware: 401 unless the request carries a known user's credentials.
pub async fn require(State(auth): State<Arc<BasicAuth>>, request: Request, next: Next) -> Response {
    if internal(request.method(), request.uri().path())
        || auth.accepts(request.headers().get(header::AUTHORIZATION))
    {
        return next.run(request).await;
    }
    let mut response = RestError::new(StatusCode::UNAUTHORIZED, "User cannot access the resource.")
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"wharf\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> HeaderValue {
        HeaderValue::from_str(&format!(
            "Basic {}",
            base64_encode(format!("{user}:{password}").as_bytes())
        ))
        .unwrap()
    }

    #[test]
    fn hashed_and_plain_users_are_checked() {
        let hashed = hash_password("s3cret").unwrap();
        assert!(hashed.starts_with("PBKDF2-SHA256:100000:"));
        let auth = BasicAuth {
            users: BTreeMap::from([
                ("ada".to_owned(), parse_credential(&hashed).unwrap()),
                ("bob".to_owned(), Credential::Plain("plain".to_owned())),
            ]),
        };
        assert!(auth.accepts(Some(&basic("ada", "s3cret"))));
        assert!(!auth.accepts(Some(&basic("ada", "wrong"))));
        assert!(auth.accepts(Some(&basic("bob", "plain"))));
        assert!(!auth.accepts(Some(&basic("eve", "s3cret"))));
        assert!(!auth.accepts(None));
        assert!(!auth.accepts(Some(&HeaderValue::from_static("Bearer x"))));
    }

    #[test]
    fn only_the_signed_internal_endpoints_skip_authentication() {
        assert!(internal(&Method::POST, "/connectors/c/tasks"));
        assert!(internal(&Method::PUT, "/connectors/c/fence"));
        assert!(!internal(&Method::GET, "/connectors/c/tasks"));
        assert!(!internal(&Method::POST, "/connectors"));
    }
}
