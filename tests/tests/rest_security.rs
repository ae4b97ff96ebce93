//! The REST API over HTTPS with HTTP basic authentication, driven with curl as a user would:
//!
//! - A standalone worker on `listeners=https://...` (a PEM keystore signed by the stack's CA) with
//!   Kafka Connect's `BasicAuthSecurityRestExtension` and a users file holding a hash made by
//!   `wharf hash-password`: no credentials → 401 with Kafka Connect's JSON error body, wrong
//!   password → 401, right → 200; a body above `wharf.rest.request.max.bytes` → 413 with a JSON
//!   body naming the key; plain HTTP to the TLS port gets no answer.
//! - Two distributed workers likewise: a connector created through the follower (forwarded to
//!   the leader over HTTPS with the caller's credentials) runs, so the follower's task configs —
//!   an internal request, signed, not authenticated — reached the leader too.
//! - `admin.listeners`: the admin endpoints on their own HTTPS listener (404 on the API's), not
//!   served when it is empty, on the API's listener when it is not set.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use integration_tests::distributed::{self, Worker, free_port, wait_for};
use integration_tests::{ChildGuard, bootstrap, temp_dir, unique, wharf_bin};
use serde_json::{Value, json};

const USER: &str = "ada";
const PASSWORD: &str = "lovelace-1815";

/// The stack's CA (`KAFKA_CA_FILE`), and a PEM keystore for 127.0.0.1 signed by it.
fn tls_files(dir: &Path) -> (String, PathBuf) {
    let ca = std::env::var("KAFKA_CA_FILE").unwrap_or_else(|_| {
        panic!("KAFKA_CA_FILE is not set: run the tests through scripts/test, or eval \"$(scripts/stack env)\"")
    });
    let tls = Path::new(&ca).parent().expect("the CA's folder");
    let mut pem = std::fs::read(tls.join("broker.pem")).expect("the stack's certificate");
    pem.extend(std::fs::read(tls.join("broker.key")).expect("the stack's key"));
    let keystore = dir.join("rest.pem");
    std::fs::write(&keystore, pem).unwrap();
    (ca, keystore)
}

/// A users file with `USER`'s password hashed by `wharf hash-password`.
fn users_file(dir: &Path) -> PathBuf {
    let mut child = Command::new(wharf_bin())
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("wharf hash-password");
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap();
    assert!(
        hash.starts_with("PBKDF2-SHA256:") && !hash.contains(PASSWORD),
        "{hash}"
    );
    let path = dir.join("users.properties");
    std::fs::write(&path, format!("{USER}: {}", hash.trim())).unwrap();
    path
}

fn security_keys(keystore: &Path, ca: &str, users: &Path) -> Vec<(String, String)> {
    vec![
        ("listeners.https.ssl.keystore.type".into(), "PEM".into()),
        (
            "listeners.https.ssl.keystore.location".into(),
            keystore.display().to_string(),
        ),
        ("listeners.https.ssl.truststore.type".into(), "PEM".into()),
        (
            "listeners.https.ssl.truststore.location".into(),
            ca.to_owned(),
        ),
        (
            "rest.extension.classes".into(),
            "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
                .into(),
        ),
        (
            "wharf.rest.basic.auth.users.file".into(),
            users.display().to_string(),
        ),
    ]
}

/// `curl` against the API: the status (0 when nothing answered) and the body.
fn curl(
    ca: &str,
    method: &str,
    url: &str,
    login: Option<(&str, &str)>,
    body: Option<&Value>,
) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "--max-time",
        "20",
        "--cacert",
        ca,
        "-X",
        method,
        "-w",
        "\n%{http_code}",
    ]);
    if let Some((user, password)) = login {
        cmd.args(["-u", &format!("{user}:{password}")]);
    }
    if let Some(body) = body {
        cmd.args([
            "-H",
            "Content-Type: application/json",
            "-d",
            &body.to_string(),
        ]);
    }
    let out = cmd.arg(url).output().expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

#[test]
fn https_with_basic_auth_answers_only_the_right_password() {
    let dir = temp_dir("rest-https");
    let (ca, keystore) = tls_files(&dir);
    let users = users_file(&dir);
    let port = free_port();
    let mut props = format!(
        "bootstrap.servers={}\nlisteners=https://127.0.0.1:{port}\noffset.storage.file.filename={}\n",
        bootstrap(),
        dir.join("offsets").display()
    );
    for (k, v) in security_keys(&keystore, &ca, &users) {
        props.push_str(&format!("{k}={v}\n"));
    }
    props.push_str("wharf.rest.request.max.bytes=16384\n");
    std::fs::write(dir.join("worker.properties"), props).unwrap();
    let mut worker = ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wharf starts"),
    );
    let url = format!("https://127.0.0.1:{port}/connectors");
    let (code, body) = wait_for(
        "the HTTPS listener",
        Duration::from_secs(30),
        || match curl(&ca, "GET", &url, None, None) {
            (0, _) => Err("no answer yet".to_owned()),
            answer => Ok(answer),
        },
    );
    assert_eq!(code, 401, "no credentials: {body}");
    let error: Value = serde_json::from_str(&body).expect("a JSON error body");
    assert_eq!(error["error_code"], 401, "{body}");
    assert!(error["message"].is_string(), "{body}");
    let (code, _) = curl(&ca, "GET", &url, Some((USER, "wrong")), None);
    assert_eq!(code, 401, "a wrong password");
    let (code, _) = curl(&ca, "GET", &url, Some(("nobody", PASSWORD)), None);
    assert_eq!(code, 401, "an unknown user");
    let (code, body) = curl(&ca, "GET", &url, Some((USER, PASSWORD)), None);
    assert_eq!((code, body.as_str()), (200, "[]"), "the right password");
    // A body above wharf.rest.request.max.bytes: 413 with a JSON body naming the key.
    let big = json!({"name": "big", "config": {"connector.class": "FileStreamSink", "topics": "t",
                     "padding": "x".repeat(40_000)}});
    let (code, body) = curl(&ca, "POST", &url, Some((USER, PASSWORD)), Some(&big));
    assert_eq!(code, 413, "{body}");
    let error: Value = serde_json::from_str(&body).expect("a JSON error body");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("wharf.rest.request.max.bytes")),
        "{body}"
    );
    let (code, _) = curl(
        &ca,
        "GET",
        &format!("http://127.0.0.1:{port}/connectors"),
        Some((USER, PASSWORD)),
        None,
    );
    assert_ne!(code, 200, "plain HTTP to the TLS port");
    println!(
        "HTTPS + basic auth: none 401, wrong 401, unknown 401, right 200, 40 KB body 413, plain HTTP {code}"
    );
    let pid = worker.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = worker.0.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_secured_distributed_pair_forwards_with_credentials_and_keeps_internal_requests_working() {
    let dir = temp_dir("rest-https-dist");
    let (ca, keystore) = tls_files(&dir);
    let users = users_file(&dir);
    let group = unique("https-group");
    let topics = [
        unique("https-configs"),
        unique("https-offsets"),
        unique("https-status"),
    ];
    let mut overrides = security_keys(&keystore, &ca, &users);
    overrides.push(("heartbeat.interval.ms".into(), "500".into()));
    overrides.push(("wharf.shards".into(), "1".into()));
    let borrowed: Vec<(&str, &str)> = overrides
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let workers: Vec<Worker> = ["a", "b"]
        .into_iter()
        .map(|n| Worker::start(n, &dir, &group, &topics, &borrowed))
        .collect();
    let base = |w: &Worker| format!("https://127.0.0.1:{}", w.port);
    for w in &workers {
        wait_for(
            &format!("worker {} answering", w.name),
            Duration::from_secs(60),
            || match curl(
                &ca,
                "GET",
                &format!("{}/connectors", base(w)),
                Some((USER, PASSWORD)),
                None,
            ) {
                (200, _) => Ok(()),
                (code, body) => Err(format!("{code} {body}\n{}", w.log())),
            },
        );
    }
    // Two connectors: the assignor spreads them over both workers, so one runs on the follower,
    // which sends its task configs to the leader (an internal request: signed, no credentials).
    let mut topics_written = Vec::new();
    for i in 0..2 {
        let topic = unique("https-lines");
        distributed::create_topic(&topic, 1, vec![]);
        let input = dir.join(format!("in-{i}.txt"));
        std::fs::write(&input, "one\ntwo\nthree\n").unwrap();
        let name = unique("https-source");
        let config = json!({"connector.class": "FileStreamSource", "topic": topic,
                            "file": input.to_str().unwrap(), "tasks.max": "1"});
        for w in &workers {
            let (code, body) = curl(
                &ca,
                "PUT",
                &format!("{}/connectors/{name}/config", base(w)),
                None,
                Some(&config),
            );
            assert_eq!(code, 401, "a write without credentials: {body}");
        }
        // Through the second worker: when it is the follower, it forwards to the leader with
        // the caller's credentials.
        wait_for(
            "the connector created",
            Duration::from_secs(60),
            || match curl(
                &ca,
                "PUT",
                &format!("{}/connectors/{name}/config", base(&workers[1])),
                Some((USER, PASSWORD)),
                Some(&config),
            ) {
                (200 | 201, _) => Ok(()),
                (code, body) => Err(format!(
                    "{code} {body}\n{}\n{}",
                    workers[0].log(),
                    workers[1].log()
                )),
            },
        );
        wait_for(
            "the connector's task running",
            Duration::from_secs(60),
            || {
                let (code, body) = curl(
                    &ca,
                    "GET",
                    &format!("{}/connectors/{name}/status", base(&workers[0])),
                    Some((USER, PASSWORD)),
                    None,
                );
                let status: Value = serde_json::from_str(&body).unwrap_or_default();
                if code == 200 && status["tasks"][0]["state"] == "RUNNING" {
                    Ok(())
                } else {
                    Err(format!("{code} {body}"))
                }
            },
        );
        topics_written.push(topic);
    }
    for topic in &topics_written {
        assert_eq!(
            integration_tests::consume_n(topic, 3, Duration::from_secs(30)).len(),
            3
        );
    }
    let logs: String = workers
        .iter()
        .map(|w| {
            std::fs::read_to_string(dir.join(format!("worker-{}.log", w.name))).unwrap_or_default()
        })
        .collect();
    assert!(
        logs.contains("Sent task configs to the leader."),
        "no follower sent task configs to the leader over HTTPS"
    );
    println!(
        "a secured pair: writes refused without credentials, forwarded with them; a follower sent task configs to the leader; both connectors ran"
    );
    for mut w in workers {
        w.sigterm();
        w.wait_clean_exit(Duration::from_secs(60));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts a standalone worker with `extra` worker keys on `listeners=http://127.0.0.1:<port>`.
fn plain_worker(dir: &Path, port: u16, extra: &str) -> ChildGuard {
    std::fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\n\
             offset.storage.file.filename={}\n{extra}",
            bootstrap(),
            dir.join("offsets").display()
        ),
    )
    .unwrap();
    ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wharf starts"),
    )
}

fn stop(mut worker: ChildGuard) {
    let pid = worker.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = worker.0.wait().unwrap();
    assert!(status.success(), "clean exit: {status}");
}

/// `admin.listeners` as Kafka Connect has it: set, the admin endpoints move there (HTTPS with
/// `admin.listeners.https.ssl.*`, behind the same basic authentication) and the API's listener
/// answers 404 for them; set empty, nobody serves them; not set, the API's listener does.
#[test]
fn admin_listeners_keep_the_admin_endpoints_apart() {
    let dir = temp_dir("rest-admin");
    let (ca, keystore) = tls_files(&dir);
    let users = users_file(&dir);
    let (port, admin_port) = (free_port(), free_port());
    let login = Some((USER, PASSWORD));
    let extra = format!(
        "admin.listeners=https://127.0.0.1:{admin_port}\n\
         admin.listeners.https.ssl.keystore.type=PEM\n\
         admin.listeners.https.ssl.keystore.location={}\n\
         rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension\n\
         wharf.rest.basic.auth.users.file={}\n",
        keystore.display(),
        users.display()
    );
    let worker = plain_worker(&dir, port, &extra);
    let api = format!("http://127.0.0.1:{port}");
    let admin = format!("https://127.0.0.1:{admin_port}");
    wait_for(
        "the admin listener",
        Duration::from_secs(30),
        || match curl(&ca, "GET", &format!("{admin}/admin/loggers"), login, None) {
            (200, body) => Ok(body),
            (code, body) => Err(format!("{code} {body}")),
        },
    );
    let (code, body) = curl(&ca, "GET", &format!("{api}/admin/loggers"), login, None);
    assert_eq!(
        code, 404,
        "the API's listener no longer serves them: {body}"
    );
    let (code, _) = curl(&ca, "GET", &format!("{api}/connectors"), login, None);
    assert_eq!(code, 200, "the API's listener serves the API");
    let (code, _) = curl(&ca, "GET", &format!("{admin}/connectors"), login, None);
    assert_eq!(
        code, 404,
        "the admin listener serves the admin endpoints only"
    );
    let (code, _) = curl(&ca, "GET", &format!("{admin}/admin/loggers"), None, None);
    assert_eq!(code, 401, "the admin listener asks for credentials");
    let level = json!({"level": "DEBUG"});
    let (code, body) = curl(
        &ca,
        "PUT",
        &format!("{admin}/admin/loggers/engine"),
        login,
        Some(&level),
    );
    assert_eq!(code, 200, "a level set through the admin listener: {body}");
    stop(worker);

    let port = free_port();
    let worker = plain_worker(&dir, port, "admin.listeners=\n");
    let api = format!("http://127.0.0.1:{port}");
    wait_for("the API", Duration::from_secs(30), || {
        match curl(&ca, "GET", &format!("{api}/connectors"), None, None) {
            (200, body) => Ok(body),
            (code, body) => Err(format!("{code} {body}")),
        }
    });
    let (code, _) = curl(&ca, "GET", &format!("{api}/admin/loggers"), None, None);
    assert_eq!(code, 404, "admin.listeners set empty: not served");
    stop(worker);

    let port = free_port();
    let worker = plain_worker(&dir, port, "");
    let api = format!("http://127.0.0.1:{port}");
    wait_for("the API", Duration::from_secs(30), || {
        match curl(&ca, "GET", &format!("{api}/admin/loggers"), None, None) {
            (200, body) => Ok(body),
            (code, body) => Err(format!("{code} {body}")),
        }
    });
    stop(worker);
    println!(
        "admin.listeners: admin endpoints 200 (HTTPS, with credentials) / 401 without there, 404 on \
         the API's listener; empty: 404; not set: 200 on the API's listener"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
