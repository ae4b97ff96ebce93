//! registry-client against the real schema registry (`SCHEMA_REGISTRY_URL`, by default the
//! Apicurio Registry of `scripts/stack` at `/apis/ccompat/v7`). Every test uses its own subjects.
//!
//! Where Apicurio 3.3.3 answers differently from Confluent's documented API, the test accepts
//! both answers and says which is which; everywhere else it asserts Confluent's behaviour.

use integration_tests::{registry_url, unique};
use registry_client::{
    CompatibilityLevel, RegistryClient, RegistryConfig, RegistryError, Schema, SchemaReference,
    SchemaType, Version,
};
use serde_json::Value;

/// An Avro record named after the subject: tests never share schema content, so deleting one
/// test's subjects cannot take away content (and ids) another test is reading.
fn record(subject: &str, fields: &str) -> String {
    let name = subject.replace('-', "_");
    format!(
        r#"{{"type":"record","name":"{name}","namespace":"wharf.test","fields":[{{"name":"id","type":"long"}}{fields}]}}"#
    )
}

fn v1(subject: &str) -> String {
    record(subject, "")
}

/// V1 plus a field with a default: BACKWARD compatible.
fn v2_compatible(subject: &str) -> String {
    record(subject, r#",{"name":"note","type":"string","default":""}"#)
}

/// V1 plus a field without a default: not BACKWARD compatible.
fn v2_breaking(subject: &str) -> String {
    record(subject, r#",{"name":"qty","type":"int"}"#)
}

fn client() -> RegistryClient {
    RegistryClient::from_props([("schema.registry.url", registry_url())]).expect("registry client")
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("schema text is JSON")
}

/// Removes a subject for good (soft delete first, as Confluent requires).
async fn purge(client: &RegistryClient, subject: &str) {
    let _ = client.delete_subject(subject, false).await;
    let _ = client.delete_subject(subject, true).await;
}

#[tokio::test]
async fn registers_and_reads_back() {
    let client = client();
    let subject = unique("rc-register");
    let schema = Schema::avro(v1(&subject));

    let id = client.register(&subject, &schema).await.unwrap();
    // A fresh client, so the second registration really reaches the registry.
    let again = self::client().register(&subject, &schema).await.unwrap();
    assert_eq!(
        again, id,
        "registering the same schema twice gives the same id"
    );

    let by_id = client.schema_by_id(id).await.unwrap();
    assert_eq!(by_id.schema_type, SchemaType::Avro);
    assert_eq!(json(&by_id.schema), json(&v1(&subject)));
    assert!(by_id.references.is_empty());

    let found = client.lookup(&subject, &schema).await.unwrap();
    assert_eq!(
        (found.subject.as_str(), found.version, found.id),
        (subject.as_str(), 1, id)
    );
    assert_eq!(json(&found.schema.schema), json(&v1(&subject)));
    assert_eq!(
        self::client().lookup_id(&subject, &schema).await.unwrap(),
        id
    );

    assert_eq!(client.versions(&subject).await.unwrap(), [1]);
    let latest = client.latest(&subject).await.unwrap();
    assert_eq!((latest.version, latest.id), (1, id));
    assert_eq!(
        client.version(&subject, Version::Number(1)).await.unwrap(),
        latest
    );
    assert!(client.subjects().await.unwrap().contains(&subject));

    // Same schema, other subject: Confluent documents the same id.
    let other = unique("rc-register-other");
    assert_eq!(client.register(&other, &schema).await.unwrap(), id);

    purge(&client, &subject).await;
    purge(&client, &other).await;
}

#[tokio::test]
async fn json_schemas_and_references_round_trip() {
    let client = client();
    let json_subject = unique("rc-json");
    let text = format!(
        r#"{{"title":"{json_subject}","type":"object","properties":{{"a":{{"type":"integer"}}}}}}"#
    );
    let id = client
        .register(&json_subject, &Schema::json(text.as_str()))
        .await
        .unwrap();
    let back = client.schema_by_id(id).await.unwrap();
    assert_eq!(back.schema_type, SchemaType::Json);
    assert_eq!(json(&back.schema), json(&text));

    let base = unique("rc-ref-base");
    let customer = base.replace('-', "_");
    let base_schema = format!(
        r#"{{"type":"record","name":"{customer}","namespace":"wharf.test","fields":[{{"name":"name","type":"string"}}]}}"#
    );
    client
        .register(&base, &Schema::avro(base_schema))
        .await
        .unwrap();
    let top = unique("rc-ref-top");
    let reference = SchemaReference {
        name: format!("wharf.test.{customer}"),
        subject: base.clone(),
        version: 1,
    };
    let with_ref = Schema::avro(format!(
        r#"{{"type":"record","name":"Invoice","namespace":"wharf.test","fields":[{{"name":"customer","type":"wharf.test.{customer}"}}]}}"#
    ))
    .with_references(vec![reference.clone()]);
    let top_id = client.register(&top, &with_ref).await.unwrap();
    assert_eq!(
        client.schema_by_id(top_id).await.unwrap().references,
        std::slice::from_ref(&reference)
    );
    assert_eq!(
        client.latest(&top).await.unwrap().schema.references,
        [reference]
    );

    purge(&client, &top).await; // before its reference
    purge(&client, &base).await;
    purge(&client, &json_subject).await;
}

#[tokio::test]
async fn compatibility_follows_the_subject_level() {
    let client = client();
    let subject = unique("rc-compat");
    client
        .register(&subject, &Schema::avro(v1(&subject)))
        .await
        .unwrap();
    let level = client
        .set_compatibility(Some(&subject), CompatibilityLevel::Backward)
        .await
        .unwrap();
    assert_eq!(level, CompatibilityLevel::Backward);
    assert_eq!(
        client.compatibility(Some(&subject)).await.unwrap(),
        CompatibilityLevel::Backward
    );
    // The global level exists; which one it is depends on the registry (Confluent BACKWARD,
    // Apicurio NONE), and other tests share it, so it is read, not changed.
    client.compatibility(None).await.unwrap();

    let compatible = Schema::avro(v2_compatible(&subject));
    let breaking = Schema::avro(v2_breaking(&subject));
    assert!(
        client
            .is_compatible(&subject, Version::Latest, &compatible)
            .await
            .unwrap()
    );
    assert!(
        !client
            .is_compatible(&subject, Version::Latest, &breaking)
            .await
            .unwrap()
    );
    assert!(
        !client
            .is_compatible(&subject, Version::Number(1), &breaking)
            .await
            .unwrap()
    );

    let err = client.register(&subject, &breaking).await.unwrap_err();
    assert!(
        matches!(&err, RegistryError::Incompatible { subject: s, .. } if *s == subject),
        "{err}"
    );
    assert!(!err.is_retriable());

    client.register(&subject, &compatible).await.unwrap();
    assert_eq!(client.versions(&subject).await.unwrap(), [1, 2]);
    assert_eq!(client.latest(&subject).await.unwrap().version, 2);

    let err = client
        .is_compatible(&subject, Version::Number(9), &compatible)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::VersionNotFound { .. }),
        "{err}"
    );

    // Confluent answers 40401 for a compatibility check against an unknown subject; Apicurio
    // 3.3.3 answers {"is_compatible":true}.
    let unknown = unique("rc-compat-unknown");
    match client
        .is_compatible(&unknown, Version::Latest, &compatible)
        .await
    {
        Err(RegistryError::SubjectNotFound { .. }) | Ok(true) => {}
        other => panic!("unexpected answer: {other:?}"),
    }
    purge(&client, &subject).await;
}

#[tokio::test]
async fn deletes_versions_and_subjects() {
    let client = client();
    let subject = unique("rc-delete");
    client
        .register(&subject, &Schema::avro(v1(&subject)))
        .await
        .unwrap();
    client
        .set_compatibility(Some(&subject), CompatibilityLevel::None)
        .await
        .unwrap();
    client
        .register(&subject, &Schema::avro(v2_breaking(&subject)))
        .await
        .unwrap();
    assert_eq!(client.versions(&subject).await.unwrap(), [1, 2]);

    assert_eq!(
        client
            .delete_version(&subject, Version::Number(2), false)
            .await
            .unwrap(),
        2
    );
    assert_eq!(client.versions(&subject).await.unwrap(), [1]);
    let err = client
        .delete_version(&subject, Version::Number(7), false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::VersionNotFound { .. }),
        "{err}"
    );

    // Confluent's soft delete lists the versions it deletes now, [1]; Apicurio 3.3.3 also lists
    // the version soft-deleted before, [1, 2].
    let deleted = client.delete_subject(&subject, false).await.unwrap();
    assert!(deleted == [1] || deleted == [1, 2], "{deleted:?}");
    let err = client.versions(&subject).await.unwrap_err();
    assert!(
        matches!(err, RegistryError::SubjectNotFound { .. }),
        "{err}"
    );
    assert!(!client.subjects().await.unwrap().contains(&subject));
    // The permanent delete removes every soft-deleted version and lists them (both registries).
    assert_eq!(client.delete_subject(&subject, true).await.unwrap(), [1, 2]);
}

#[tokio::test]
async fn missing_things_are_typed_errors() {
    let client = client();
    let err = client.schema_by_id(2_000_000_000).await.unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::SchemaNotFound {
                id: Some(2_000_000_000),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_not_found() && !err.is_retriable());
    assert!(err.to_string().contains("/schemas/ids/2000000000"), "{err}");

    let unknown = unique("rc-missing");
    let err = client.latest(&unknown).await.unwrap_err();
    assert!(
        matches!(&err, RegistryError::SubjectNotFound { subject, .. } if *subject == unknown),
        "{err}"
    );
    let err = client.versions(&unknown).await.unwrap_err();
    assert!(
        matches!(err, RegistryError::SubjectNotFound { .. }),
        "{err}"
    );
    let err = client
        .lookup_id(&unknown, &Schema::avro(v1(&unknown)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::SubjectNotFound { .. }),
        "{err}"
    );

    let subject = unique("rc-missing-version");
    client
        .register(&subject, &Schema::avro(v1(&subject)))
        .await
        .unwrap();
    let err = client
        .version(&subject, Version::Number(5))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::VersionNotFound { version, .. } if version == "5"),
        "{err}"
    );
    let err = client
        .lookup(&subject, &Schema::avro(v2_compatible(&subject)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::SchemaNotFound { id: None, subject: Some(s), .. } if *s == subject),
        "{err}"
    );
    // Confluent answers 42202 (invalid version) for version 0; Apicurio 3.3.3 answers 40402.
    let err = client
        .version(&subject, Version::Number(0))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::InvalidVersion { .. } | RegistryError::VersionNotFound { .. }
        ),
        "{err}"
    );
    purge(&client, &subject).await;
}

#[tokio::test]
async fn invalid_schemas_are_typed_errors() {
    let client = client();
    let subject = unique("rc-invalid");
    // Both answer 42201. Apicurio's message is "Failed to discover artifact type from content."
    // (its type detection rejects the text before Avro parsing), Confluent's names the Avro
    // parse error.
    for text in [
        r#"{"type":"record","name":"Bad","fields":[{"name":"a","type":"no.such.Type"}]}"#,
        "not json at all",
    ] {
        let err = client
            .register(&subject, &Schema::avro(text))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, RegistryError::InvalidSchema { subject: Some(s), message, .. }
                if *s == subject && !message.is_empty()),
            "{err}"
        );
        assert!(!err.is_retriable());
    }
}

#[tokio::test]
async fn fails_over_from_a_dead_url() {
    // Port 1 on localhost: connection refused at once.
    let mut config =
        RegistryConfig::for_urls(&format!("http://127.0.0.1:1,{}", registry_url())).unwrap();
    config.retry.retries = 0;
    let client = RegistryClient::new(&config).unwrap();
    let subject = unique("rc-failover");
    let id = client
        .register(&subject, &Schema::avro(v1(&subject)))
        .await
        .unwrap();
    assert_eq!(
        json(&client.schema_by_id(id).await.unwrap().schema),
        json(&v1(&subject))
    );
    assert_eq!(client.latest(&subject).await.unwrap().id, id);

    // Only the dead URL: the error is a retriable transport error naming it.
    let dead = RegistryClient::new(&RegistryConfig {
        endpoints: config.endpoints[..1].to_vec(),
        ..config.clone()
    })
    .unwrap();
    let err = dead.subjects().await.unwrap_err();
    assert!(
        matches!(err, RegistryError::Transport { .. }) && err.is_retriable(),
        "{err}"
    );
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    purge(&client, &subject).await;
}

/// The stack registry's HTTPS port (`SCHEMA_REGISTRY_HTTPS_URL`) and CA (`KAFKA_CA_FILE`).
fn https_registry() -> (String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests through scripts/test, or eval \"$(scripts/stack env)\"")
        })
    };
    (var("SCHEMA_REGISTRY_HTTPS_URL"), var("KAFKA_CA_FILE"))
}

#[tokio::test]
async fn https_with_the_registrys_ca_works_and_without_it_fails_naming_tls() {
    let (url, ca) = https_registry();
    let trusted = RegistryClient::from_props([
        ("schema.registry.url", url.as_str()),
        ("schema.registry.ssl.truststore.type", "PEM"),
        ("schema.registry.ssl.truststore.location", ca.as_str()),
    ])
    .expect("registry client");
    let subject = unique("https-subject");
    let id = trusted
        .register(&subject, &Schema::avro(v1(&subject)))
        .await
        .expect("register over HTTPS");
    assert_eq!(trusted.latest(&subject).await.unwrap().id, id);
    purge(&trusted, &subject).await;
    // A client certificate (mutual TLS) is read and offered; this registry does not ask for one.
    let keystore = std::env::var("KAFKA_CLIENT_KEYSTORE").expect("KAFKA_CLIENT_KEYSTORE");
    let with_identity = RegistryClient::from_props([
        ("schema.registry.url", url.as_str()),
        ("schema.registry.ssl.truststore.type", "PEM"),
        ("schema.registry.ssl.truststore.location", ca.as_str()),
        ("schema.registry.ssl.keystore.type", "PEM"),
        ("schema.registry.ssl.keystore.location", keystore.as_str()),
    ])
    .expect("registry client with a client certificate");
    with_identity.subjects().await.expect("subjects over HTTPS");

    let untrusted = RegistryClient::from_props([
        ("schema.registry.url", url.as_str()),
        ("schema.registry.retries", "0"),
    ])
    .expect("registry client");
    let err = untrusted.subjects().await.unwrap_err();
    let text = format!("{err} {err:?}").to_ascii_lowercase();
    assert!(
        text.contains("certificate") || text.contains("tls") || text.contains("unknownissuer"),
        "the error names the TLS failure: {err:?}"
    );
    let jks = RegistryConfig::from_props([
        ("schema.registry.url", url.as_str()),
        ("schema.registry.ssl.truststore.location", ca.as_str()),
    ])
    .unwrap_err();
    assert!(
        jks.errors
            .iter()
            .any(|e| e.key == "schema.registry.ssl.truststore.type"),
        "{jks}"
    );
}
