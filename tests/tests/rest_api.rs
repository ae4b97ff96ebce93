//! The REST API's connector lifecycle against a worker running real connectors on the real
//! broker; answers are checked against Kafka Connect's shapes and status codes.

use std::fs;
use std::time::Duration;

use engine::modes::standalone::Standalone;
use integration_tests::{bootstrap, props, temp_dir, unique, wait_until};
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

/// The error messages of `key` in a validation answer.
fn errors_of_in(validation: &Value, key: &str) -> Vec<String> {
    let entry = validation["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == key)
        .unwrap_or_else(|| panic!("{key} in {validation}"));
    entry["value"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
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
        worker.cluster(),
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
    assert!(
        root["kafka_cluster_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{root}"
    );
    let (_, plugins) = api.call("GET", "/connector-plugins", None);
    assert!(plugins.as_array().unwrap().contains(&json!({
        "class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "type": "sink", "version": root["version"]
    })));
    let (code, keys) = api.call("GET", "/connector-plugins/FileStreamSource/config", None);
    assert_eq!(code, 200);
    let keys = keys.as_array().unwrap();
    assert!(
        keys.iter()
            .any(|k| k["name"] == "topic" && k["required"] == true)
    );
    // The plugin's keys, then Kafka Connect's framework keys with their groups and orders.
    let names: Vec<&str> = keys.iter().map(|k| k["name"].as_str().unwrap()).collect();
    for name in [
        "name",
        "connector.class",
        "tasks.max",
        "tasks.max.enforce",
        "key.converter",
        "value.converter",
        "header.converter",
        "config.action.reload",
        "transforms",
        "predicates",
        "errors.retry.timeout",
        "errors.tolerance",
        "exactly.once.support",
        "offsets.storage.topic",
        "topic.creation.groups",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let tasks_max = keys.iter().find(|k| k["name"] == "tasks.max").unwrap();
    assert_eq!(tasks_max["group"], "Common");
    assert_eq!(tasks_max["order_in_group"], 4);
    assert_eq!(tasks_max["display_name"], "Tasks max");
    assert!(tasks_max.get("order").is_none());
    let (_, sink_keys) = api.call("GET", "/connector-plugins/FileStreamSink/config/", None);
    let sink_names: Vec<&str> = sink_keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    for name in [
        "topics",
        "topics.regex",
        "errors.deadletterqueue.topic.name",
    ] {
        assert!(sink_names.contains(&name), "{name} in {sink_names:?}");
    }

    // Validation reports every bad field.
    let (code, validation) = api.call(
        "PUT",
        "/connector-plugins/FileStreamSinkConnector/config/validate",
        Some(json!({"connector.class": "FileStreamSink", "name": "v", "tasks.max": "0"})),
    );
    assert_eq!(code, 200);
    // Named after connector.class as the request gives it, as Kafka Connect names it.
    assert_eq!(validation["name"], "FileStreamSink");
    // Kafka Connect reports the missing topics on both keys.
    assert_eq!(validation["error_count"], 3, "{validation}");
    assert_eq!(
        validation["groups"],
        json!(["Common", "Transforms", "Predicates", "Error Handling"])
    );
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
    assert_eq!(errors_of("topics.regex"), 1);
    assert_eq!(errors_of("file"), 0);
    let (_, validation) = api.call(
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        Some(json!({"connector.class": "FileStreamSink", "name": "v", "topics": "a", "topics.regex": "a.*", "errors.tolerance": "some"})),
    );
    assert_eq!(validation["error_count"], 3, "{validation}");
    assert_eq!(
        errors_of_in(&validation, "topics"),
        ["topics and topics.regex are mutually exclusive options, but both are set."]
    );
    assert_eq!(errors_of_in(&validation, "topics.regex").len(), 1);
    assert_eq!(errors_of_in(&validation, "errors.tolerance").len(), 1);

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
    assert_eq!(
        tasks[0]["config"]["task.class"],
        "org.apache.kafka.connect.file.FileStreamSinkTask"
    );
    let (_, task_status) = api.call("GET", &format!("/connectors/{sink}/tasks/0/status"), None);
    assert_eq!(task_status["state"], "RUNNING");
    let (_, topics) = api.call("GET", &format!("/connectors/{sink}/topics"), None);
    assert_eq!(topics[&sink]["topics"], json!([topic]));
    let (code, _) = api.call("PUT", &format!("/connectors/{sink}/topics/reset"), None);
    assert_eq!(code, 202);
    let (_, topics) = api.call("GET", &format!("/connectors/{sink}/topics"), None);
    assert_eq!(topics[&sink]["topics"], json!([]));

    // Trailing slashes are served; unknown paths and methods answer with error bodies.
    let (code, info) = api.call("GET", &format!("/connectors/{sink}/"), None);
    assert_eq!(code, 200);
    assert_eq!(info["name"], sink);
    let (code, names) = api.call("GET", "/connectors/", None);
    assert_eq!(code, 200);
    assert!(names.as_array().unwrap().contains(&json!(sink)));
    let (code, missing) = api.call("GET", "/no-such-path", None);
    assert_eq!(
        (code, &missing["error_code"]),
        (404, &json!(404)),
        "{missing}"
    );
    assert!(missing["message"].is_string());
    let (code, wrong) = api.call("DELETE", "/connector-plugins", None);
    assert_eq!((code, &wrong["error_code"]), (405, &json!(405)), "{wrong}");

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
    assert_eq!(restarted["connector"]["state"], "RESTARTING");
    assert_eq!(restarted["tasks"][0]["state"], "RESTARTING");
    // Booleans parse like Java's: any case of "true" is true, anything else false, never a 400.
    let (code, restarted) = api.call(
        "POST",
        &format!("/connectors/{sink}/restart?includeTasks=True&onlyFailed=False"),
        None,
    );
    assert_eq!(code, 202, "{restarted}");
    assert_eq!(restarted["tasks"][0]["state"], "RESTARTING");
    let (code, restarted) = api.call(
        "POST",
        &format!("/connectors/{sink}/restart?includeTasks=true&onlyFailed=TRUE"),
        None,
    );
    assert_eq!(code, 202, "{restarted}");
    assert_eq!(restarted["connector"]["state"], "RUNNING");
    assert_eq!(restarted["tasks"][0]["state"], "RUNNING");
    for flags in ["includeTasks=0", "includeTasks=yes&onlyFailed=no", ""] {
        let (code, _) = api.call("POST", &format!("/connectors/{sink}/restart?{flags}"), None);
        assert_eq!(code, 204, "{flags}");
    }
    wait_until(
        "tasks running after restarts",
        Duration::from_secs(30),
        || {
            let (_, status) = api.call("GET", &format!("/connectors/{sink}/status"), None);
            status["tasks"][0]["state"] == "RUNNING"
        },
    );
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
    assert_eq!(code, 204);
    let (_, status) = api.call("GET", &format!("/connectors/{sink}/status"), None);
    assert_eq!(status["connector"]["state"], "STOPPED");
    // A stopped connector has no tasks (KIP-875).
    assert_eq!(status["tasks"], json!([]));
    let (_, tasks) = api.call("GET", &format!("/connectors/{sink}/tasks"), None);
    assert_eq!(tasks, json!([]));
    let (_, expanded) = api.call("GET", "/connectors?expand=info&expand=status", None);
    assert_eq!(expanded[&sink]["info"]["tasks"], json!([]));
    assert_eq!(expanded[&sink]["status"]["tasks"], json!([]));

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
    assert_eq!(
        loggers["root"],
        json!({"level": "INFO", "last_modified": null})
    );
    for name in ["engine::task::sink_task", "org.apache.kafka.connect"] {
        assert!(loggers[name]["level"].is_string(), "{name} in {loggers}");
    }
    let (code, changed) = api.call(
        "PUT",
        "/admin/loggers/engine::task",
        Some(json!({"level": "DEBUG"})),
    );
    assert_eq!(code, 200, "{changed}");
    let changed: Vec<&str> = changed
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(changed.contains(&"engine::task"), "{changed:?}");
    assert!(changed.contains(&"engine::task::sink_task"), "{changed:?}");
    assert!(
        changed.iter().all(|n| n.starts_with("engine::task")),
        "{changed:?}"
    );
    let (_, level) = api.call("GET", "/admin/loggers/engine::task::sink_task", None);
    assert_eq!(level["level"], "DEBUG");
    assert!(level["last_modified"].is_u64(), "{level}");
    let (_, loggers) = api.call("GET", "/admin/loggers/", None);
    assert_eq!(loggers["engine::task"]["level"], "DEBUG");
    let (code, _) = api.call(
        "PUT",
        "/admin/loggers/engine",
        Some(json!({"level": "LOUD"})),
    );
    assert_eq!(code, 404);

    // Offsets (KIP-875): read, refuse changes while running, alter and reset once stopped.
    let (code, sink_offsets) = api.call("GET", &format!("/connectors/{sink}/offsets"), None);
    assert_eq!(code, 200, "{sink_offsets}");
    assert_eq!(
        sink_offsets,
        json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 3}}]})
    );
    // The source commits its position every offset.flush.interval.ms (500 ms here).
    let mut source_offsets = serde_json::Value::Null;
    wait_until("the source's offsets", Duration::from_secs(10), || {
        source_offsets = api
            .call("GET", &format!("/connectors/{source}/offsets"), None)
            .1;
        source_offsets["offsets"]
            .as_array()
            .is_some_and(|o| !o.is_empty())
    });
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
    assert_eq!(code, 204);
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
    // The source commits its position every offset.flush.interval.ms (500 ms here).
    let mut source_offsets = serde_json::Value::Null;
    wait_until("the source's offsets", Duration::from_secs(10), || {
        source_offsets = api
            .call("GET", &format!("/connectors/{source}/offsets"), None)
            .1;
        source_offsets["offsets"]
            .as_array()
            .is_some_and(|o| !o.is_empty())
    });
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
