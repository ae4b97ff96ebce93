//! Config providers and secrets, with a `wharf standalone` process on the real broker: a
//! connector whose transforms take their values from `${file:...}` and `${env:...}` runs with
//! what they resolve to (read back from Kafka), while the REST API (config, tasks, status,
//! validate) and the worker's debug log never contain either secret; a password key reads
//! `[hidden]` in an error message that quotes the config; a placeholder whose file is missing is
//! refused naming the key; a resolved value an error quotes reads `[hidden]` in the status trace,
//! the log and the DLQ's context headers.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use integration_tests::distributed::{Api, free_port, wait_for};
use integration_tests::{
    ChildGuard, bootstrap, consume_n, produce_all, temp_dir, unique, wharf_bin,
};
use serde_json::{Value, json};

const RECORDS: usize = 20;

fn write_files(dir: &Path, port: u16, topic: &str, connector: &str) {
    std::fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=500\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable=false\n\
             config.providers=file,env\n\
             config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n\
             config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider\n",
            bootstrap(),
            dir.join("offsets").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("datagen.properties"),
        format!(
            "name={connector}\nconnector.class=DatagenConnector\nkafka.topic={topic}\n\
             quickstart=orders\niterations={RECORDS}\nmax.interval=0\n\
             transforms=fromFile,fromEnv\n\
             transforms.fromFile.type=org.apache.kafka.connect.transforms.InsertField$Value\n\
             transforms.fromFile.static.field=from_file\n\
             transforms.fromFile.static.value=${{file:{}:token}}\n\
             transforms.fromEnv.type=org.apache.kafka.connect.transforms.InsertField$Value\n\
             transforms.fromEnv.static.field=from_env\n\
             transforms.fromEnv.static.value=${{env:WHARF_TEST_SECRET}}\n",
            dir.join("secrets.properties").display()
        ),
    )
    .unwrap();
}

#[test]
fn placeholders_resolve_for_the_task_and_secrets_never_show() {
    let dir = temp_dir("providers");
    let port = free_port();
    let topic = unique("providers");
    let connector = unique("secretive");
    let file_secret = unique("file-secret");
    let env_secret = unique("env-secret");
    let password = unique("hunter2");
    std::fs::write(
        dir.join("secrets.properties"),
        format!("token={file_secret}\n"),
    )
    .unwrap();
    write_files(&dir, port, &topic, &connector);
    let log_path = dir.join("worker.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut worker = ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .arg(dir.join("datagen.properties"))
            .env("WHARF_TEST_SECRET", &env_secret)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("wharf starts"),
    );

    // The task ran with the resolved values.
    let records = consume_n(&topic, RECORDS, Duration::from_secs(60));
    for (_, value, _) in &records {
        let value: Value = serde_json::from_slice(value.as_deref().unwrap()).unwrap();
        assert_eq!(value["from_file"], file_secret.as_str(), "{value}");
        assert_eq!(value["from_env"], env_secret.as_str(), "{value}");
    }

    let api = Api::new(port);
    let config = wait_for("the REST API", Duration::from_secs(30), || {
        match api.get(&format!("/connectors/{connector}/config")) {
            (200, body) => Ok(body),
            (code, body) => Err(format!("{code} {body}")),
        }
    });
    assert!(
        config["transforms.fromFile.static.value"]
            .as_str()
            .is_some_and(|v| v.starts_with("${file:")),
        "{config}"
    );
    let mut shown = vec![config.to_string()];
    for path in ["", "/status", "/tasks"] {
        let (code, body) = api.get(&format!("/connectors/{connector}{path}"));
        assert_eq!(code, 200, "{path}: {body}");
        shown.push(body.to_string());
    }
    // Validate: the placeholders as given.
    let (code, validated) = api.call(
        "PUT",
        "/connector-plugins/DatagenConnector/config/validate",
        Some(config.clone()),
    );
    assert_eq!(code, 200, "{validated}");
    assert_eq!(validated["error_count"], 0, "{validated}");
    shown.push(validated.to_string());
    // An error message quoting a config hides its password keys.
    let nameless = unique("classless");
    let (code, refused) = api.call(
        "POST",
        "/connectors",
        Some(json!({"name": nameless, "config": {"name": nameless, "db.password": password}})),
    );
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("db.password=[hidden]")),
        "{refused}"
    );
    shown.push(refused.to_string());

    // A placeholder whose file is missing is refused, naming the key.
    let mut broken = config.clone();
    broken["name"] = json!(unique("broken"));
    broken["transforms.fromFile.static.value"] =
        json!("${file:/nonexistent/wharf-secrets.properties:token}");
    let (code, refused) = api.call(
        "POST",
        "/connectors",
        Some(json!({"name": broken["name"], "config": broken})),
    );
    assert_eq!(code, 400, "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("transforms.fromFile.static.value")
            && message.contains("/nonexistent/wharf-secrets.properties"),
        "{refused}"
    );

    let pid = worker.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = worker.0.wait();
    let log_text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log_text.contains("DEBUG") || log_text.contains("debug"),
        "the log is at debug level"
    );
    for secret in [&file_secret, &env_secret, &password] {
        for (i, text) in shown.iter().enumerate() {
            assert!(
                !text.contains(secret.as_str()),
                "answer {i} shows a secret: {text}"
            );
        }
        assert!(
            !log_text.contains(secret.as_str()),
            "the worker's log shows a secret ({} bytes of log)",
            log_text.len()
        );
    }
    println!(
        "{} records carried both resolved secrets; {} REST answers and {} bytes of debug log \
         held neither",
        records.len(),
        shown.len(),
        log_text.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sink whose transform takes a field name from `${file:...}`: records without that field fail
/// with "Unknown field: <name>". The message reaches the DLQ's context headers, the worker's
/// error log and — for a sink that does not tolerate errors — the task's status trace, each with
/// the resolved value shown as `[hidden]`.
#[test]
fn a_secret_quoted_by_an_error_stays_out_of_traces_logs_and_dlq_headers() {
    let dir = temp_dir("providers-errors");
    let port = free_port();
    let topic = unique("providers-errors");
    let dlq = unique("providers-dlq");
    let field = unique("secret-field");
    integration_tests::distributed::create_topic(&topic, 1, Vec::new());
    std::fs::write(dir.join("secrets.properties"), format!("field={field}\n")).unwrap();
    write_files(&dir, port, &topic, "unused");
    let sink = |name: &str, extra: &str| {
        let path = dir.join(format!("{name}.properties"));
        std::fs::write(
            &path,
            format!(
                "name={name}\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\n\
                 value.converter=org.apache.kafka.connect.json.JsonConverter\n\
                 value.converter.schemas.enable=true\n\
                 transforms=pick\n\
                 transforms.pick.type=org.apache.kafka.connect.transforms.ExtractField$Value\n\
                 transforms.pick.field=${{file:{}:field}}\n{extra}",
                dir.join(format!("{name}.txt")).display(),
                dir.join("secrets.properties").display()
            ),
        )
        .unwrap();
        path
    };
    let tolerant = sink(
        "tolerant",
        &format!(
            "errors.tolerance=all\nerrors.log.enable=true\nerrors.log.include.messages=true\n\
             errors.deadletterqueue.topic.name={dlq}\n\
             errors.deadletterqueue.topic.replication.factor=1\n\
             errors.deadletterqueue.context.headers.enable=true\n"
        ),
    );
    let strict = sink("strict", "");
    let value: &[u8] = br#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"}]},"payload":{"a":1}}"#;
    produce_all(&topic, &[(None, Some(value)); 3]);

    let log_path = dir.join("worker.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut worker = ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .arg(&tolerant)
            .arg(&strict)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("wharf starts"),
    );

    let dead = consume_n(&dlq, 3, Duration::from_secs(60));
    for (_, _, headers) in &dead {
        let message = headers
            .iter()
            .find(|(k, _)| k == "__connect.errors.exception.message")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        assert!(message.contains("Unknown field: [hidden]"), "{headers:?}");
        for (key, value) in headers {
            assert!(
                !value.contains(&field),
                "header {key} shows the secret: {value}"
            );
        }
    }

    let api = Api::new(port);
    let trace = wait_for(
        "the strict sink's task to fail",
        Duration::from_secs(60),
        || match api.get("/connectors/strict/status") {
            (200, body) if body["tasks"][0]["state"] == "FAILED" => Ok(body["tasks"][0]["trace"]
                .as_str()
                .unwrap_or_default()
                .to_owned()),
            (code, body) => Err(format!("{code} {body}")),
        },
    );
    assert!(trace.contains("Unknown field: [hidden]"), "{trace}");
    assert!(
        !trace.contains(&field),
        "the status trace shows the secret: {trace}"
    );

    let pid = worker.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = worker.0.wait();
    let log_text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log_text.contains("Unknown field: [hidden]"),
        "the log names the failure"
    );
    assert!(
        !log_text.contains(&field),
        "the worker's log shows the secret: {}",
        log_text
            .lines()
            .filter(|l| l.contains(&field))
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!(
        "{} DLQ records, the status trace and {} bytes of debug log name the failure and hide \
         the secret",
        dead.len(),
        log_text.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
