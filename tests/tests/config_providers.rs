//! Config providers and secrets, with a `wharf standalone` process on the real broker: a
//! connector whose transforms take their values from `${file:...}` and `${env:...}` runs with
//! what they resolve to (read back from Kafka), while the REST API (config, tasks, status,
//! validate) and the worker's debug log never contain either secret; a password key reads
//! `[hidden]` in an error message that quotes the config; a placeholder whose file is missing is refused naming the
//! key.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use integration_tests::distributed::{Api, free_port, wait_for};
use integration_tests::{ChildGuard, bootstrap, consume_n, temp_dir, unique, wharf_bin};
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
