//! Pipelines to a secured broker, configured with Kafka Connect's keys as users write them
//! (`producer.` / `consumer.` prefixes, `sasl.jaas.config` with `ScramLoginModule`,
//! `ssl.truststore.type=PEM`, PEM keystores): over `SASL_SSL` with SCRAM-SHA-512 (the stack's
//! SASL_SSL listener, TLS with the stack's own CA) and over mutual TLS (the SSL listener that
//! requires a client certificate), each in standalone mode (a file source and sink) and in a
//! two-worker distributed cluster; every line arrives. Without a client certificate the mutual
//! TLS listener fails both tasks. With a wrong password the task fails with a
//! message naming the authentication failure — in seconds, not after a delivery timeout — and
//! the worker keeps serving REST; likewise with a truststore that lacks the broker's CA, and
//! with no security keys at all against the TLS listener (plaintext to a TLS port). Over
//! OAUTHBEARER (the stack's SASL_PLAINTEXT listener): with an unsecured token, and with tokens
//! fetched from a token endpoint (OIDC client credentials, the endpoint a small server in the
//! test) — and a client secret the endpoint refuses fails both tasks naming it. And a
//! distributed pair whose group membership, internal topics and tasks all go over SASL_SSL.

use std::process::{Command, Stdio};
use std::time::Duration;

use integration_tests::distributed::{Api, free_port, wait_for};
use integration_tests::{ChildGuard, consume_n, temp_dir, unique, wharf_bin};

/// The stack's SASL_SSL listener, CA and login (`eval "$(scripts/stack env)"`).
struct Secured {
    bootstrap: String,
    ca: String,
    user: String,
    password: String,
    /// The SSL listener that requires a client certificate, and a PEM keystore holding one.
    mtls_bootstrap: String,
    client_keystore: String,
}

fn secured() -> Secured {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests through scripts/test, or eval \"$(scripts/stack env)\"")
        })
    };
    Secured {
        bootstrap: var("KAFKA_SASL_SSL_BOOTSTRAP"),
        ca: var("KAFKA_CA_FILE"),
        user: var("KAFKA_SASL_USER"),
        password: var("KAFKA_SASL_PASSWORD"),
        mtls_bootstrap: var("KAFKA_SSL_BOOTSTRAP"),
        client_keystore: var("KAFKA_CLIENT_KEYSTORE"),
    }
}

/// Kafka Connect's client keys for SCRAM-SHA-512 over TLS, under `prefix`.
fn client_keys(prefix: &str, s: &Secured, password: &str, ca: &str) -> String {
    format!(
        "{prefix}security.protocol=SASL_SSL\n{prefix}sasl.mechanism=SCRAM-SHA-512\n\
         {prefix}sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{}\" password=\"{password}\";\n\
         {prefix}ssl.truststore.type=PEM\n{prefix}ssl.truststore.location={ca}\n",
        s.user
    )
}

/// Both tasks' clients' keys for SCRAM over TLS with `password` and the truststore `ca`.
fn scram_keys(s: &Secured, password: &str, ca: &str) -> String {
    client_keys("producer.", s, password, ca) + &client_keys("consumer.", s, password, ca)
}

fn worker(dir: &std::path::Path, port: u16, bootstrap: &str, clients: &str) -> ChildGuard {
    let props = format!(
        "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\n\
         offset.storage.file.filename={}\noffset.flush.interval.ms=500\n\
         key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\n{clients}",
        bootstrap,
        dir.join("offsets").display(),
    );
    std::fs::write(dir.join("worker.properties"), props).unwrap();
    ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .arg(dir.join("source.properties"))
            .arg(dir.join("sink.properties"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("worker.log")).unwrap(),
            ))
            .spawn()
            .expect("wharf starts"),
    )
}

/// The sink's file holds every line of `text` exactly once (in any order across partitions).
fn assert_each_line_once(out: &std::path::Path, text: &str) {
    let mut got: Vec<String> = std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    got.sort();
    let mut expected: Vec<String> = text.lines().map(str::to_owned).collect();
    expected.sort();
    assert_eq!(got, expected, "each line once");
}

fn connectors(dir: &std::path::Path, topic: &str) -> (String, String) {
    let (source, sink) = (unique("sasl-source"), unique("sasl-sink"));
    std::fs::write(
        dir.join("source.properties"),
        format!(
            "name={source}\nconnector.class=FileStreamSource\ntopic={topic}\nfile={}\n",
            dir.join("in.txt").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("sink.properties"),
        format!(
            "name={sink}\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\n",
            dir.join("out.txt").display()
        ),
    )
    .unwrap();
    (source, sink)
}

/// A file source and sink on one worker whose clients use `clients` (their keys) against
/// `bootstrap`: every line arrives, once.
fn pipeline(what: &str, bootstrap: &str, clients: &str) {
    const LINES: usize = 2_000;
    let dir = temp_dir(what);
    let topic = unique(what);
    integration_tests::distributed::create_topic(&topic, 2, vec![]);
    let text: String = (0..LINES).map(|i| format!("secured line {i}\n")).collect();
    std::fs::write(dir.join("in.txt"), &text).unwrap();
    connectors(&dir, &topic);
    let port = free_port();
    let mut process = worker(&dir, port, bootstrap, clients);
    wait_for(
        "every line in the sink's file",
        Duration::from_secs(90),
        || {
            let out = std::fs::read_to_string(dir.join("out.txt")).unwrap_or_default();
            let n = out.lines().count();
            if n >= LINES {
                Ok(())
            } else {
                let log = std::fs::read_to_string(dir.join("worker.log")).unwrap_or_default();
                Err(format!(
                    "{n} lines; log tail: {}",
                    &log[log.len().saturating_sub(2000)..]
                ))
            }
        },
    );
    assert_each_line_once(&dir.join("out.txt"), &text);
    println!("{what}: {LINES} lines file -> Kafka -> file");
    let pid = process.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = process.0.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_pipeline_runs_over_sasl_ssl_with_scram() {
    let s = secured();
    pipeline(
        "sasl-pipeline",
        &s.bootstrap,
        &scram_keys(&s, &s.password, &s.ca),
    );
}

/// Kafka Connect's keys for TLS with a client certificate (PEM keystore), under `prefix`.
fn mtls_keys(prefix: &str, s: &Secured, keystore: Option<&str>) -> String {
    let mut keys = format!(
        "{prefix}security.protocol=SSL\n{prefix}ssl.truststore.type=PEM\n{prefix}ssl.truststore.location={}\n",
        s.ca
    );
    if let Some(keystore) = keystore {
        keys.push_str(&format!(
            "{prefix}ssl.keystore.type=PEM\n{prefix}ssl.keystore.location={keystore}\n"
        ));
    }
    keys
}

#[test]
fn a_file_pipeline_runs_over_mutual_tls() {
    let s = secured();
    let keys = mtls_keys("producer.", &s, Some(&s.client_keystore))
        + &mtls_keys("consumer.", &s, Some(&s.client_keystore));
    pipeline("mtls-pipeline", &s.mtls_bootstrap, &keys);
}

#[test]
fn without_a_client_certificate_the_mutual_tls_listener_fails_the_tasks() {
    let s = secured();
    let keys = mtls_keys("producer.", &s, None) + &mtls_keys("consumer.", &s, None);
    refused(
        "mtls-nocert",
        &s.mtls_bootstrap,
        &keys,
        None,
        "bad certificate",
    );
}

/// Starts a worker whose clients (`clients`: their keys) cannot get in and waits until both
/// tasks failed; each trace must contain `cause` (in lower case) and not `password`, if any.
fn refused(what: &str, bootstrap: &str, clients: &str, password: Option<&str>, cause: &str) {
    let dir = temp_dir(what);
    let topic = unique(what);
    integration_tests::distributed::create_topic(&topic, 1, vec![]);
    std::fs::write(dir.join("in.txt"), "one\ntwo\n").unwrap();
    let (source, sink) = connectors(&dir, &topic);
    let port = free_port();
    let mut process = worker(&dir, port, bootstrap, clients);
    let api = Api::new(port);
    let started = std::time::Instant::now();
    for connector in [&source, &sink] {
        let trace = wait_for(
            &format!("{connector}'s task FAILED"),
            Duration::from_secs(60),
            || {
                let (code, status) = api.get(&format!("/connectors/{connector}/status"));
                match status["tasks"][0]["state"].as_str() {
                    Some("FAILED") => Ok(status["tasks"][0]["trace"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()),
                    _ => Err(format!("{code} {status}")),
                }
            },
        );
        println!(
            "{what}: {connector} failed after {:.1}s: {}",
            started.elapsed().as_secs_f64(),
            trace.lines().next().unwrap_or_default()
        );
        assert!(
            trace.to_ascii_lowercase().contains(cause),
            "the trace names the cause ({cause}): {trace}"
        );
        assert!(
            password.is_none_or(|p| !trace.contains(p)),
            "the trace shows the password"
        );
    }
    let (code, _) = api.get("/connectors");
    assert_eq!(code, 200, "the worker keeps serving REST");
    let pid = process.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = process.0.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_wrong_password_fails_the_tasks_naming_the_cause_and_rest_keeps_serving() {
    let s = secured();
    let keys = scram_keys(&s, "not-the-password", &s.ca);
    refused(
        "sasl-wrong",
        &s.bootstrap,
        &keys,
        Some("not-the-password"),
        "authentication",
    );
}

#[test]
fn a_broker_certificate_from_an_unknown_ca_fails_the_tasks_naming_it() {
    // The system's public CAs never signed the stack's broker certificate.
    let s = secured();
    let keys = scram_keys(&s, &s.password, "/etc/ssl/certs/ca-certificates.crt");
    refused(
        "sasl-unknown-ca",
        &s.bootstrap,
        &keys,
        Some(&s.password),
        "certificate verify failed",
    );
}

#[test]
fn a_plaintext_client_on_a_tls_listener_fails_the_tasks_naming_it() {
    // No security keys at all, as a user who forgot them would start: librdkafka only logs
    // "connecting to a SSL listener?" and retries forever.
    let s = secured();
    refused(
        "plaintext-on-tls",
        &s.bootstrap,
        "",
        None,
        "is a tls listener",
    );
}

/// A two-worker cluster whose group, internal topics and tasks all use `security` (Kafka
/// Connect's keys, set at the top level for the worker's own clients and under `producer.` /
/// `consumer.` for tasks' clients, as in Kafka Connect) against `bootstrap`: a file source and
/// sink move every line once.
fn distributed_pipeline(what: &str, bootstrap: &str, security: &[(&str, &str)]) {
    const LINES: usize = 1_000;
    let dir = temp_dir(what);
    let group = unique(&format!("{what}-group"));
    let topics = [
        unique(&format!("{what}-configs")),
        unique(&format!("{what}-offsets")),
        unique(&format!("{what}-status")),
    ];
    let topic = unique(&format!("{what}-lines"));
    integration_tests::distributed::create_topic(&topic, 2, vec![]);
    let mut overrides: Vec<(String, String)> = vec![
        ("bootstrap.servers".into(), bootstrap.to_owned()),
        ("heartbeat.interval.ms".into(), "500".into()),
        ("wharf.shards".into(), "1".into()),
    ];
    for prefix in ["", "producer.", "consumer."] {
        for (k, v) in security {
            overrides.push((format!("{prefix}{k}"), (*v).to_owned()));
        }
    }
    let borrowed: Vec<(&str, &str)> = overrides
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let workers: Vec<integration_tests::distributed::Worker> = ["a", "b"]
        .into_iter()
        .map(|n| integration_tests::distributed::Worker::start(n, &dir, &group, &topics, &borrowed))
        .collect();
    let text: String = (0..LINES)
        .map(|i| format!("distributed secured line {i}\n"))
        .collect();
    std::fs::write(dir.join("in.txt"), &text).unwrap();
    for (name, config) in [
        (
            unique(&format!("{what}-source")),
            serde_json::json!({"connector.class": "FileStreamSource", "topic": topic,
                               "file": dir.join("in.txt").to_str().unwrap()}),
        ),
        (
            unique(&format!("{what}-sink")),
            serde_json::json!({"connector.class": "FileStreamSink", "topics": topic,
                               "file": dir.join("out.txt").to_str().unwrap()}),
        ),
    ] {
        wait_for(
            &format!("{name} created"),
            Duration::from_secs(90),
            || match workers[0].api.call(
                "PUT",
                &format!("/connectors/{name}/config"),
                Some(config.clone()),
            ) {
                (201 | 200, _) => Ok(()),
                (code, answer) => Err(format!("{code} {answer}\n{}", workers[0].log())),
            },
        );
    }
    wait_for(
        "every line in the sink's file",
        Duration::from_secs(90),
        || {
            let n = std::fs::read_to_string(dir.join("out.txt"))
                .unwrap_or_default()
                .lines()
                .count();
            if n >= LINES {
                Ok(())
            } else {
                Err(format!(
                    "{n} lines\n{}\n{}",
                    workers[0].log(),
                    workers[1].log()
                ))
            }
        },
    );
    assert_each_line_once(&dir.join("out.txt"), &text);
    println!(
        "{what}: {LINES} lines through a two-worker cluster whose group, internal topics and tasks are all secured"
    );
    for mut w in workers {
        w.sigterm();
        w.wait_clean_exit(Duration::from_secs(60));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_distributed_pair_runs_over_sasl_ssl_group_internal_topics_and_tasks() {
    let s = secured();
    let jaas = format!(
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{}\" password=\"{}\";",
        s.user, s.password
    );
    distributed_pipeline(
        "sasl-dist",
        &s.bootstrap,
        &[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.jaas.config", &jaas),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", &s.ca),
        ],
    );
}

#[test]
fn a_distributed_pair_runs_over_mutual_tls() {
    let s = secured();
    distributed_pipeline(
        "mtls-dist",
        &s.mtls_bootstrap,
        &[
            ("security.protocol", "SSL"),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", &s.ca),
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", &s.client_keystore),
        ],
    );
}

/// Kafka Connect's client keys for OAUTHBEARER over the stack's SASL_PLAINTEXT listener, under
/// `prefix`, with `jaas` (the login module's options) and `extra` keys.
fn oauth_keys(prefix: &str, jaas: &str, extra: &[(&str, &str)]) -> String {
    let mut keys = format!(
        "{prefix}security.protocol=SASL_PLAINTEXT\n{prefix}sasl.mechanism=OAUTHBEARER\n\
         {prefix}sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required {jaas};\n"
    );
    for (k, v) in extra {
        keys.push_str(&format!("{prefix}{k}={v}\n"));
    }
    keys
}

fn oauth_bootstrap() -> String {
    std::env::var("KAFKA_OAUTH_BOOTSTRAP").unwrap_or_else(|_| {
        panic!("KAFKA_OAUTH_BOOTSTRAP is not set: run the tests through scripts/test, or eval \"$(scripts/stack env)\"")
    })
}

#[test]
fn a_file_pipeline_runs_over_oauthbearer_with_an_unsecured_token() {
    let jaas = "unsecuredLoginStringClaim_sub=\"wharf-static\"";
    let keys = oauth_keys("producer.", jaas, &[]) + &oauth_keys("consumer.", jaas, &[]);
    pipeline("oauth-static", &oauth_bootstrap(), &keys);
}

/// base64url without padding, as JWTs are written.
fn base64url(bytes: &[u8]) -> String {
    connect_protocol::config_topic::base64_encode(bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// A minimal OAuth 2 token endpoint on 127.0.0.1 (client credentials grant, RFC 6749 §4.4):
/// it checks the client's id and secret (HTTP basic) and answers an unsigned JWT for `sub`
/// (the stack's OAUTHBEARER listener checks tokens with Kafka's unsecured validator). Returns
/// its URL and the count of tokens it handed out.
fn token_endpoint(
    client: &'static str,
    secret: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/oauth2/token", listener.local_addr().unwrap());
    let issued = std::sync::Arc::new(AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&issued);
    let expected = format!(
        "Basic {}",
        connect_protocol::config_topic::base64_encode(format!("{client}:{secret}").as_bytes())
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let (mut length, mut authorized) = (0usize, false);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                let header = line.trim_end().to_owned();
                line.clear();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap_or((&header, ""));
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "authorization" => authorized = value.trim() == expected,
                    _ => {}
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body);
            let (status, answer) = if authorized && body.contains("grant_type=client_credentials") {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let claims = serde_json::json!({"sub": "wharf-oidc", "iat": now, "exp": now + 3600, "scope": "kafka"});
                let token = format!(
                    "{}.{}.",
                    base64url(br#"{"alg":"none"}"#),
                    base64url(claims.to_string().as_bytes())
                );
                count.fetch_add(1, Ordering::SeqCst);
                (
                    "200 OK",
                    serde_json::json!({"access_token": token, "token_type": "bearer", "expires_in": 3600}),
                )
            } else {
                (
                    "401 Unauthorized",
                    serde_json::json!({"error": "invalid_client"}),
                )
            };
            let answer = answer.to_string();
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, issued)
}

#[test]
fn a_file_pipeline_runs_over_oauthbearer_with_tokens_from_a_token_endpoint() {
    let (url, issued) = token_endpoint("wharf-client", "wharf-client-secret");
    let jaas = "clientId=\"wharf-client\" clientSecret=\"wharf-client-secret\" scope=\"kafka\"";
    let extra = [
        ("sasl.oauthbearer.token.endpoint.url", url.as_str()),
        (
            "sasl.login.callback.handler.class",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
        ),
    ];
    let keys = oauth_keys("producer.", jaas, &extra) + &oauth_keys("consumer.", jaas, &extra);
    pipeline("oauth-oidc", &oauth_bootstrap(), &keys);
    let tokens = issued.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        tokens >= 2,
        "each client fetched its token ({tokens} issued)"
    );
    println!("oauth-oidc: {tokens} tokens issued by the token endpoint");
}

#[test]
fn a_client_secret_the_token_endpoint_refuses_fails_the_tasks_naming_it() {
    let (url, issued) = token_endpoint("wharf-client", "wharf-client-secret");
    let jaas = "clientId=\"wharf-client\" clientSecret=\"not-the-secret\"";
    let extra = [("sasl.oauthbearer.token.endpoint.url", url.as_str())];
    let keys = oauth_keys("producer.", jaas, &extra) + &oauth_keys("consumer.", jaas, &extra);
    refused(
        "oauth-refused",
        &oauth_bootstrap(),
        &keys,
        Some("not-the-secret"),
        "failed to acquire sasl oauthbearer token",
    );
    assert_eq!(issued.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// A sink's dead letter queue on the SASL_SSL listener: its topic is created by the task's admin
/// client, which takes the worker's `admin.*` keys as Kafka Connect's does (without them, and
/// with no top-level security keys, it would speak plaintext to a TLS port), and its records are
/// written by the task's producer (`producer.*`).
#[test]
fn a_dead_letter_queue_is_created_and_written_over_sasl_ssl_with_the_admin_keys() {
    let s = secured();
    let dir = temp_dir("sasl-dlq");
    let topic = unique("sasl-dlq");
    let dlq = unique("sasl-dlq-dead");
    integration_tests::distributed::create_topic(&topic, 1, vec![]);
    std::fs::write(dir.join("in.txt"), "not json 1\nnot json 2\nnot json 3\n").unwrap();
    let (_, sink) = connectors(&dir, &topic);
    let mut sink_props = std::fs::read_to_string(dir.join("sink.properties")).unwrap();
    sink_props.push_str(&format!(
        "value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=false\nerrors.tolerance=all\n\
         errors.deadletterqueue.topic.name={dlq}\n\
         errors.deadletterqueue.topic.replication.factor=1\n"
    ));
    std::fs::write(dir.join("sink.properties"), sink_props).unwrap();
    let keys = scram_keys(&s, &s.password, &s.ca) + &client_keys("admin.", &s, &s.password, &s.ca);
    let port = free_port();
    let mut process = worker(&dir, port, &s.bootstrap, &keys);
    let dead = consume_n(&dlq, 3, Duration::from_secs(60));
    let mut values: Vec<String> = dead
        .iter()
        .map(|(_, v, _)| String::from_utf8_lossy(v.as_deref().unwrap_or_default()).into_owned())
        .collect();
    values.sort();
    assert_eq!(values, ["not json 1", "not json 2", "not json 3"]);
    let (code, status) = Api::new(port).get(&format!("/connectors/{sink}/status"));
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{code} {status}");
    println!("sasl-dlq: 3 records in {dlq}, created through admin.* over SASL_SSL");
    let pid = process.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = process.0.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
