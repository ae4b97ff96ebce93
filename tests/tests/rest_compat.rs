//! wharf's REST API against Apache Kafka Connect 4.3.1's, endpoint by endpoint, both run for real.
//!
//! A Kafka Connect standalone worker (`ConnectStandalone`, jars from `scripts/stack up` and
//! `scripts/setup-kafka-connect`) and a wharf standalone worker run side by side on their own
//! loopback ports against the same broker. The same sequence of calls goes to both: worker info,
//! plugins and their config forms, validation of good and bad configs, a FileStreamSink's whole
//! lifecycle (create, list and expand, status, tasks, topics and their reset, pause, resume,
//! stop, restarts with every flag spelling), trailing slashes, unknown paths and methods,
//! loggers, delete. What a client reads is compared: the status code, the JSON's shape (the keys
//! at each level, each value's type) and the values. Arrays of named entries (config keys,
//! validation results) are paired by name, and their order is compared on its own. Each side's
//! own strings (connector name, file, port) are replaced by placeholders first, so answers read
//! the same where they mean the same.
//!
//! Every difference is printed. The deliberate ones are listed in `ALLOWED` with the reason;
//! any other fails the test.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use integration_tests::{ChildGuard, bootstrap, produce_all, temp_dir, unique, wharf_bin};
use serde_json::{Value, json};

/// A difference the comparison may find: in a step whose label contains `step`, at a JSON path
/// matching `path` (segments split on `/`; in a segment `*` matches any text; a last segment
/// `**` matches any rest), and, when `when` is set, only with exactly these answers there
/// (wharf's, Kafka Connect's).
struct Allowed {
    step: &'static str,
    path: &'static str,
    when: Option<(&'static str, &'static str)>,
    reason: &'static str,
}

const fn allow(step: &'static str, path: &'static str, reason: &'static str) -> Allowed {
    Allowed {
        step,
        path,
        when: None,
        reason,
    }
}

const VERSION: &str = "each engine reports its own version: plugin versions are the engine's";
const NULL_DEFAULT: &str = "wharf's ConfigKey has no \"optional without a default\": an empty \
    default stands for it, so the plugin's optional keys read \"\" where Kafka Connect's read null";

const WHARF_KEYS: &str = "wharf's own plugin keys (prefixed wharf.) go beyond Kafka Connect's: \
    the file sink's wharf.exactly.once";

const ALLOWED: &[Allowed] = &[
    allow("connector-plugins", "/wharf.*", WHARF_KEYS),
    allow("validate", "/configs/wharf.*", WHARF_KEYS),
    allow("GET /", "/version", VERSION),
    allow(
        "GET /",
        "/commit",
        "each engine reports its own build commit",
    ),
    allow("connector-plugins", "/*/version", VERSION),
    allow(
        "connector-plugins",
        "/*plugin.version/default_value",
        VERSION,
    ),
    allow(
        "validate",
        "/configs/*plugin.version/definition/default_value",
        VERSION,
    ),
    allow("validate", "/configs/*plugin.version/value/value", VERSION),
    allow(
        "validate",
        "/configs/*plugin.version/value/recommended_values/0",
        VERSION,
    ),
    allow("status", "/connector/version", VERSION),
    allow("status", "/tasks/*/version", VERSION),
    allow("restart", "/connector/version", VERSION),
    allow("restart", "/tasks/*/version", VERSION),
    allow("expand=status", "/*/status/connector/version", VERSION),
    allow("expand=status", "/*/status/tasks/*/version", VERSION),
    allow(
        "validate",
        "/configs/*converter/value/recommended_values/**",
        "each engine recommends the converters it ships (wharf: no BooleanConverter etc. \
         until they exist, AvroConverter when built in)",
    ),
    Allowed {
        step: "connector-plugins",
        path: "/**",
        when: Some(("\"\" (string)", "null (null)")),
        reason: NULL_DEFAULT,
    },
    Allowed {
        step: "validate",
        path: "/**",
        when: Some(("\"\" (string)", "null (null)")),
        reason: NULL_DEFAULT,
    },
    allow(
        "connector-plugins",
        "/**/documentation",
        "the FileStream connectors' key docs end with a full stop in wharf (documentation only; \
         engine/src/connectors/file)",
    ),
    allow(
        "validate",
        "/configs/*/definition/documentation",
        "the FileStream connectors' key docs end with a full stop in wharf (documentation only; \
         engine/src/connectors/file)",
    ),
    allow(
        "POST /connectors {\"connector.class\"",
        "/error_code",
        "a create request without its config wrapper is the client's error: wharf answers 400 \
         where Kafka Connect lets Jackson's exception through as 500",
    ),
    allow(
        "POST /connectors {\"connector.class\"",
        "/(status)",
        "a create request without its config wrapper is the client's error: wharf answers 400 \
         where Kafka Connect lets Jackson's exception through as 500",
    ),
    allow(
        "POST /connectors {\"connector.class\"",
        "/message",
        "Jackson appends the parser's position and reference chain to the same first sentence",
    ),
    allow(
        "NoSuchPlugin/config/validate",
        "/**",
        "Kafka Connect answers 500 with a BadRequestException's text and its plugin descriptors; \
         wharf answers 404 with the connector lookup's message",
    ),
    allow(
        "validate {\"file\"",
        "/**",
        "Kafka Connect answers 500 (\"contains no connector type\") when the body lacks \
         connector.class; wharf validates it as the plugin of the path, as the path says",
    ),
    allow(
        "validate",
        "/configs/transforms.*/definition/documentation",
        "the transforms' key docs are wharf's own wording (documentation only)",
    ),
    allow(
        "validate",
        "/configs/predicates.*/definition/documentation",
        "the predicates' key docs are wharf's own wording (documentation only)",
    ),
    allow(
        "loggers",
        "/**/last_modified",
        "a timestamp of the last change",
    ),
];

// ---------------------------------------------------------------------------------------------
// The two workers.

/// One worker under test and the strings that are its own.
struct Side {
    label: &'static str,
    base: String,
    /// (own string, placeholder), longest first: replaced in requests' placeholders and answers.
    own: Vec<(String, &'static str)>,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

/// What a client reads: the status code and the body (JSON, or a string if not JSON).
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Value,
}

impl Side {
    fn new(label: &'static str, port: u16, connector: &str, file: &Path) -> Self {
        Self {
            label,
            base: format!("http://127.0.0.1:{port}"),
            own: vec![
                (file.display().to_string(), "{file}"),
                (connector.to_owned(), "{c}"),
                (format!("127.0.0.1:{port}"), "{worker}"),
            ],
            http: reqwest::Client::new(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    /// The text with this side's strings put in for the placeholders.
    fn fill(&self, text: &str) -> String {
        self.own
            .iter()
            .fold(text.to_owned(), |t, (own, placeholder)| {
                t.replace(placeholder, own)
            })
    }

    /// The text with placeholders put in for this side's strings.
    fn neutral(&self, text: &str) -> String {
        self.own
            .iter()
            .fold(text.to_owned(), |t, (own, placeholder)| {
                t.replace(own, placeholder)
            })
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let url = format!("{}{}", self.base, self.fill(path));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = body.map(|b| self.fill(&b.to_string()));
        self.runtime.block_on(async {
            let mut request = self
                .http
                .request(method, &url)
                .timeout(Duration::from_secs(30));
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = self.neutral(&response.text().await.unwrap());
            let body = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            Answer { status, body }
        })
    }

    /// Waits until the connector and all its tasks are in `state`, with `tasks` tasks; the last
    /// status answer if they are not within 20 s.
    fn wait_for(&self, state: &str, tasks: usize) -> Result<(), Answer> {
        let start = Instant::now();
        loop {
            let a = self.call("GET", "/connectors/{c}/status", None);
            let tasks_ok = a.body["tasks"]
                .as_array()
                .is_some_and(|t| t.len() == tasks && t.iter().all(|t| t["state"] == state));
            if a.status == 200 && a.body["connector"]["state"] == state && tasks_ok {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(20) {
                return Err(a);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn worker_properties(dir: &Path, port: u16, extra: &str) -> String {
    format!(
        "bootstrap.servers={}\n\
         key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\n\
         offset.storage.file.filename={}\n\
         offset.flush.interval.ms=500\n\
         listeners=http://127.0.0.1:{port}\n{extra}",
        bootstrap(),
        dir.join(format!("offsets-{port}")).display()
    )
}

fn start_kafka_connect(dir: &Path, port: u16) -> ChildGuard {
    let props = dir.join("kafka-connect.properties");
    fs::write(
        &props,
        worker_properties(dir, port, "plugin.discovery=service_load\n"),
    )
    .unwrap();
    integration_tests::java::spawn_kafka_connect(
        "ConnectStandalone",
        &[&props],
        &dir.join("kafka-connect.log"),
        "",
    )
}

fn start_wharf(dir: &Path, port: u16) -> ChildGuard {
    let props = dir.join("wharf.properties");
    fs::write(&props, worker_properties(dir, port, "")).unwrap();
    let log = fs::File::create(dir.join("wharf.log")).unwrap();
    ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(&props)
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("wharf starts"),
    )
}

/// Waits until `GET /` answers 200, or panics with the worker's log.
fn wait_ready(side: &Side, log: &Path) {
    let start = Instant::now();
    loop {
        let up = side.runtime.block_on(async {
            side.http
                .get(format!("{}/", side.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        });
        if up {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} did not answer within 60 s; its log:\n{}",
            side.label,
            fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing answers.

/// One difference: where, and what each side answered there.
#[derive(Debug)]
struct Difference {
    step: String,
    path: String,
    wharf: String,
    kafka_connect: String,
}

impl Difference {
    fn allowed(&self) -> Option<&'static str> {
        ALLOWED
            .iter()
            .find(|a| {
                self.step.contains(a.step)
                    && path_matches(a.path, &self.path)
                    && a.when
                        .is_none_or(|(w, k)| w == self.wharf && k == self.kafka_connect)
            })
            .map(|a| a.reason)
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments_match(&pattern, &path)
}

/// Segment-wise match; `**` stands for any number of segments (at least one).
fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.split_first(), path.split_first()) {
        (None, None) => true,
        (Some((&"**", rest)), Some(_)) => {
            (1..=path.len()).any(|skip| segments_match(rest, &path[skip..]))
        }
        (Some((p, rest)), Some((segment, tail))) => {
            segment_matches(p, segment) && segments_match(rest, tail)
        }
        _ => false,
    }
}

/// Whether `segment` matches `pattern`, in which one `*` stands for any text.
fn segment_matches(pattern: &str, segment: &str) -> bool {
    match pattern.split_once('*') {
        Some((head, tail)) => {
            segment.len() >= head.len() + tail.len()
                && segment.starts_with(head)
                && segment.ends_with(tail)
        }
        None => pattern == segment,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 300 {
        format!("{}...", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}

/// The name an array entry is paired by: `name`, or `value.name` in validation answers.
fn entry_name(v: &Value) -> Option<&str> {
    v["name"].as_str().or_else(|| v["value"]["name"].as_str())
}

/// Compares two answers' bodies, pushing each difference found.
fn compare(step: &str, path: &str, wharf: &Value, kc: &Value, out: &mut Vec<Difference>) {
    let differ = |out: &mut Vec<Difference>, path: String, w: String, k: String| {
        out.push(Difference {
            step: step.to_owned(),
            path,
            wharf: w,
            kafka_connect: k,
        });
    };
    match (wharf, kc) {
        (Value::Object(w), Value::Object(k)) => {
            for (key, kv) in k {
                match w.get(key) {
                    Some(wv) => compare(step, &format!("{path}/{key}"), wv, kv, out),
                    None => differ(out, format!("{path}/{key}"), "(missing)".into(), short(kv)),
                }
            }
            for (key, wv) in w {
                if !k.contains_key(key) {
                    differ(out, format!("{path}/{key}"), short(wv), "(missing)".into());
                }
            }
        }
        (Value::Array(w), Value::Array(k)) => {
            let named = |a: &[Value]| !a.is_empty() && a.iter().all(|e| entry_name(e).is_some());
            if named(w) && named(k) {
                let w_names: Vec<&str> = w.iter().filter_map(entry_name).collect();
                let k_names: Vec<&str> = k.iter().filter_map(entry_name).collect();
                for ke in k {
                    let name = entry_name(ke).unwrap();
                    match w.iter().find(|we| entry_name(we) == Some(name)) {
                        Some(we) => compare(step, &format!("{path}/{name}"), we, ke, out),
                        None => {
                            differ(out, format!("{path}/{name}"), "(missing)".into(), short(ke))
                        }
                    }
                }
                for we in w {
                    let name = entry_name(we).unwrap();
                    if !k_names.contains(&name) {
                        differ(out, format!("{path}/{name}"), short(we), "(missing)".into());
                    }
                }
                let common = |names: &[&str], other: &[&str]| -> Vec<String> {
                    names
                        .iter()
                        .filter(|n| other.contains(n))
                        .map(|n| (*n).to_owned())
                        .collect()
                };
                let (wo, ko) = (common(&w_names, &k_names), common(&k_names, &w_names));
                if wo != ko {
                    differ(out, format!("{path}/(order)"), wo.join(","), ko.join(","));
                }
            } else if w.len() != k.len() {
                differ(out, format!("{path}/(length)"), short(wharf), short(kc));
            } else {
                for (i, (we, ke)) in w.iter().zip(k).enumerate() {
                    compare(step, &format!("{path}/{i}"), we, ke, out);
                }
            }
        }
        (w, k) if kind(w) != kind(k) => {
            differ(
                out,
                path.to_owned(),
                format!("{} ({})", short(w), kind(w)),
                format!("{} ({})", short(k), kind(k)),
            );
        }
        (w, k) => {
            if w != k {
                differ(out, path.to_owned(), short(w), short(k));
            }
        }
    }
}

/// Both workers and the differences found so far.
struct Comparison {
    wharf: Side,
    kc: Side,
    differences: Vec<Difference>,
    steps: usize,
}

impl Comparison {
    /// Sends the call to both, compares the answers and returns them (wharf's, Kafka Connect's).
    fn step(&mut self, method: &str, path: &str, body: Option<Value>) -> (Answer, Answer) {
        self.step_with(method, path, body, |v| v)
    }

    /// Like `step`, with both bodies passed through `normalise` before they are compared.
    fn step_with(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
        normalise: impl Fn(Value) -> Value,
    ) -> (Answer, Answer) {
        self.steps += 1;
        let label = format!(
            "{method} {path}{}",
            body.as_ref()
                .map_or(String::new(), |b| format!(" {}", short(b)))
        );
        let w = self.wharf.call(method, path, body.as_ref());
        let k = self.kc.call(method, path, body.as_ref());
        if w.status != k.status {
            self.differences.push(Difference {
                step: label.clone(),
                path: "/(status)".into(),
                wharf: w.status.to_string(),
                kafka_connect: k.status.to_string(),
            });
        }
        compare(
            &label,
            "",
            &normalise(w.body.clone()),
            &normalise(k.body.clone()),
            &mut self.differences,
        );
        (w, k)
    }

    /// Waits until both report the connector and its `tasks` tasks in `state`; a side that
    /// does not within 20 s is a difference.
    fn wait_for(&mut self, state: &str, tasks: usize) {
        for (side, is_wharf) in [(&self.wharf, true), (&self.kc, false)] {
            if let Err(last) = side.wait_for(state, tasks) {
                let text = format!("{} {}", last.status, short(&last.body));
                let expected = format!("{state} with {tasks} task(s)");
                let (wharf, kafka_connect) = if is_wharf {
                    (text, expected)
                } else {
                    (expected, text)
                };
                self.differences.push(Difference {
                    step: format!("waiting for {state} after step {}", self.steps),
                    path: "/(state)".into(),
                    wharf,
                    kafka_connect,
                });
            }
        }
    }
}

impl Comparison {
    /// Waits until both list an active topic; a side that does not within 20 s is a difference.
    fn wait_for_topics(&mut self) {
        for side in [&self.wharf, &self.kc] {
            let start = Instant::now();
            let last = loop {
                let a = side.call("GET", "/connectors/{c}/topics", None);
                if a.body["{c}"]["topics"]
                    .as_array()
                    .is_some_and(|t| !t.is_empty())
                {
                    break None;
                }
                if start.elapsed() > Duration::from_secs(20) {
                    break Some(a);
                }
                std::thread::sleep(Duration::from_millis(100));
            };
            if let Some(last) = last {
                self.differences.push(Difference {
                    step: format!("waiting for active topics after step {}", self.steps),
                    path: "/(topics)".into(),
                    wharf: format!("{}: {} {}", side.label, last.status, short(&last.body)),
                    kafka_connect: "an active topic".into(),
                });
            }
        }
    }
}

/// Keeps the FileStream connectors of a plugin list: wharf ships others (datagen).
fn file_stream_plugins(v: Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(
            a.into_iter()
                .filter(|p| {
                    p["class"]
                        .as_str()
                        .is_some_and(|c| c.starts_with("org.apache.kafka.connect.file."))
                })
                .collect(),
        ),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// The sequence.

#[test]
fn rest_answers_match_kafka_connect() {
    let started = Instant::now();
    let dir = temp_dir("rest-compat");
    let topic = unique("rest-compat");
    produce_all(&topic, &[(None, Some(b"one")), (None, Some(b"two"))]);

    let (kc_port, wharf_port) = (free_port(), free_port());
    let _kc_process = start_kafka_connect(&dir, kc_port);
    let _wharf_process = start_wharf(&dir, wharf_port);
    let kc = Side::new(
        "Kafka Connect",
        kc_port,
        &unique("rc-kc"),
        &dir.join("kc.out"),
    );
    let wharf = Side::new(
        "wharf",
        wharf_port,
        &unique("rc-wharf"),
        &dir.join("wharf.out"),
    );
    wait_ready(&kc, &dir.join("kafka-connect.log"));
    wait_ready(&wharf, &dir.join("wharf.log"));
    let mut c = Comparison {
        wharf,
        kc,
        differences: Vec::new(),
        steps: 0,
    };

    let sink = "org.apache.kafka.connect.file.FileStreamSinkConnector";
    let sink_config = json!({
        "name": "{c}", "connector.class": sink, "tasks.max": "1", "topics": topic, "file": "{file}",
    });

    // Worker and plugins.
    c.step("GET", "/", None);
    c.step_with("GET", "/connector-plugins", None, file_stream_plugins);
    c.step_with("GET", "/connector-plugins/", None, file_stream_plugins);
    for plugin in ["FileStreamSink", "FileStreamSource", sink] {
        c.step("GET", &format!("/connector-plugins/{plugin}/config"), None);
    }
    c.step("GET", "/connector-plugins/NoSuchPlugin/config", None);

    // Validation: good, both topic keys, no topics, a transform, bad framework values.
    let validate = "/connector-plugins/FileStreamSink/config/validate";
    c.step("PUT", validate, Some(sink_config.clone()));
    let mut both = sink_config.clone();
    both["topics.regex"] = json!("rest-.*");
    c.step("PUT", validate, Some(both));
    let mut none = sink_config.clone();
    none.as_object_mut().unwrap().remove("topics");
    c.step("PUT", validate, Some(none));
    let mut other_class = sink_config.clone();
    other_class["connector.class"] = json!("FileStreamSource");
    c.step("PUT", validate, Some(other_class));
    let mut no_class = sink_config.clone();
    no_class.as_object_mut().unwrap().remove("connector.class");
    c.step("PUT", validate, Some(no_class));
    c.step(
        "PUT",
        "/connector-plugins/NoSuchPlugin/config/validate",
        Some(json!({"connector.class": "NoSuchPlugin", "topics": topic})),
    );
    let mut transformed = sink_config.clone();
    transformed["transforms"] = json!("ins,ins");
    transformed["predicates"] = json!("isFoo");
    transformed["predicates.isFoo.type"] =
        json!("org.apache.kafka.connect.transforms.predicates.TopicNameMatches");
    transformed["predicates.isFoo.pattern"] = json!("foo.*");
    transformed["transforms.ins.predicate"] = json!("isFoo");
    transformed["transforms.ins.negate"] = json!("maybe");
    transformed["transforms.ins.type"] =
        json!("org.apache.kafka.connect.transforms.InsertField$Value");
    transformed["transforms.ins.static.field"] = json!("f");
    transformed["transforms.ins.static.value"] = json!("v");
    c.step("PUT", validate, Some(transformed));
    let mut bad = sink_config.clone();
    bad["tasks.max"] = json!("0");
    bad["errors.tolerance"] = json!("sometimes");
    c.step("PUT", validate, Some(bad));
    c.step(
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        Some(json!({"connector.class": "FileStreamSource", "name": "{c}", "file": "{file}"})),
    );

    // Create and read.
    let create = json!({"name": "{c}", "config": sink_config});
    c.step("POST", "/connectors", Some(sink_config.clone()));
    c.step("POST", "/connectors", Some(create.clone()));
    c.wait_for("RUNNING", 1);
    c.step("POST", "/connectors", Some(create));
    for path in [
        "/connectors",
        "/connectors/",
        "/connectors?expand=status",
        "/connectors?expand=info",
        "/connectors?expand=status&expand=info",
        "/connectors/{c}",
        "/connectors/{c}/",
        "/connectors/{c}/config",
        "/connectors/{c}/status",
        "/connectors/{c}/status/",
        "/connectors/{c}/tasks",
        "/connectors/{c}/tasks/0/status",
        "/connectors/{c}/tasks/7/status",
        "/connectors/missing",
        "/connectors/missing/status",
    ] {
        c.step("GET", path, None);
    }

    // Topics: both sinks read the two records, then the reset empties the set.
    c.wait_for_topics();
    c.step("GET", "/connectors/{c}/topics", None);
    c.step("PUT", "/connectors/{c}/topics/reset", None);
    c.step("GET", "/connectors/{c}/topics", None);

    // Pause, resume, restarts.
    c.step("PUT", "/connectors/{c}/pause", None);
    c.wait_for("PAUSED", 1);
    c.step("GET", "/connectors/{c}/status", None);
    c.step("PUT", "/connectors/{c}/resume", None);
    c.wait_for("RUNNING", 1);
    for query in [
        "",
        "?includeTasks=false&onlyFailed=false",
        "?includeTasks=true",
        "?includeTasks=true&onlyFailed=true",
        "?onlyFailed=true",
        "?includeTasks=True&onlyFailed=False",
        "?includeTasks=False&onlyFailed=True",
    ] {
        c.step("POST", &format!("/connectors/{{c}}/restart{query}"), None);
        c.wait_for("RUNNING", 1);
    }
    c.step("POST", "/connectors/{c}/tasks/0/restart", None);
    c.wait_for("RUNNING", 1);

    // Stop: no tasks until resumed.
    c.step("PUT", "/connectors/{c}/stop", None);
    c.wait_for("STOPPED", 0);
    c.step("GET", "/connectors/{c}/status", None);
    c.step("GET", "/connectors/{c}/tasks", None);
    c.step("PUT", "/connectors/{c}/resume", None);
    c.wait_for("RUNNING", 1);

    // Paths and methods no resource serves.
    c.step("GET", "/nope", None);
    c.step("DELETE", "/connector-plugins", None);
    c.step("POST", "/connectors/{c}/status", None);
    c.step("GET", "/connectors/{c}/pause", None);

    // Loggers.
    // Each engine lists its own loggers (Java classes, Rust modules); the root logger both have.
    c.step_with(
        "GET",
        "/admin/loggers",
        None,
        |v| json!({"root": v["root"]}),
    );
    c.step("GET", "/admin/loggers/root", None);
    c.step(
        "PUT",
        "/admin/loggers/org.apache.kafka",
        Some(json!({"level": "NOPE"})),
    );
    c.step("PUT", "/admin/loggers/org.apache.kafka", Some(json!({})));

    // Kafka Connect records a FAILED task 7 when asked to restart it: last before delete.
    c.step("POST", "/connectors/{c}/tasks/7/restart", None);

    // Delete.
    c.step("DELETE", "/connectors/{c}", None);
    c.step("GET", "/connectors/{c}", None);
    c.step("DELETE", "/connectors/{c}", None);
    c.step("GET", "/connectors", None);

    let (allowed, unexpected): (Vec<&Difference>, Vec<&Difference>) =
        c.differences.iter().partition(|d| d.allowed().is_some());
    let mut report = format!(
        "{} calls compared in {:.1?}: {} differences, {} of them allowed\n",
        c.steps,
        started.elapsed(),
        c.differences.len(),
        allowed.len()
    );
    for d in &unexpected {
        writeln!(
            report,
            "DIFFERENT  {}  at {}\n    wharf:         {}\n    Kafka Connect: {}",
            d.step, d.path, d.wharf, d.kafka_connect
        )
        .unwrap();
    }
    for d in &allowed {
        writeln!(
            report,
            "allowed    {}  at {} ({})\n    wharf:         {}\n    Kafka Connect: {}",
            d.step,
            d.path,
            d.allowed().unwrap(),
            d.wharf,
            d.kafka_connect
        )
        .unwrap();
    }
    println!("{report}");
    assert!(
        unexpected.is_empty(),
        "wharf answers differently:\n{report}"
    );
    let _ = fs::remove_dir_all(&dir);
}
