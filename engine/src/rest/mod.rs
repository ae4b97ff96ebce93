//! The REST API, with Kafka Connect's paths, JSON and status codes, so kcctl, Kafka UI and
//! scripts written for Kafka Connect work unchanged. Runs on the control-plane tokio runtime;
//! calls that stop tasks run on its blocking pool.

mod connectors;
mod error;
mod loggers;
mod metrics;
mod offsets;
mod plugins;

use axum::Router;
use axum::routing::{get, post, put};
use serde_json::json;

use crate::herder::Herder;
use crate::logging::LogLevels;

pub use error::RestError;

/// Kafka Connect's default REST port.
pub const DEFAULT_PORT: u16 = 8083;

/// All routes, bound to `herder` and the worker's log levels.
pub fn router(herder: Herder, logs: LogLevels) -> Router {
    let admin = Router::new()
        .route("/admin/loggers", get(loggers::list))
        .route("/admin/loggers/{name}", get(loggers::get).put(loggers::set))
        .with_state(logs);
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/metrics", get(metrics::metrics))
        .route(
            "/connectors",
            get(connectors::list).post(connectors::create),
        )
        .route(
            "/connectors/{c}",
            get(connectors::get).delete(connectors::delete),
        )
        .route(
            "/connectors/{c}/config",
            get(connectors::get_config)
                .put(connectors::put_config)
                .patch(connectors::patch_config),
        )
        .route("/connectors/{c}/status", get(connectors::status))
        .route("/connectors/{c}/tasks", get(connectors::tasks))
        .route(
            "/connectors/{c}/tasks/{t}/status",
            get(connectors::task_status),
        )
        .route(
            "/connectors/{c}/tasks/{t}/restart",
            post(connectors::restart_task),
        )
        .route("/connectors/{c}/pause", put(connectors::pause))
        .route("/connectors/{c}/resume", put(connectors::resume))
        .route("/connectors/{c}/stop", put(connectors::stop))
        .route("/connectors/{c}/restart", post(connectors::restart))
        .route("/connectors/{c}/topics", get(connectors::topics))
        .route(
            "/connectors/{c}/offsets",
            get(offsets::get)
                .patch(offsets::alter)
                .delete(offsets::reset),
        )
        .route("/connector-plugins", get(plugins::list))
        .route("/connector-plugins/{p}/config", get(plugins::config))
        .route(
            "/connector-plugins/{p}/config/validate",
            put(plugins::validate),
        )
        .with_state(herder)
        .merge(admin)
}

async fn root() -> axum::Json<serde_json::Value> {
    axum::Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("WHARF_COMMIT").unwrap_or("unknown"),
        "kafka_cluster_id": null,
    }))
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(json!({
        "status": "healthy",
        "message": "Worker has completed startup and is ready to handle requests.",
    }))
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    herder: Herder,
    logs: LogLevels,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(herder, logs))
        .with_graceful_shutdown(shutdown)
        .await
}
