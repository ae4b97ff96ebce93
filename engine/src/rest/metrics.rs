//! `GET /metrics`: per-task counters in Prometheus text format — no JMX needed.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::herder::Herder;

/// Renders every task's counters.
pub async fn metrics(State(herder): State<Herder>) -> Response {
    let stats = herder.task_stats();
    let mut out = String::new();
    let series: [(&str, &str, &str); 5] = [
        (
            "wharf_task_records_total",
            "counter",
            "Records the task moved (sink: consumed and put; source: produced).",
        ),
        (
            "wharf_task_bytes_total",
            "counter",
            "Key, value and header bytes the task moved.",
        ),
        (
            "wharf_task_dlq_records_total",
            "counter",
            "Records sent to the dead letter queue.",
        ),
        (
            "wharf_task_restarts_total",
            "counter",
            "Automatic restarts after a failure.",
        ),
        (
            "wharf_task_failed",
            "gauge",
            "1 while the task's last run failed.",
        ),
    ];
    for (i, (name, kind, help)) in series.iter().enumerate() {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (id, connector_type, s) in &stats {
            let value = match i {
                0 => s.records(),
                1 => s.bytes(),
                2 => s.dlq(),
                3 => s.restarts(),
                _ => u64::from(s.failure().is_some()),
            };
            let _ = writeln!(
                out,
                "{name}{{connector=\"{}\",task=\"{}\",type=\"{}\"}} {value}",
                escape(&id.connector),
                id.task,
                connector_type.rest_name()
            );
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
