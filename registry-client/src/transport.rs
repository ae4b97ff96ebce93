//! One logical request: build the URL, authenticate, send, retry with backoff, fail over between
//! registry URLs, and turn non-2xx answers into typed errors.

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use tracing::{debug, warn};

use crate::config::{Auth, Endpoint, RegistryConfig};
use crate::error::{self, RegistryError, Target};
use crate::retry::RetryPolicy;

/// The registry API's media type, for requests and answers.
pub const CONTENT_TYPE_V1: &str = "application/vnd.schemaregistry.v1+json";

/// What `Accept` says: the v1 type first, plain JSON as a fallback (Confluent's client sends
/// the same list).
const ACCEPT_V1: &str = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

/// A request before a URL is chosen.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    /// Path segments after the base URL; each is percent-encoded, so a `/` in a subject stays in
    /// the subject.
    pub(crate) path: &'a [&'a str],
    pub(crate) query: &'a [(&'a str, &'a str)],
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) target: Target<'a>,
}

/// Sends calls to the configured registries.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    endpoints: Vec<Endpoint>,
    /// The URL that answered last; calls start there.
    active: AtomicUsize,
    retry: RetryPolicy,
}

impl Transport {
    pub(crate) fn new(config: &RegistryConfig) -> Result<Self, RegistryError> {
        if config.endpoints.is_empty() {
            return Err(RegistryError::Client {
                message: "no schema registry URL configured".into(),
            });
        }
        // reqwest's `rustls` feature falls back to aws-lc-rs when no process-wide rustls
        // provider is installed, so building never panics for want of one.
        let client_error = |what: &str, e: reqwest::Error| RegistryError::Client {
            message: format!("{what}: {e}"),
        };
        let mut builder = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .user_agent(concat!("wharf-registry-client/", env!("CARGO_PKG_VERSION")));
        if !config.tls.roots_pem.is_empty() {
            for root in
                reqwest::Certificate::from_pem_bundle(&config.tls.roots_pem).map_err(|e| {
                    client_error("schema.registry.ssl.truststore: not PEM certificates", e)
                })?
            {
                builder = builder.add_root_certificate(root);
            }
        }
        if let Some(pem) = &config.tls.identity_pem {
            builder = builder.identity(reqwest::Identity::from_pem(pem).map_err(|e| {
                client_error(
                    "schema.registry.ssl.keystore: not a PEM certificate chain and unencrypted key",
                    e,
                )
            })?);
        }
        let http = builder
            .build()
            .map_err(|e| client_error("cannot build the HTTP client", e))?;
        Ok(Transport {
            http,
            endpoints: config.endpoints.clone(),
            active: AtomicUsize::new(0),
            retry: config.retry,
        })
    }

    pub(crate) fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// Sends `call` and returns the body of the 2xx answer.
    ///
    /// Each attempt walks the URLs starting at the one that last answered, moving on after a
    /// transport failure or a 5xx; a 429 ends the attempt at that URL. Between attempts the
    /// policy's backoff applies. Other errors return at once.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<Answer, RegistryError> {
        let count = self.endpoints.len();
        let mut attempt = 0;
        loop {
            let start = self.active.load(Ordering::Relaxed) % count;
            let mut last = None;
            for step in 0..count {
                let index = (start + step) % count;
                match self.send_once(&self.endpoints[index], call).await {
                    Ok(answer) => {
                        if index != start {
                            self.active.store(index, Ordering::Relaxed);
                        }
                        return Ok(answer);
                    }
                    Err(error) if !error.is_retriable() => return Err(error),
                    Err(error) => {
                        let failover = error.is_failover() && step + 1 < count;
                        warn!(
                            message = "Schema registry request failed.",
                            %error,
                            attempt,
                            failover,
                        );
                        last = Some(error);
                        if !failover {
                            break;
                        }
                    }
                }
            }
            if attempt >= self.retry.retries {
                return Err(last.unwrap_or_else(|| RegistryError::Client {
                    message: "no attempt was made".into(),
                }));
            }
            let pause = self.retry.backoff(attempt);
            debug!(
                message = "Retrying schema registry request.",
                attempt,
                ?pause
            );
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        endpoint: &Endpoint,
        call: &Call<'_>,
    ) -> Result<Answer, RegistryError> {
        let url = build_url(&endpoint.url, call.path, call.query);
        let shown = url.to_string();
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .header(ACCEPT, HeaderValue::from_static(ACCEPT_V1));
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_V1))
                .body(body.clone());
        }
        request = match &endpoint.auth {
            Auth::None => request,
            Auth::Basic { username, password } => request.basic_auth(username, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
        };
        let transport = |e: reqwest::Error| RegistryError::Transport {
            url: shown.clone(),
            source: e.into(),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            Ok(Answer {
                url: shown,
                body: body.to_vec(),
            })
        } else {
            Err(error::from_response(
                &shown,
                status.as_u16(),
                &body,
                call.target,
            ))
        }
    }
}

/// `base` + percent-encoded `path` segments + `query`.
fn build_url(base: &Url, path: &[&str], query: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    // Config accepts only http(s) URLs with a host, which always have path segments.
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(path);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

/// A 2xx answer and the URL that gave it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) url: String,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// Parses the body as `T`.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, RegistryError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let shown =
                String::from_utf8_lossy(&self.body[..self.body.len().min(256)]).into_owned();
            RegistryError::Decode {
                url: self.url.clone(),
                message: format!("{e} in {shown}"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_under_the_base_path() {
        let base = Url::parse("http://h:8080/apis/ccompat/v7").unwrap();
        let url = build_url(
            &base,
            &["subjects", "a/b c", "versions"],
            &[("permanent", "true")],
        );
        assert_eq!(
            url.as_str(),
            "http://h:8080/apis/ccompat/v7/subjects/a%2Fb%20c/versions?permanent=true"
        );

        let root = Url::parse("http://h:8081/").unwrap();
        assert_eq!(
            build_url(&root, &["schemas", "ids", "3"], &[]).as_str(),
            "http://h:8081/schemas/ids/3"
        );
        let slash = Url::parse("http://h:8081/base/").unwrap();
        assert_eq!(
            build_url(&slash, &["subjects"], &[]).as_str(),
            "http://h:8081/base/subjects"
        );
    }
}
