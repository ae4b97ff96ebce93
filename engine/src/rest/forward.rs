//! Forwarding to the leader, as Kafka Connect's `HerderRequestHandler.completeOrForwardRequest`
//! does: a write that only the leader makes, sent to a follower, goes on to the leader with the
//! same method, path, query and body, and the leader's status and JSON body are the answer.
//!
//! The endpoints that forward are [`forwarded`]'s; a handler asks for forwarding by failing with
//! [`HerderError::NotLeader`](crate::herder::HerderError::NotLeader), whose answer carries a
//! [`NotLeader`] extension that the [`forward_to_leader`] middleware acts on. The hidden
//! `forward` query parameter bounds the hops to two ([`next_forward`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{CONFLICTING_OPERATION, NO_KNOWN_LEADER, RestError};

/// Marks an answer whose request has to go to the leader, at this URL when known.
#[derive(Debug, Clone)]
pub(super) struct NotLeader(pub Option<String>);

/// The largest request body kept for forwarding.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Kafka Connect's default `rest.request.timeout`-like bound on a forwarded request (90 s).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(90);

/// The HTTP client requests are forwarded with.
#[derive(Debug, Clone)]
pub(super) struct Forwarder {
    http: reqwest::Client,
}

impl Forwarder {
    /// Trusting `roots` besides the platform's CAs (the HTTPS listener's truststore), as the
    /// other workers' certificates are signed by it.
    pub(super) fn new(roots: Vec<reqwest::Certificate>) -> Arc<Self> {
        let mut builder = reqwest::Client::builder().timeout(FORWARD_TIMEOUT);
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
        let http = builder.build().unwrap_or_default();
        Arc::new(Self { http })
    }
}

/// Whether Kafka Connect forwards `method path` to the leader (`ConnectorsResource`'s calls of
/// `completeOrForwardRequest`); reads, pause, resume and topic resets are not forwarded.
pub(super) fn forwarded(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["connectors"] => method == Method::POST,
        ["connectors", _] => method == Method::DELETE,
        ["connectors", _, "config"] => method == Method::PUT || method == Method::PATCH,
        ["connectors", _, "restart"] => method == Method::POST,
        ["connectors", _, "stop"] => method == Method::PUT,
        ["connectors", _, "tasks"] => method == Method::POST,
        ["connectors", _, "fence"] => method == Method::PUT,
        ["connectors", _, "tasks", _, "restart"] => method == Method::POST,
        ["connectors", _, "offsets"] => method == Method::PATCH || method == Method::DELETE,
        _ => false,
    }
}

/// The hidden `forward` query parameter as JAX-RS reads a `Boolean`: absent is `None`; present,
/// its first value is true only when it reads `true` in any case.
fn forward_param(query: Option<&str>) -> Option<bool> {
    query
        .unwrap_or("")
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(k, _)| *k == "forward")
        .map(|(_, v)| v.eq_ignore_ascii_case("true"))
}

/// What a worker that cannot complete a forwarded request does, from the request's `forward`
/// parameter: `Some(value)` forwards it with `forward=value` (`true` for a user's request,
/// which has none; `false` for one already forwarded once with `forward=true`); `None` answers
/// 409, since the request was already forwarded twice.
pub(super) fn next_forward(query: Option<&str>) -> Option<bool> {
    match forward_param(query) {
        None => Some(true),
        Some(true) => Some(false),
        Some(false) => None,
    }
}

/// The URL a request to `path?query` is forwarded to on `leader_url`: the same path and query,
/// with `forward` set to `forward` in place of any the request had.
pub(super) fn forward_url(
    leader_url: &str,
    path: &str,
    query: Option<&str>,
    forward: bool,
) -> String {
    let mut pairs: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| pair.split_once('=').map_or(*pair, |(k, _)| k) != "forward")
        .collect();
    let last = format!("forward={forward}");
    pairs.push(&last);
    format!(
        "{}/{}?{}",
        leader_url.trim_end_matches('/'),
        path.trim_start_matches('/'),
        pairs.join("&")
    )
}

/// Runs the request; when its answer says the leader has to complete it (and the endpoint is
/// one Kafka Connect forwards), forwards it there and answers with what the leader answers.
pub(super) async fn forward_to_leader(
    State(forwarder): State<Arc<Forwarder>>,
    request: Request,
    next: Next,
) -> Response {
    if !forwarded(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let uri = request.uri().clone();
    let copied: Vec<(&'static str, HeaderValue)> = COPIED_HEADERS
        .iter()
        .filter_map(|name| Some((*name, request.headers().get(*name)?.clone())))
        .collect();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(e) => return RestError::bad_request(e.to_string()).into_response(),
    };
    let answer = next
        .run(Request::from_parts(parts, Body::from(body.clone())))
        .await;
    let Some(NotLeader(leader_url)) = answer.extensions().get::<NotLeader>().cloned() else {
        return answer;
    };
    let Some(forward) = next_forward(uri.query()) else {
        return RestError::new(StatusCode::CONFLICT, CONFLICTING_OPERATION).into_response();
    };
    let Some(leader_url) = leader_url else {
        return RestError::new(StatusCode::CONFLICT, NO_KNOWN_LEADER).into_response();
    };
    let url = forward_url(&leader_url, uri.path(), uri.query(), forward);
    tracing::debug!(message = "Forwarding a request to the leader.", %method, %url);
    match send(&forwarder.http, method, &url, copied, body).await {
        Ok(response) => response,
        Err(e) => RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("IO Error trying to forward REST request: {e}"),
        )
        .into_response(),
    }
}

/// The headers a forwarded request keeps: `Authorization`, as Kafka Connect's `RestClient`
/// copies it, and an internal request's signature. Kafka Connect drops the signature when it
/// forwards, so its leader refuses a signed request that reached it through another worker;
/// keeping it lets that request through.
const COPIED_HEADERS: [&str; 3] = [
    "authorization",
    "x-connect-authorization",
    "x-connect-request-signature-algorithm",
];

/// Sends the request on with the [`COPIED_HEADERS`] it has, and relays the leader's status and
/// body.
async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    copied: Vec<(&'static str, HeaderValue)>,
    body: Bytes,
) -> Result<Response, reqwest::Error> {
    let mut request = http.request(method, url);
    for (name, value) in copied {
        request = request.header(name, value);
    }
    if !body.is_empty() {
        request = request
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
    }
    let response = request.send().await?;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = response.bytes().await?;
    let mut answer = (status, bytes).into_response();
    if let Some(content_type) = content_type {
        answer
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_parameter_bounds_the_hops_to_two() {
        // A user's request goes on with forward=true, a forwarded one with forward=false, and
        // one forwarded twice is refused.
        assert_eq!(next_forward(None), Some(true));
        assert_eq!(next_forward(Some("")), Some(true));
        assert_eq!(next_forward(Some("includeTasks=true")), Some(true));
        assert_eq!(next_forward(Some("forward=true")), Some(false));
        assert_eq!(next_forward(Some("forward=TRUE&x=1")), Some(false));
        assert_eq!(next_forward(Some("forward=false")), None);
        assert_eq!(next_forward(Some("forward=yes")), None);
        assert_eq!(next_forward(Some("forward")), None);
        assert_eq!(next_forward(Some("forward=false&forward=true")), None);
    }

    #[test]
    fn forward_url_keeps_path_and_query() {
        assert_eq!(
            forward_url("http://leader:8083/", "/connectors", None, true),
            "http://leader:8083/connectors?forward=true"
        );
        assert_eq!(
            forward_url(
                "http://leader:8083",
                "/connectors/c/restart",
                Some("includeTasks=true&forward=true&onlyFailed=false"),
                false
            ),
            "http://leader:8083/connectors/c/restart?includeTasks=true&onlyFailed=false&forward=false"
        );
    }

    #[test]
    fn forwarded_endpoints_are_kafka_connects() {
        for (method, path) in [
            (Method::POST, "/connectors"),
            (Method::POST, "/connectors/"),
            (Method::PUT, "/connectors/c/config"),
            (Method::PATCH, "/connectors/c/config"),
            (Method::POST, "/connectors/c/restart"),
            (Method::PUT, "/connectors/c/stop"),
            (Method::POST, "/connectors/c/tasks/0/restart"),
            (Method::POST, "/connectors/c/tasks"),
            (Method::PUT, "/connectors/c/fence"),
            (Method::DELETE, "/connectors/c"),
            (Method::PATCH, "/connectors/c/offsets"),
            (Method::DELETE, "/connectors/c/offsets"),
        ] {
            assert!(forwarded(&method, path), "{method} {path}");
        }
        for (method, path) in [
            (Method::GET, "/connectors"),
            (Method::GET, "/connectors/c"),
            (Method::GET, "/connectors/c/config"),
            (Method::PUT, "/connectors/c/pause"),
            (Method::PUT, "/connectors/c/resume"),
            (Method::PUT, "/connectors/c/topics/reset"),
            (Method::GET, "/connectors/c/offsets"),
            (Method::GET, "/connectors/c/tasks"),
        ] {
            assert!(!forwarded(&method, path), "{method} {path}");
        }
    }
}
