//! Client behaviour over HTTP against the local test server: requests on the wire, caching,
//! single-flight, retries, failover, timeouts, auth. The real registry is exercised in
//! `tests/tests/registry_client.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::test_server::{Reply, TestServer, dead_url};
use crate::{
    CompatibilityLevel, RegistryClient, RegistryConfig, RegistryError, Schema, SchemaReference,
    Version,
};

const SCHEMA: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;

fn fast(urls: &str) -> RegistryConfig {
    let mut config = RegistryConfig::from_props([
        ("schema.registry.url", urls),
        ("schema.registry.retries", "2"),
        ("schema.registry.retry.backoff.ms", "1"),
        ("schema.registry.retry.backoff.max.ms", "5"),
        ("schema.registry.request.timeout.ms", "2000"),
    ])
    .unwrap();
    config.cache_capacity = 100;
    config
}

fn client(urls: &str) -> RegistryClient {
    RegistryClient::new(&fast(urls)).unwrap()
}

fn schema_body() -> String {
    serde_json::json!({ "schema": SCHEMA }).to_string()
}

#[test]
fn client_is_clone_send_sync() {
    fn check<T: Clone + Send + Sync + 'static>() {}
    check::<RegistryClient>();
    check::<RegistryError>();
}

#[tokio::test]
async fn building_https_clients_never_panics() {
    // No rustls provider is installed in this process: reqwest must fall back to aws-lc-rs.
    let https = client("https://registry.invalid:8081,https://127.0.0.1:1");
    assert_eq!(https.endpoints().len(), 2);
    // A TLS handshake against a plain-HTTP server fails as a transport error, not a panic.
    let server = TestServer::start(|_, _| Reply::ok("{}")).await;
    let mut config = fast(&server.url.replace("http://", "https://"));
    config.retry.retries = 0;
    config.request_timeout = Duration::from_millis(300);
    let tls = RegistryClient::new(&config).unwrap();
    let err = tls.subjects().await.unwrap_err();
    assert!(matches!(err, RegistryError::Transport { .. }), "{err}");
}

#[tokio::test]
async fn requests_use_the_v1_media_type_and_encoded_paths() {
    let server = TestServer::start(|_, seen| match seen.method.as_str() {
        "POST" => Reply::ok(r#"{"id":12}"#),
        _ => Reply::ok(r#"{"subject":"a/b","version":1,"id":12,"schema":"\"int\""}"#),
    })
    .await;
    let client = client(&format!("{}/apis/ccompat/v7", server.url));
    let schema = Schema::json("{}").with_references(vec![SchemaReference {
        name: "x.json".into(),
        subject: "x".into(),
        version: 1,
    }]);
    assert_eq!(client.register("a/b", &schema).await.unwrap(), 12);
    client.version("a/b", Version::Latest).await.unwrap();

    let seen = server.seen();
    assert_eq!(seen[0].target, "/apis/ccompat/v7/subjects/a%2Fb/versions");
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/vnd.schemaregistry.v1+json")
    );
    assert!(
        seen[0]
            .header("accept")
            .unwrap()
            .starts_with("application/vnd.schemaregistry.v1+json")
    );
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["schemaType"], "JSON");
    assert_eq!(body["references"][0]["subject"], "x");
    assert_eq!(seen[1].method, "GET");
    assert_eq!(
        seen[1].target,
        "/apis/ccompat/v7/subjects/a%2Fb/versions/latest"
    );
    assert_eq!(seen[1].header("content-type"), None);
}

#[tokio::test]
async fn concurrent_misses_for_one_id_make_one_request() {
    let server =
        TestServer::start(|_, _| Reply::ok(schema_body()).after(Duration::from_millis(100))).await;
    let client = client(&server.url);
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.schema_by_id(5).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().schema, SCHEMA);
    }
    assert_eq!(server.hits(), 1);
    client.schema_by_id(5).await.unwrap();
    assert_eq!(server.hits(), 1, "cached");
    assert_eq!(server.seen()[0].target, "/schemas/ids/5");
}

#[tokio::test]
async fn registrations_are_cached_per_subject_and_dropped_on_delete() {
    let server = TestServer::start(|_, seen| match seen.method.as_str() {
        "DELETE" => Reply::ok("[1]"),
        _ => Reply::ok(r#"{"id":3}"#),
    })
    .await;
    let client = client(&server.url);
    let schema = Schema::avro(SCHEMA);
    let (a, b) = tokio::join!(client.register("s", &schema), client.register("s", &schema));
    assert_eq!((a.unwrap(), b.unwrap()), (3, 3));
    assert_eq!(client.register("s", &schema).await.unwrap(), 3);
    assert_eq!(server.hits(), 1);
    assert_eq!(
        client.lookup_id("s", &schema).await.unwrap(),
        3,
        "shares the id cache"
    );
    assert_eq!(server.hits(), 1);

    client.register("other", &schema).await.unwrap();
    assert_eq!(server.hits(), 2);
    assert_eq!(client.delete_subject("s", false).await.unwrap(), [1]);
    client.register("s", &schema).await.unwrap();
    client.register("other", &schema).await.unwrap();
    assert_eq!(
        server.hits(),
        4,
        "only the deleted subject's ids are forgotten"
    );
}

#[tokio::test]
async fn the_id_cache_is_bounded() {
    let server = TestServer::start(|_, _| Reply::ok(schema_body())).await;
    let mut config = fast(&server.url);
    config.cache_capacity = 1;
    let client = RegistryClient::new(&config).unwrap();
    for id in [1, 2, 1] {
        client.schema_by_id(id).await.unwrap();
    }
    assert_eq!(server.hits(), 3);
    assert_eq!(client.cached(), (1, 0));
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried() {
    let server = TestServer::start(|n, _| match n {
        0 => Reply::new(500, r#"{"error_code":50001,"message":"store"}"#),
        1 => Reply::new(429, "slow down"),
        _ => Reply::ok(r#"["a","b"]"#),
    })
    .await;
    let client = client(&server.url);
    assert_eq!(client.subjects().await.unwrap(), ["a", "b"]);
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn retries_stop_after_the_configured_count() {
    let server = TestServer::start(|_, _| Reply::new(503, "unavailable")).await;
    let client = client(&server.url);
    let err = client.versions("s").await.unwrap_err();
    assert!(
        matches!(err, RegistryError::Server { status: 503, .. }),
        "{err}"
    );
    assert_eq!(server.hits(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = TestServer::start(|n, _| match n {
        0 => Reply::new(
            404,
            r#"{"error_code":40403,"message":"Schema 9 not found."}"#,
        ),
        1 => Reply::new(
            404,
            r#"{"error_code":40401,"message":"Subject 's' not found."}"#,
        ),
        2 => Reply::new(400, "Not able to deserialize data provided."),
        _ => Reply::ok("not json"),
    })
    .await;
    let client = client(&server.url);
    let err = client.schema_by_id(9).await.unwrap_err();
    assert!(
        matches!(&err, RegistryError::SchemaNotFound { id: Some(9), .. }),
        "{err}"
    );
    assert!(err.url().unwrap().ends_with("/schemas/ids/9"));
    let err = client.latest("s").await.unwrap_err();
    assert!(matches!(&err, RegistryError::SubjectNotFound { subject, .. } if subject == "s"));
    let err = client
        .register("s", &Schema::avro("\"int\""))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::Rejected { status: 400, .. }),
        "{err}"
    );
    let err = client.subjects().await.unwrap_err();
    assert!(matches!(err, RegistryError::Decode { .. }), "{err}");
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn fails_over_to_the_next_url_and_stays_there() {
    let broken = TestServer::start(|_, _| Reply::new(500, "down")).await;
    let healthy = TestServer::start(|_, _| Reply::ok("[]")).await;
    let client = client(&format!("{},{}", broken.url, healthy.url));
    client.subjects().await.unwrap();
    assert_eq!((broken.hits(), healthy.hits()), (1, 1));
    client.subjects().await.unwrap();
    assert_eq!(
        (broken.hits(), healthy.hits()),
        (1, 2),
        "starts at the URL that answered"
    );
}

#[tokio::test]
async fn fails_over_past_a_dead_url() {
    let healthy = TestServer::start(|_, _| Reply::ok(r#"{"compatibilityLevel":"FULL"}"#)).await;
    let client = client(&format!("{},{}", dead_url().await, healthy.url));
    assert_eq!(
        client.compatibility(None).await.unwrap(),
        CompatibilityLevel::Full
    );
    assert_eq!(healthy.hits(), 1);
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    let server = TestServer::start(|_, _| Reply::ok("[]").after(Duration::from_secs(10))).await;
    let mut config = fast(&server.url);
    config.request_timeout = Duration::from_millis(100);
    config.retry.retries = 1;
    let client = RegistryClient::new(&config).unwrap();
    let started = Instant::now();
    let err = client.subjects().await.unwrap_err();
    assert!(
        matches!(&err, RegistryError::Transport { .. }) && err.is_retriable(),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn credentials_are_sent() {
    let server = TestServer::start(|_, _| Reply::ok("[]")).await;
    let embedded = client(&server.url.replace("http://", "http://us%40er:pw@"));
    embedded.subjects().await.unwrap();
    let user_info = RegistryClient::from_props([
        ("schema.registry.url", server.url.as_str()),
        ("basic.auth.credentials.source", "USER_INFO"),
        ("basic.auth.user.info", "fred:secret"),
    ])
    .unwrap();
    user_info.subjects().await.unwrap();
    let bearer = RegistryClient::from_props([
        ("schema.registry.url", server.url.as_str()),
        ("bearer.auth.token", "tok"),
    ])
    .unwrap();
    bearer.subjects().await.unwrap();

    let auth: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.header("authorization").unwrap().to_owned())
        .collect();
    // base64("us@er:pw"), base64("fred:secret")
    assert_eq!(
        auth,
        ["Basic dXNAZXI6cHc=", "Basic ZnJlZDpzZWNyZXQ=", "Bearer tok"]
    );
    assert!(!format!("{embedded:?}").contains("pw"));
}

#[tokio::test]
async fn compatibility_and_config_calls() {
    let server = TestServer::start(
        |_, seen| match (seen.method.as_str(), seen.target.as_str()) {
            ("POST", _) => Reply::ok(r#"{"is_compatible":false}"#),
            ("PUT", _) => Reply::ok(r#"{"compatibility":"BACKWARD"}"#),
            _ => Reply::ok(r#"{"compatibilityLevel":"BACKWARD"}"#),
        },
    )
    .await;
    let client = client(&server.url);
    let compatible = client
        .is_compatible("s", Version::Number(2), &Schema::avro(SCHEMA))
        .await
        .unwrap();
    assert!(!compatible);
    let level = client
        .set_compatibility(Some("s"), CompatibilityLevel::Backward)
        .await
        .unwrap();
    assert_eq!(level, CompatibilityLevel::Backward);
    assert_eq!(
        client.compatibility(Some("s")).await.unwrap(),
        CompatibilityLevel::Backward
    );

    let seen = server.seen();
    assert_eq!(seen[0].target, "/compatibility/subjects/s/versions/2");
    assert_eq!(seen[1].target, "/config/s");
    assert_eq!(seen[1].body, r#"{"compatibility":"BACKWARD"}"#);
    assert_eq!(seen[2].target, "/config/s?defaultToGlobal=true");
}

#[tokio::test]
async fn futures_run_on_a_spawned_task() {
    // `tokio::spawn` requires `Send + 'static` futures, which converters rely on.
    let server = TestServer::start(|_, _| Reply::ok("7")).await;
    let client = Arc::new(client(&server.url));
    let deleted =
        tokio::spawn(async move { client.delete_version("s", Version::Number(7), true).await });
    assert_eq!(deleted.await.unwrap().unwrap(), 7);
    assert_eq!(
        server.seen()[0].target,
        "/subjects/s/versions/7?permanent=true"
    );
}
