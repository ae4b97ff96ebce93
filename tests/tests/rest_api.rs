//! The REST API's connector lifecycle against a worker running real connectors on the real
//! broker; answers are checked against Kafka Connect's shapes and status codes.

use std::fs;
use std::time::Duration;

use engine::config::Properties;
use engine::worker::standalone::Standalone;
use integration_tests::{bootstrap, temp_dir, unique, wait_until};
use serde_json::{Value, json};

struct Api {
    base: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.runtime.block_on(async {
            let mut request = self.http.request(method, &url);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let value = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            (status, value)
        })
    }
}

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn connector_lifecycle_over_rest() {
    integration_tests::init_logs();
    let dir = temp_dir("rest");
    let worker = Standalone::start(
        &props(&[
            ("bootstrap.servers", &bootstrap()),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            (
                "offset.storage.file.filename",
                dir.join("offsets.json").to_str().unwrap(),
            ),
            ("offset.flush.interval.ms", "500"),
        ]),
        &[],
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let logs = engine::logging::LogLevels::detached();
    let server = runtime.spawn(engine::rest::serve(
        listener,
        worker.herder().clone(),
        logs,
        async {
            let _ = stop_rx.await;
        },
    ));
    let api = Api {
        base,
        http: reqwest::Client::new(),
        runtime,
    };

    // Worker info and plugins.
    let (code, root) = api.call("GET", "/", None);
    assert_eq!(code, 200);
    assert!(root["version"].is_string());
    let (_, plugins) = api.call("GET", "/connector-plugins", None);
    assert!(plugins.as_array().unwrap().contains(&json!({
        "class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "type": "sink", "version": root["version"]
    })));
    let (code, keys) = api.call("GET", "/connector-plugins/FileStreamSource/config", None);
    assert_eq!(code, 200);
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "topic" && k["required"] == true)
    );

    // Validation reports every bad field.
    let (code, validation) = api.call(
        "PUT",
        "/connector-plugins/FileStreamSinkConnector/config/validate",
        Some(json!({"connector.class": "FileStreamSink", "name": "v", "tasks.max": "0"})),
    );
    assert_eq!(code, 200);
    assert_eq!(
        validation["name"],
        "org.apache.kafka.connect.file.FileStreamSinkConnector"
    );
    assert_eq!(validation["error_count"], 2, "{validation}");
    let errors_of = |key: &str| {
        validation["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .unwrap()["value"]["errors"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(errors_of("tasks.max"), 1);
    assert_eq!(errors_of("topics"), 1);
    assert_eq!(errors_of("file"), 0);

    // Create: a bad config is a 400 with Kafka Connect's message; a good one a 201.
    let (code, error) = api.call(
        "POST",
        "/connectors",
        Some(json!({"name": "bad", "config": {"connector.class": "FileStreamSource"}})),
    );
    assert_eq!(code, 400);
    assert_eq!(error["error_code"], 400);
    assert!(
        error["message"].as_str().unwrap().starts_with(
            "Connector configuration is invalid and contains the following 1 error(s):"
        ),
        "{error}"
    );

    let topic = unique("rest");
    let (source, sink) = (unique("rest-source"), unique("rest-sink"));
    let (input, output) = (dir.join("in.txt"), dir.join("out.txt"));
    fs::write(&input, "one\ntwo\nthree\n").unwrap();
    let (code, created) = api.call(
        "POST",
        "/connectors",
        Some(json!({"name": source, "config": {"connector.class": "FileStreamSource", "file": input, "topic": topic}})),
    );
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["name"], source);
    assert_eq!(created["type"], "source");
    assert_eq!(created["tasks"], json!([{"connector": source, "task": 0}]));
    assert_eq!(created["config"]["topic"], topic);
    let (code, _) = api.call("POST", "/connectors", Some(json!({"name": source, "config": {"connector.class": "FileStreamSource", "file": input, "topic": topic}})));
    assert_eq!(code, 409);
    let (code, created) = api.call(
        "PUT",
        &format!("/connectors/{sink}/config"),
        Some(json!({"connector.class": "FileStreamSink", "file": output, "topics": topic})),
    );
    assert_eq!(code, 201, "{created}");
    wait_until(
        "records through the REST-created pipeline",
        Duration::from_secs(60),
        || fs::read_to_string(&output).is_ok_and(|t| t == "one\ntwo\nthree\n"),
    );

    // Inspect.
    let (_, names) = api.call("GET", "/connectors", None);
    assert!(names.as_array().unwrap().contains(&json!(source)));
    let (_, expanded) = api.call("GET", "/connectors?expand=status&expand=info", None);
    assert_eq!(expanded[&sink]["status"]["connector"]["state"], "RUNNING");
    assert_eq!(expanded[&sink]["info"]["type"], "sink");
    let (code, status) = api.call("GET", &format!("/connectors/{sink}/status"), None);
    assert_eq!(code, 200);
    assert_eq!(status["tasks"][0]["state"], "RUNNING");
    assert_eq!(status["tasks"][0]["id"], 0);
    assert!(status["tasks"][0]["worker_id"].is_string());
    let (_, tasks) = api.call("GET", &format!("/connectors/{sink}/tasks"), None);
    assert_eq!(tasks[0]["id"], json!({"connector": sink, "task": 0}));
    assert_eq!(tasks[0]["config"]["topics"], topic);
    let (_, task_status) = api.call("GET", &format!("/connectors/{sink}/tasks/0/status"), None);
    assert_eq!(task_status["state"], "RUNNING");
    let (_, topics) = api.call("GET", &format!("/connectors/{sink}/topics"), None);
    assert_eq!(topics[&sink]["topics"], json!([topic]));

    // Pause, resume, restart, patch, stop.
    let (code, _) = api.call("PUT", &format!("/connectors/{sink}/pause"), None);
    assert_eq!(code, 202);
    let (_, status) = api.call("GET", &format!("/connectors/{sink}/status"), None);
    assert_eq!(status["connector"]["state"], "PAUSED");
    assert_eq!(status["tasks"][0]["state"], "PAUSED");
    let (code, _) = api.call("PUT", &format!("/connectors/{sink}/resume"), None);
    assert_eq!(code, 202);
    let (_, status) = api.call("GET", &format!("/connectors/{sink}/status"), None);
    assert_eq!(status["tasks"][0]["state"], "RUNNING");
    let (code, restarted) = api.call(
        "POST",
        &format!("/connectors/{sink}/restart?includeTasks=true&onlyFailed=false"),
        None,
    );
    assert_eq!(code, 202);
    assert_eq!(restarted["connector"]["state"], "RUNNING");
    let (code, _) = api.call("POST", &format!("/connectors/{sink}/restart"), None);
    assert_eq!(code, 204);
    let (code, _) = api.call("POST", &format!("/connectors/{sink}/tasks/0/restart"), None);
    assert_eq!(code, 204);
    let (code, _) = api.call("POST", &format!("/connectors/{sink}/tasks/7/restart"), None);
    assert_eq!(code, 404);
    let (code, patched) = api.call(
        "PATCH",
        &format!("/connectors/{sink}/config"),
        Some(json!({"errors.tolerance": "all"})),
    );
    assert_eq!(code, 200, "{patched}");
    assert_eq!(patched["config"]["errors.tolerance"], "all");
    let (code, _) = api.call("PUT", &format!("/connectors/{sink}/stop"), None);
    assert_eq!(code, 202);
    let (_, status) = api.call("GET", &format!("/connectors/{sink}/status"), None);
    assert_eq!(status["connector"]["state"], "STOPPED");

    // Metrics.
    let (code, metrics) = api.call("GET", "/metrics", None);
    assert_eq!(code, 200);
    let text = metrics.as_str().unwrap();
    assert!(
        text.contains(&format!(
            "wharf_task_records_total{{connector=\"{source}\",task=\"0\",type=\"source\"}} 3"
        )),
        "{text}"
    );
    let source_labels = format!("connector=\"{source}\",task=\"0\",type=\"source\"");
    assert!(
        text.contains(&format!("wharf_task_batch_size_sum{{{source_labels}}} 3")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "wharf_task_batch_seconds_bucket{{{source_labels},le=\"+Inf\"}} "
        )),
        "{text}"
    );
    for name in [
        "# TYPE wharf_task_consumer_lag gauge",
        "# TYPE wharf_task_batch_seconds histogram",
    ] {
        assert!(text.contains(name), "{name} in {text}");
    }

    // Log levels.
    let (code, loggers) = api.call("GET", "/admin/loggers", None);
    assert_eq!(code, 200);
    assert_eq!(loggers["root"], json!({"level": "INFO"}));
    let (code, changed) = api.call(
        "PUT",
        "/admin/loggers/engine::worker",
        Some(json!({"level": "DEBUG"})),
    );
    assert_eq!(code, 200, "{changed}");
    assert_eq!(changed, json!(["engine::worker"]));
    let (_, level) = api.call("GET", "/admin/loggers/engine::worker::sink_task", None);
    assert_eq!(level, json!({"level": "DEBUG"}));
    let (code, _) = api.call(
        "PUT",
        "/admin/loggers/engine",
        Some(json!({"level": "LOUD"})),
    );
    assert_eq!(code, 400);

    // Offsets (KIP-875): read, refuse changes while running, alter and reset once stopped.
    let (code, sink_offsets) = api.call("GET", &format!("/connectors/{sink}/offsets"), None);
    assert_eq!(code, 200, "{sink_offsets}");
    assert_eq!(
        sink_offsets,
        json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 3}}]})
    );
    let (_, source_offsets) = api.call("GET", &format!("/connectors/{source}/offsets"), None);
    assert_eq!(
        source_offsets,
        json!({"offsets": [{"partition": {"filename": input}, "offset": {"position": 14}}]})
    );
    let rewind =
        json!({"offsets": [{"partition": {"filename": input}, "offset": {"position": 4}}]});
    let (code, refused) = api.call(
        "PATCH",
        &format!("/connectors/{source}/offsets"),
        Some(rewind.clone()),
    );
    assert_eq!(code, 400);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("Connectors must be in the STOPPED state")
    );
    let (code, _) = api.call("PUT", &format!("/connectors/{source}/stop"), None);
    assert_eq!(code, 202);
    let (code, altered) = api.call(
        "PATCH",
        &format!("/connectors/{source}/offsets"),
        Some(rewind),
    );
    assert_eq!(code, 200, "{altered}");
    assert_eq!(
        altered["message"],
        "The offsets for this connector have been altered successfully"
    );
    let (_, source_offsets) = api.call("GET", &format!("/connectors/{source}/offsets"), None);
    assert_eq!(
        source_offsets["offsets"][0]["offset"],
        json!({"position": 4})
    );
    let (code, reset) = api.call("DELETE", &format!("/connectors/{sink}/offsets"), None);
    assert_eq!(code, 200, "{reset}");
    let (_, sink_offsets) = api.call("GET", &format!("/connectors/{sink}/offsets"), None);
    assert_eq!(sink_offsets, json!({"offsets": []}));

    // Delete.
    for name in [&source, &sink] {
        let (code, _) = api.call("DELETE", &format!("/connectors/{name}"), None);
        assert_eq!(code, 204);
    }
    let (code, missing) = api.call("GET", &format!("/connectors/{sink}"), None);
    assert_eq!(code, 404);
    assert_eq!(
        missing,
        json!({"error_code": 404, "message": format!("Connector {sink} not found")})
    );

    let _ = stop_tx.send(());
    api.runtime.block_on(server).unwrap().unwrap();
    for (id, outcome) in worker.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    fs::remove_dir_all(&dir).unwrap();
}
