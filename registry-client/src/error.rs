//! Typed registry errors: the Confluent `error_code`s become variants, each classified retriable
//! or not, each keeping the server's message and naming the URL and the subject, version or id.

use std::sync::Arc;

use serde::Deserialize;

/// What went wrong talking to the schema registry.
///
/// The `url` fields hold the request URL without credentials. Errors are `Clone` so that
/// concurrent callers waiting on one request (single-flight) all receive the outcome.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// 40401: the subject does not exist (or was deleted).
    #[error("subject '{subject}' not found ({url}): {message}")]
    SubjectNotFound {
        /// Request URL.
        url: String,
        /// The subject asked for.
        subject: String,
        /// The registry's message.
        message: String,
    },
    /// 40402: the subject has no such version.
    #[error("version {version} of subject '{subject}' not found ({url}): {message}")]
    VersionNotFound {
        /// Request URL.
        url: String,
        /// The subject asked for.
        subject: String,
        /// The version asked for.
        version: String,
        /// The registry's message.
        message: String,
    },
    /// 40403: no schema with this id, or the schema is not registered under the subject.
    #[error("schema {} not found ({url}): {message}", describe(*.id, .subject.as_deref()))]
    SchemaNotFound {
        /// Request URL.
        url: String,
        /// The id asked for, for lookups by id.
        id: Option<u32>,
        /// The subject searched, for lookups under a subject.
        subject: Option<String>,
        /// The registry's message.
        message: String,
    },
    /// HTTP 409 / code 409: the schema breaks the subject's compatibility level.
    #[error("schema incompatible with subject '{subject}' ({url}): {message}")]
    Incompatible {
        /// Request URL.
        url: String,
        /// The subject.
        subject: String,
        /// The registry's message (often lists the offending fields).
        message: String,
    },
    /// 42201: the schema does not parse, or its type is unknown.
    #[error("invalid schema{} ({url}): {message}", for_subject(.subject.as_deref()))]
    InvalidSchema {
        /// Request URL.
        url: String,
        /// The subject, if the request named one.
        subject: Option<String>,
        /// The registry's message.
        message: String,
    },
    /// 42202: the version is not a valid version number.
    #[error("invalid version {version} of subject '{subject}' ({url}): {message}")]
    InvalidVersion {
        /// Request URL.
        url: String,
        /// The subject.
        subject: String,
        /// The version sent.
        version: String,
        /// The registry's message.
        message: String,
    },
    /// 42203: the compatibility level is unknown to the registry.
    #[error("invalid compatibility level{} ({url}): {message}", for_subject(.subject.as_deref()))]
    InvalidCompatibilityLevel {
        /// Request URL.
        url: String,
        /// The subject, for a subject-level config.
        subject: Option<String>,
        /// The registry's message.
        message: String,
    },
    /// HTTP 401 or 403: missing or refused credentials.
    #[error("not authorized (HTTP {status}, {url}): {message}")]
    Unauthorized {
        /// Request URL.
        url: String,
        /// 401 or 403.
        status: u16,
        /// The registry's message.
        message: String,
    },
    /// HTTP 429: the registry asks the client to slow down. Retriable.
    #[error("rate limited (HTTP 429, {url}): {message}")]
    RateLimited {
        /// Request URL.
        url: String,
        /// The registry's message.
        message: String,
    },
    /// HTTP 5xx, e.g. 50001 store error, 50002 operation timeout, 50003 forwarding to the leader
    /// failed. Retriable, and a reason to fail over to the next URL.
    #[error("registry server error (HTTP {status}{}, {url}): {message}", code_suffix(*.code))]
    Server {
        /// Request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The registry's `error_code`, if the body had one.
        code: Option<i32>,
        /// The registry's message, or the body text.
        message: String,
    },
    /// Any other 4xx answer (soft-delete conflicts 4040x, 42204.., malformed requests). Not
    /// retriable.
    #[error("request rejected (HTTP {status}{}, {url}): {message}", code_suffix(*.code))]
    Rejected {
        /// Request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The registry's `error_code`, if the body had one.
        code: Option<i32>,
        /// The registry's message, or the body text.
        message: String,
    },
    /// No answer: connection refused or reset, timeout, broken body. Retriable, and a reason to
    /// fail over to the next URL.
    #[error("cannot reach schema registry at {url}: {source}")]
    Transport {
        /// Request URL.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// A 2xx answer whose body is not what the API promises. Not retriable.
    #[error("unexpected answer from {url}: {message}")]
    Decode {
        /// Request URL.
        url: String,
        /// What did not parse, and why.
        message: String,
    },
    /// The HTTP client could not be built or the request could not be formed. Not retriable.
    #[error("schema registry client: {message}")]
    Client {
        /// What failed.
        message: String,
    },
}

impl RegistryError {
    /// Whether the same request may succeed later: transport failures, 5xx and 429.
    pub fn is_retriable(&self) -> bool {
        matches!(
            self,
            RegistryError::Transport { .. }
                | RegistryError::Server { .. }
                | RegistryError::RateLimited { .. }
        )
    }

    /// Whether another registry URL may answer where this one did not: transport failures, 5xx.
    pub fn is_failover(&self) -> bool {
        matches!(
            self,
            RegistryError::Transport { .. } | RegistryError::Server { .. }
        )
    }

    /// Whether the error says something does not exist (subject, version or schema).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            RegistryError::SubjectNotFound { .. }
                | RegistryError::VersionNotFound { .. }
                | RegistryError::SchemaNotFound { .. }
        )
    }

    /// The request URL, if a request was made.
    pub fn url(&self) -> Option<&str> {
        match self {
            RegistryError::SubjectNotFound { url, .. }
            | RegistryError::VersionNotFound { url, .. }
            | RegistryError::SchemaNotFound { url, .. }
            | RegistryError::Incompatible { url, .. }
            | RegistryError::InvalidSchema { url, .. }
            | RegistryError::InvalidVersion { url, .. }
            | RegistryError::InvalidCompatibilityLevel { url, .. }
            | RegistryError::Unauthorized { url, .. }
            | RegistryError::RateLimited { url, .. }
            | RegistryError::Server { url, .. }
            | RegistryError::Rejected { url, .. }
            | RegistryError::Transport { url, .. }
            | RegistryError::Decode { url, .. } => Some(url),
            RegistryError::Client { .. } => None,
        }
    }
}

fn describe(id: Option<u32>, subject: Option<&str>) -> String {
    match (id, subject) {
        (Some(id), _) => format!("id {id}"),
        (None, Some(subject)) => format!("under subject '{subject}'"),
        (None, None) => String::new(),
    }
}

fn for_subject(subject: Option<&str>) -> String {
    subject.map_or_else(String::new, |s| format!(" for subject '{s}'"))
}

fn code_suffix(code: Option<i32>) -> String {
    code.map_or_else(String::new, |c| format!(", error code {c}"))
}

/// What a request was about, so an error can name it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Target<'a> {
    pub(crate) subject: Option<&'a str>,
    pub(crate) version: Option<&'a str>,
    pub(crate) id: Option<u32>,
}

impl<'a> Target<'a> {
    pub(crate) fn subject(subject: &'a str) -> Self {
        Target {
            subject: Some(subject),
            ..Target::default()
        }
    }
}

/// The registry's error body: `{"error_code": 40401, "message": "..."}`.
#[derive(Deserialize)]
struct ErrorBody {
    error_code: Option<i32>,
    message: Option<String>,
}

/// Longest body text kept in an error when the body is not the registry's JSON.
const MAX_TEXT_BODY: usize = 512;

/// Turns a non-2xx answer into a typed error. The `error_code` decides where there is one; the
/// HTTP status decides otherwise (proxies and load balancers answer without registry JSON).
pub(crate) fn from_response(
    url: &str,
    status: u16,
    body: &[u8],
    target: Target<'_>,
) -> RegistryError {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => (parsed.error_code, parsed.message.unwrap_or_default()),
        Err(_) => (None, text_of(body)),
    };
    let message = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message
    };
    let url = url.to_owned();
    let subject = || target.subject.unwrap_or_default().to_owned();
    let version = || target.version.unwrap_or_default().to_owned();
    match (code, status) {
        (Some(40401), _) => RegistryError::SubjectNotFound {
            url,
            subject: subject(),
            message,
        },
        (Some(40402), _) => RegistryError::VersionNotFound {
            url,
            subject: subject(),
            version: version(),
            message,
        },
        (Some(40403), _) => RegistryError::SchemaNotFound {
            url,
            id: target.id,
            subject: target.subject.map(str::to_owned),
            message,
        },
        (Some(409), _) | (None, 409) => RegistryError::Incompatible {
            url,
            subject: subject(),
            message,
        },
        (Some(42201), _) => RegistryError::InvalidSchema {
            url,
            subject: target.subject.map(str::to_owned),
            message,
        },
        (Some(42202), _) => RegistryError::InvalidVersion {
            url,
            subject: subject(),
            version: version(),
            message,
        },
        (Some(42203), _) => RegistryError::InvalidCompatibilityLevel {
            url,
            subject: target.subject.map(str::to_owned),
            message,
        },
        (_, 401 | 403) => RegistryError::Unauthorized {
            url,
            status,
            message,
        },
        (_, 429) => RegistryError::RateLimited { url, message },
        (_, 500..) => RegistryError::Server {
            url,
            status,
            code,
            message,
        },
        // A 4xx status with a 5xxxx code: the registry's store failed behind a proxy's status.
        (Some(50000..=59999), _) => RegistryError::Server {
            url,
            status,
            code,
            message,
        },
        _ => RegistryError::Rejected {
            url,
            status,
            code,
            message,
        },
    }
}

fn text_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX_TEXT_BODY) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
