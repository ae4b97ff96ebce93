//! The example connector crate (`examples/stdout-sink`) end to end: its own binary runs as a
//! standalone worker with the REST API on the real broker; the connector is listed, its config
//! spec validates over REST, it is created over REST and writes every record of a fresh topic in
//! its format, its status is RUNNING, it is deleted; and `docs` documents its keys.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use integration_tests::{
    ChildGuard, KeyValue, bootstrap, example_bin, produce_all, temp_dir, unique, wait_until,
};
use serde_json::{Value, json};

const PACKAGE: &str = "wharf-example-stdout-sink";
const BIN: &str = "wharf-with-stdout-sink";
const CLASS: &str = "com.example.wharf.StdoutSinkConnector";

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
            let mut request = self
                .http
                .request(method, &url)
                .timeout(Duration::from_secs(30));
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

    /// Whether `GET /` answers 200.
    fn ready(&self) -> bool {
        self.runtime.block_on(async {
            self.http
                .get(format!("{}/", self.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The error messages of `key` in a validation answer.
fn errors_of(validation: &Value, key: &str) -> Vec<String> {
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

fn lines_of(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn example_connector_runs_over_rest() {
    let started = Instant::now();
    let bin = example_bin(PACKAGE, BIN);
    let built = started.elapsed();

    // `docs` documents the example's keys beside the built-ins.
    let docs = Command::new(&bin).arg("docs").output().expect("docs runs");
    assert!(docs.status.success(), "docs: {}", docs.status);
    let docs = String::from_utf8(docs.stdout).unwrap();
    assert!(docs.contains(&format!("## {CLASS}")), "{CLASS} in the docs");
    for key in ["stdout.format", "stdout.prefix", "stdout.output.file"] {
        assert!(docs.contains(&format!("`{key}`")), "{key} in the docs");
    }
    assert!(docs.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"));

    // A worker with the REST API and no connector files.
    let dir = temp_dir("example-connector");
    let port = free_port();
    let worker_props = dir.join("worker.properties");
    fs::write(
        &worker_props,
        format!(
            "bootstrap.servers={}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\n\
             offset.flush.interval.ms=500\n\
             listeners=http://127.0.0.1:{port}\n",
            bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
    .unwrap();
    let log = dir.join("worker.log");
    let log_file = fs::File::create(&log).unwrap();
    let mut worker = ChildGuard(
        Command::new(&bin)
            .arg("standalone")
            .arg(&worker_props)
            .env("RUST_LOG", "warn")
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .stdin(Stdio::null())
            .spawn()
            .expect("the example worker starts"),
    );
    let api = Api {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let worker_log = || fs::read_to_string(&log).unwrap_or_default();
    let up = Instant::now();
    while !api.ready() {
        assert!(
            up.elapsed() < Duration::from_secs(60),
            "the worker did not answer within 60 s; its log:\n{}",
            worker_log()
        );
        assert!(
            worker.0.try_wait().unwrap().is_none(),
            "the worker exited; its log:\n{}",
            worker_log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let ready = started.elapsed();

    // The plugin is listed.
    let (code, plugins) = api.call("GET", "/connector-plugins", None);
    assert_eq!(code, 200);
    let plugin = plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["class"] == CLASS)
        .unwrap_or_else(|| panic!("{CLASS} in {plugins}"));
    assert_eq!(plugin["type"], "sink");

    // Its own keys are validated: a bad format is an error on that key...
    let topic = unique("example-stdout");
    let name = unique("example-stdout");
    let validate = "/connector-plugins/StdoutSink/config/validate";
    let (code, validation) = api.call(
        "PUT",
        validate,
        Some(json!({"connector.class": "StdoutSink", "name": name, "topics": topic, "stdout.format": "xml"})),
    );
    assert_eq!(code, 200, "{validation}");
    assert!(
        validation["error_count"].as_u64().unwrap() > 0,
        "{validation}"
    );
    let format_errors = errors_of(&validation, "stdout.format");
    assert_eq!(format_errors.len(), 1, "{validation}");
    assert!(
        format_errors[0].contains("String must be one of: value, key-value, json"),
        "{format_errors:?}"
    );
    assert!(errors_of(&validation, "stdout.prefix").is_empty());
    // ...and a good config has none.
    let output = dir.join("out.txt");
    let config = json!({
        "connector.class": "StdoutSink",
        "name": name,
        "topics": topic,
        "tasks.max": "1",
        "stdout.format": "key-value",
        "stdout.prefix": "[example] ",
        "stdout.output.file": output.to_str().unwrap(),
    });
    let (code, validation) = api.call("PUT", validate, Some(config.clone()));
    assert_eq!(code, 200);
    assert_eq!(validation["error_count"], 0, "{validation}");

    // Records first, then the connector reads them from the start of the fresh topic.
    const N: usize = 50;
    let keys: Vec<String> = (0..N).map(|i| format!("k{i}")).collect();
    let values: Vec<String> = (0..N).map(|i| format!("value {i}")).collect();
    let records: Vec<KeyValue<'_>> = keys
        .iter()
        .zip(&values)
        .map(|(k, v)| (Some(k.as_bytes()), Some(v.as_bytes())))
        .collect();
    produce_all(&topic, &records);
    let mut create = config.clone();
    create.as_object_mut().unwrap().remove("name");
    let (code, created) = api.call(
        "POST",
        "/connectors",
        Some(json!({"name": name, "config": create})),
    );
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["name"], name.as_str());
    assert_eq!(created["type"], "sink");

    let expected: Vec<String> = (0..N)
        .map(|i| format!("[example] k{i}=value {i}"))
        .collect();
    wait_until(
        "every record in the output file",
        Duration::from_secs(60),
        || lines_of(&output).len() >= N,
    );
    let delivered = started.elapsed();
    assert_eq!(lines_of(&output), expected);

    let (code, status) = api.call("GET", &format!("/connectors/{name}/status"), None);
    assert_eq!(code, 200);
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert_eq!(status["type"], "sink");

    let (code, _) = api.call("DELETE", &format!("/connectors/{name}"), None);
    assert_eq!(code, 204);
    wait_until("the connector to be gone", Duration::from_secs(30), || {
        api.call("GET", &format!("/connectors/{name}"), None).0 == 404
    });
    let (_, connectors) = api.call("GET", "/connectors", None);
    assert_eq!(connectors, json!([]));

    // SIGTERM stops the worker cleanly.
    let pid = worker.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let asked = Instant::now();
    let exit = loop {
        if let Some(exit) = worker.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(20),
            "the worker did not stop within 20 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit}; its log:\n{}", worker_log());
    assert_eq!(lines_of(&output), expected, "nothing written after delete");
    println!(
        "built in {built:.2?}, REST up at {ready:.2?}, {N} records delivered at {delivered:.2?}, \
         done in {:.2?}",
        started.elapsed()
    );
    fs::remove_dir_all(&dir).unwrap();
}
