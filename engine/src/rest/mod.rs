//! The REST API, with Kafka Connect's paths, JSON and status codes, so kcctl, Kafka UI and
//! scripts written for Kafka Connect work unchanged. Runs on the control-plane tokio runtime;
//! calls that stop tasks run on its blocking pool.

pub mod auth;
mod connectors;
mod error;
mod forward;
mod loggers;
mod metrics;
mod offsets;
mod plugins;
pub mod tls;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post, put};
use rdkafka::producer::{BaseProducer, Producer};
use serde_json::json;

use crate::herder::Cluster;
use crate::logging::LogLevels;
use connect_api::config::Properties;

pub use error::RestError;

/// What the handlers share: the cluster as this worker sees it.
type Shared = Arc<dyn Cluster>;

/// Kafka Connect's default REST port.
pub const DEFAULT_PORT: u16 = 8083;

/// Each route, also with a trailing slash: Kafka Connect (Jersey) serves `/connectors/` like
/// `/connectors`.
fn routes<S: Clone + Send + Sync + 'static>(
    paths: Vec<(&'static str, MethodRouter<S>)>,
) -> Router<S> {
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router
                .route(&format!("{path}/"), methods.clone())
                .route(path, methods)
        })
}

/// All routes, bound to `cluster` and the worker's log levels.
pub fn router(cluster: Arc<dyn Cluster>, logs: LogLevels) -> Router {
    app(cluster, Some(logs))
}

/// The admin endpoints (`/admin/loggers`).
fn admin_routes(logs: LogLevels) -> Router {
    routes(vec![
        ("/admin/loggers", get(loggers::list)),
        ("/admin/loggers/{name}", get(loggers::get).put(loggers::set)),
    ])
    .with_state(loggers::Loggers::new(logs))
}

/// `wharf.rest.request.max.bytes` of the worker.
fn body_limit(worker: &Properties) -> usize {
    let limit = worker
        .get(crate::keys::worker::REST_REQUEST_MAX_BYTES)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(crate::keys::worker::DEFAULT_REST_REQUEST_MAX_BYTES);
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// `router` with Jersey's answers to unknown paths and methods, and the body limit.
fn finished(router: Router, limit: usize) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(move |request, next| {
            refuse_large(limit, request, next)
        }))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
}

/// What an admin listener serves: the admin endpoints only.
fn admin_app(worker: &Properties, logs: LogLevels) -> Router {
    finished(admin_routes(logs), body_limit(worker))
}

/// The API on `listeners`: every route, and the admin endpoints when `admin` brings the log
/// levels (`admin.listeners` is not set).
fn app(cluster: Arc<dyn Cluster>, admin: Option<LogLevels>) -> Router {
    let cluster_id = Arc::new(OnceLock::new());
    let bootstrap = cluster.bootstrap().to_owned();
    let limit = body_limit(cluster.worker_props());
    let roots = tls::client_roots(cluster.worker_props()).unwrap_or_else(|e| {
        tracing::warn!(message = "The REST truststore cannot be read; forwarded requests trust the platform's CAs only.", error = %e);
        Vec::new()
    });
    let connectors = routes(vec![
        (
            "/connectors",
            get(connectors::list).post(connectors::create),
        ),
        (
            "/connectors/{c}",
            get(connectors::get).delete(connectors::delete),
        ),
        (
            "/connectors/{c}/config",
            get(connectors::get_config)
                .put(connectors::put_config)
                .patch(connectors::patch_config),
        ),
        ("/connectors/{c}/status", get(connectors::status)),
        (
            "/connectors/{c}/tasks",
            get(connectors::tasks).post(connectors::put_task_configs),
        ),
        (
            "/connectors/{c}/tasks/{t}/status",
            get(connectors::task_status),
        ),
        (
            "/connectors/{c}/tasks/{t}/restart",
            post(connectors::restart_task),
        ),
        ("/connectors/{c}/fence", put(connectors::fence_zombies)),
        ("/connectors/{c}/pause", put(connectors::pause)),
        ("/connectors/{c}/resume", put(connectors::resume)),
        ("/connectors/{c}/stop", put(connectors::stop)),
        ("/connectors/{c}/restart", post(connectors::restart)),
        ("/connectors/{c}/topics", get(connectors::topics)),
        (
            "/connectors/{c}/topics/reset",
            put(connectors::reset_topics),
        ),
        (
            "/connectors/{c}/offsets",
            get(offsets::get)
                .patch(offsets::alter)
                .delete(offsets::reset),
        ),
        ("/connector-plugins", get(plugins::list)),
        ("/connector-plugins/{p}/config", get(plugins::config)),
        (
            "/connector-plugins/{p}/config/validate",
            put(plugins::validate),
        ),
        ("/health", get(health)),
        ("/metrics", get(metrics::metrics)),
    ])
    .with_state(cluster)
    .layer(axum::middleware::from_fn_with_state(
        forward::Forwarder::new(roots),
        forward::forward_to_leader,
    ));
    let mut router = Router::new()
        .route(
            "/",
            get(move || root(bootstrap.clone(), Arc::clone(&cluster_id))),
        )
        .merge(connectors);
    if let Some(logs) = admin {
        router = router.merge(admin_routes(logs));
    }
    finished(router, limit)
}

/// 413 with Kafka Connect's JSON error body for a request that declares a body above `limit`
/// (`wharf.rest.request.max.bytes`); one without a length is cut off at the limit by the body
/// extractors, which answer the same.
async fn refuse_large(
    limit: usize,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return error::too_large().into_response();
    }
    next.run(request).await
}

/// Jersey's answer to a path no resource serves.
async fn not_found() -> RestError {
    RestError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found")
}

/// Jersey's answer to a method the resource does not serve.
async fn method_not_allowed() -> RestError {
    RestError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "HTTP 405 Method Not Allowed",
    )
}

/// How long `GET /` waits for the broker's cluster id before answering `null`.
const CLUSTER_ID_TIMEOUT: Duration = Duration::from_secs(5);

/// The broker's cluster id from a metadata call, fetched once and kept; `None` while the broker
/// cannot be reached (the next call tries again).
fn fetch_cluster_id(bootstrap: &str) -> Option<String> {
    let producer: BaseProducer = crate::kafka::producer_config(bootstrap).create().ok()?;
    // A metadata request first: a client that has asked for nothing has no cluster id cached.
    producer
        .client()
        .fetch_metadata(None, CLUSTER_ID_TIMEOUT)
        .ok()?;
    producer.client().fetch_cluster_id(CLUSTER_ID_TIMEOUT)
}

async fn root(bootstrap: String, cache: Arc<OnceLock<String>>) -> axum::Json<serde_json::Value> {
    let cluster_id = match cache.get() {
        Some(id) => Some(id.clone()),
        None => tokio::task::spawn_blocking(move || fetch_cluster_id(&bootstrap))
            .await
            .ok()
            .flatten()
            .map(|id| cache.get_or_init(|| id).clone()),
    };
    axum::Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("WHARF_COMMIT").unwrap_or("unknown"),
        "kafka_cluster_id": cluster_id,
    }))
}

/// The `worker_id` status answers carry: the advertised REST address as Kafka Connect's
/// `RestServer.advertisedUrl` builds it — `rest.advertised.host.name` else the first listener's
/// host else the machine's name, and `rest.advertised.port` else the listener's port.
pub fn worker_id(worker_props: &Properties) -> String {
    let non_empty = |key: &str| {
        worker_props
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    };
    let listener = non_empty(LISTENERS)
        .and_then(|l| connect_api::config::split_list(l).into_iter().next())
        .and_then(|l| {
            let rest = l
                .split_once("://")
                .map_or(l.as_str(), |(_, r)| r)
                .to_owned();
            let (host, port) = rest.rsplit_once(':')?;
            Some((host.trim_matches(['[', ']']).to_owned(), port.to_owned()))
        });
    let host = non_empty(ADVERTISED_HOST)
        .map(str::to_owned)
        .or_else(|| {
            listener
                .as_ref()
                .map(|(h, _)| h.clone())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(local_host_name);
    let port = non_empty(ADVERTISED_PORT)
        .map(str::to_owned)
        .or_else(|| listener.map(|(_, p)| p))
        .unwrap_or_else(|| DEFAULT_PORT.to_string());
    format!("{host}:{port}")
}

const LISTENERS: &str = "listeners";
const ADVERTISED_HOST: &str = "rest.advertised.host.name";
const ADVERTISED_PORT: &str = "rest.advertised.port";

fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// `GET /health` (KIP-1017): 200 once the worker has completed startup, 503 before.
async fn health(State(cluster): State<Shared>) -> (StatusCode, axum::Json<serde_json::Value>) {
    if !cluster.ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({
                "status": "starting",
                "message": "Worker is still starting up.",
            })),
        );
    }
    (
        StatusCode::OK,
        axum::Json(json!({
            "status": "healthy",
            "message": "Worker has completed startup and is ready to handle requests.",
        })),
    )
}

/// Binds `addr` and serves the API there until `shutdown` resolves: over HTTPS when the first
/// of `listeners` is `https://` ([`tls`]), with basic authentication when the worker turns it on
/// ([`auth`]). With `admin.listeners` set, the admin endpoints are served on those listeners
/// only (HTTPS with `admin.listeners.https.ssl.*`), or nowhere when it is empty, as Kafka
/// Connect's `RestServer` does; unlike it, an admin listener asks for the same credentials as
/// the API (the log levels are the worker's, and Kafka Connect leaves them open there). Errors
/// name the setting at fault.
pub async fn spawn(
    addr: std::net::SocketAddr,
    cluster: Arc<dyn Cluster>,
    logs: LogLevels,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<tokio::task::JoinHandle<std::io::Result<()>>, String> {
    use futures::FutureExt;
    let worker = cluster.worker_props().clone();
    let auth = auth::BasicAuth::from_worker(&worker)
        .map_err(|(key, message)| format!("{key}: {message}"))?
        .map(Arc::new);
    let admin = crate::keys::worker::admin_addresses(&worker)?;
    let shutdown = shutdown.shared();
    let main = app(cluster, admin.is_none().then(|| logs.clone()));
    let tls = if tls::is_https(&worker) {
        Some(tls::server_config(&worker)?)
    } else {
        None
    };
    let mut servers =
        vec![serve_on(addr, "listeners", main, tls, auth.clone(), shutdown.clone()).await?];
    for (addr, https) in admin.into_iter().flatten() {
        let tls = if https {
            Some(tls::server_config_for(
                &worker,
                tls::ADMIN_LISTENERS_PREFIX,
            )?)
        } else {
            None
        };
        let app = admin_app(&worker, logs.clone());
        servers.push(
            serve_on(
                addr,
                "admin.listeners",
                app,
                tls,
                auth.clone(),
                shutdown.clone(),
            )
            .await?,
        );
    }
    Ok(tokio::spawn(async move {
        futures::future::try_join_all(servers).await.map(|_| ())
    }))
}

/// A server of `app` bound to `addr` (of worker key `key`), ready to run until `shutdown`.
async fn serve_on(
    addr: std::net::SocketAddr,
    key: &str,
    mut app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    auth: Option<Arc<auth::BasicAuth>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<futures::future::BoxFuture<'static, std::io::Result<()>>, String> {
    use futures::FutureExt;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} ({key}): {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let authenticated = auth.is_some();
    if let Some(auth) = auth {
        app = app.layer(axum::middleware::from_fn_with_state(auth, auth::require));
    }
    tracing::info!(message = "REST API listening.", address = %local, listeners = key, https = tls.is_some(), basic_auth = authenticated);
    Ok(match tls {
        Some(config) => axum::serve(tls::TlsListener::new(listener, config), app)
            .with_graceful_shutdown(shutdown)
            .into_future()
            .boxed(),
        None => axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .into_future()
            .boxed(),
    })
}

/// Serves the API on `listener` until `shutdown` resolves (plain HTTP, no authentication).
pub async fn serve(
    listener: tokio::net::TcpListener,
    cluster: Arc<dyn Cluster>,
    logs: LogLevels,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(cluster, logs))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn worker_id_is_the_advertised_address() {
        assert_eq!(
            worker_id(&props(&[("listeners", "http://localhost:18083")])),
            "localhost:18083"
        );
        assert_eq!(
            worker_id(&props(&[
                ("listeners", "http://0.0.0.0:8083"),
                ("rest.advertised.host.name", "connect-1"),
                ("rest.advertised.port", "9999"),
            ])),
            "connect-1:9999"
        );
        assert_eq!(
            worker_id(&props(&[("listeners", "http://:8084")])),
            format!("{}:8084", local_host_name())
        );
        assert_eq!(
            worker_id(&Properties::new()),
            format!("{}:8083", local_host_name())
        );
    }
}
