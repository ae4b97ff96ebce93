//! Bad connector configs over REST: `POST /connectors`, `PUT /connectors/{c}/config` and
//! `PUT /connector-plugins/{p}/config/validate` refuse them alike, and every 400 names the key at
//! fault in Kafka Connect's `ConfigException` wording.

use engine::modes::standalone::Standalone;
use integration_tests::{bootstrap, props, temp_dir, unique};
use serde_json::{Map, Value, json};

struct Api {
    base: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    fn call(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.runtime.block_on(async {
            let response = self
                .http
                .request(method, &url)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        })
    }
}

/// A good file source or sink config with `change` applied (`None` removes the key).
fn config(sink: bool, change: &[(&str, Option<&str>)]) -> Map<String, Value> {
    let mut c = Map::new();
    if sink {
        c.insert("connector.class".into(), json!("FileStreamSink"));
        c.insert("topics".into(), json!(unique("validation")));
    } else {
        c.insert("connector.class".into(), json!("FileStreamSource"));
        c.insert("topic".into(), json!(unique("validation")));
    }
    c.insert("file".into(), json!("/dev/null"));
    for (key, value) in change {
        match value {
            Some(v) => c.insert((*key).to_owned(), json!(v)),
            None => c.remove(*key),
        };
    }
    c
}

const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";

/// A good config with `change` applied, and the one error it must get.
struct Case {
    sink: bool,
    change: &'static [(&'static str, Option<&'static str>)],
    key: &'static str,
    message: &'static str,
}

#[test]
fn every_bad_config_is_a_400_naming_its_key() {
    integration_tests::init_logs();
    let dir = temp_dir("validation");
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
    let server = runtime.spawn(engine::rest::serve(
        listener,
        worker.cluster(),
        engine::logging::LogLevels::detached(),
        async {
            let _ = stop_rx.await;
        },
    ));
    let api = Api {
        base,
        http: reqwest::Client::new(),
        runtime,
    };

    let cases = [
        Case {
            sink: false,
            change: &[("errors.tolerance", Some("bogus"))],
            key: "errors.tolerance",
            message: "Invalid value bogus for configuration errors.tolerance: String must be one of: none, all",
        },
        Case {
            sink: true,
            change: &[("errors.retry.timeout", Some("abc"))],
            key: "errors.retry.timeout",
            message: "Invalid value abc for configuration errors.retry.timeout: Not a number of type LONG",
        },
        Case {
            sink: false,
            change: &[
                ("value.converter", Some(JSON_CONVERTER)),
                ("value.converter.schemas.enable", Some("perhaps")),
            ],
            key: "value.converter.schemas.enable",
            message: "Invalid value perhaps for configuration value.converter.schemas.enable: Expected value to be either true or false",
        },
        Case {
            sink: false,
            change: &[("batch.size", Some("abc"))],
            key: "batch.size",
            message: "Invalid value abc for configuration batch.size: Not a number of type INT",
        },
        Case {
            sink: true,
            change: &[("connector.class", None)],
            key: "connector.class",
            message: "contains no connector type: Missing required configuration \"connector.class\" which has no default value.",
        },
        Case {
            sink: true,
            change: &[("value.converter", Some("com.example.NoSuchConverter"))],
            key: "value.converter",
            message: "Invalid value com.example.NoSuchConverter for configuration value.converter: Class com.example.NoSuchConverter could not be found.",
        },
        Case {
            sink: false,
            change: &[("wharf.task.restart.backoff.initial.ms", Some("-5"))],
            key: "wharf.task.restart.backoff.initial.ms",
            message: "Invalid value -5 for configuration wharf.task.restart.backoff.initial.ms: Value must be at least 0",
        },
        Case {
            sink: true,
            change: &[(
                "errors.deadletterqueue.context.headers.enable",
                Some("maybe"),
            )],
            key: "errors.deadletterqueue.context.headers.enable",
            message: "Invalid value maybe for configuration errors.deadletterqueue.context.headers.enable: Expected value to be either true or false",
        },
    ];
    for Case {
        sink,
        change,
        key,
        message,
    } in cases
    {
        let name = unique("bad");
        let body = config(sink, change);
        let (code, error) = api.call("POST", "/connectors", json!({"name": name, "config": body}));
        assert_eq!(code, 400, "{key}: {error}");
        let text = error["message"].as_str().unwrap();
        assert!(
            text.starts_with(
                "Connector configuration is invalid and contains the following 1 error(s):\n"
            ),
            "{key}: {text}"
        );
        assert!(text.contains(message), "{key}: {text}");
        assert!(text.contains(key), "{key}: {text}");

        let (code, error) = api.call("PUT", &format!("/connectors/{name}/config"), json!(body));
        assert_eq!(code, 400, "{key}: {error}");
        assert!(error["message"].as_str().unwrap().contains(message));

        // The validate endpoint reports the same error on the same key.
        let plugin = if sink {
            "FileStreamSink"
        } else {
            "FileStreamSource"
        };
        let mut body = body;
        body.insert("name".into(), json!(name));
        let (code, validation) = api.call(
            "PUT",
            &format!("/connector-plugins/{plugin}/config/validate"),
            Value::Object(body),
        );
        assert_eq!(code, 200, "{validation}");
        let errors: Vec<&str> = validation["configs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["value"]["name"] == key)
            .flat_map(|c| c["value"]["errors"].as_array().unwrap())
            .map(|e| e.as_str().unwrap())
            .collect();
        // The validate endpoint fills in `connector.class` from the path.
        if key != "connector.class" {
            assert!(
                errors.iter().any(|e| e.contains(message)),
                "{key}: {validation}"
            );
        }
    }

    // Nothing was created.
    let (code, names) = api.call("GET", "/connectors", Value::Null);
    assert_eq!(code, 200);
    assert_eq!(names, json!([]));

    let _ = stop_tx.send(());
    api.runtime.block_on(server).unwrap().unwrap();
    for (id, outcome) in worker.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
