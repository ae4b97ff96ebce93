//! `GET /metrics`: per-task counters in Prometheus text format — no JMX needed.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::Shared;
use crate::task::{LATENCY_BUCKETS, TaskId, TaskStats};
use connect_api::ConnectorType;

type Row = (TaskId, ConnectorType, std::sync::Arc<TaskStats>);

fn labels(id: &TaskId, connector_type: ConnectorType) -> String {
    format!(
        "connector=\"{}\",task=\"{}\",type=\"{}\"",
        escape(&id.connector),
        id.task,
        connector_type.rest_name()
    )
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// One sample per task of a counter or gauge; tasks for which `value` is `None` are left out.
fn series(
    out: &mut String,
    rows: &[Row],
    name: &str,
    kind: &str,
    help: &str,
    value: impl Fn(&TaskStats) -> Option<String>,
) {
    header(out, name, kind, help);
    for (id, connector_type, s) in rows {
        if let Some(v) = value(s) {
            let _ = writeln!(out, "{name}{{{}}} {v}", labels(id, *connector_type));
        }
    }
}

/// Renders every task's counters.
pub async fn metrics(State(cluster): State<Shared>) -> Response {
    let rows = cluster.task_stats();
    let mut out = String::new();
    let o = &mut out;
    series(
        o,
        &rows,
        "wharf_task_records_total",
        "counter",
        "Records the task moved (sink: consumed and put; source: produced).",
        |s| Some(s.records().to_string()),
    );
    series(
        o,
        &rows,
        "wharf_task_bytes_total",
        "counter",
        "Key, value and header bytes the task moved.",
        |s| Some(s.bytes().to_string()),
    );
    series(
        o,
        &rows,
        "wharf_task_dlq_records_total",
        "counter",
        "Records sent to the dead letter queue.",
        |s| Some(s.dlq().to_string()),
    );
    series(
        o,
        &rows,
        "wharf_task_restarts_total",
        "counter",
        "Automatic restarts after a failure.",
        |s| Some(s.restarts().to_string()),
    );
    series(
        o,
        &rows,
        "wharf_task_failed",
        "gauge",
        "1 while the task's last run failed.",
        |s| Some(u64::from(s.failure().is_some()).to_string()),
    );
    series(
        o,
        &rows,
        "wharf_task_consumer_lag",
        "gauge",
        "Sink tasks: records in the task's partitions not consumed yet (from the consumer's statistics, every 5 s).",
        |s| s.consumer_lag().map(|l| l.to_string()),
    );
    header(
        o,
        "wharf_task_batch_size",
        "summary",
        "Records per batch: per put call (sink) or per non-empty poll (source).",
    );
    for (id, t, s) in &rows {
        let l = labels(id, *t);
        let _ = writeln!(o, "wharf_task_batch_size_sum{{{l}}} {}", s.batch_records());
        let _ = writeln!(o, "wharf_task_batch_size_count{{{l}}} {}", s.batches());
    }
    header(
        o,
        "wharf_task_batch_seconds",
        "histogram",
        "Time the task spent in one put call (sink) or one non-empty poll (source).",
    );
    for (id, t, s) in &rows {
        let l = labels(id, *t);
        for (bound, count) in LATENCY_BUCKETS.iter().zip(s.latency_cumulative()) {
            let _ = writeln!(
                o,
                "wharf_task_batch_seconds_bucket{{{l},le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            o,
            "wharf_task_batch_seconds_bucket{{{l},le=\"+Inf\"}} {}",
            s.batches()
        );
        let _ = writeln!(
            o,
            "wharf_task_batch_seconds_sum{{{l}}} {}",
            s.batch_seconds()
        );
        let _ = writeln!(o, "wharf_task_batch_seconds_count{{{l}}} {}", s.batches());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
