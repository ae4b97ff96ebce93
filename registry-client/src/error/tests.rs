use super::*;

const URL: &str = "http://registry:8081/subjects/orders-value/versions";

fn map(status: u16, body: &str, target: Target<'_>) -> RegistryError {
    from_response(URL, status, body.as_bytes(), target)
}

fn subject(s: &str) -> Target<'_> {
    Target::subject(s)
}

#[test]
fn not_found_codes_name_what_is_missing() {
    let e = map(
        404,
        r#"{"error_code":40401,"message":"Subject 'x' not found."}"#,
        subject("x"),
    );
    assert!(
        matches!(&e, RegistryError::SubjectNotFound { subject, message, .. }
        if subject == "x" && message == "Subject 'x' not found.")
    );
    assert!(e.is_not_found() && !e.is_retriable());
    assert!(e.to_string().contains(URL), "{e}");

    let t = Target {
        subject: Some("x"),
        version: Some("7"),
        id: None,
    };
    let e = map(
        404,
        r#"{"error_code":40402,"message":"Version 7 not found."}"#,
        t,
    );
    assert!(matches!(&e, RegistryError::VersionNotFound { version, .. } if version == "7"));

    let t = Target {
        id: Some(99),
        ..Target::default()
    };
    let e = map(
        404,
        r#"{"error_code":40403,"message":"Schema 99 not found."}"#,
        t,
    );
    assert!(matches!(
        e,
        RegistryError::SchemaNotFound {
            id: Some(99),
            subject: None,
            ..
        }
    ));
    assert!(e.to_string().contains("schema id 99 not found"), "{e}");
}

#[test]
fn rejections_are_not_retriable() {
    let e = map(
        409,
        r#"{"error_code":409,"message":"Incompatible artifact"}"#,
        subject("s"),
    );
    assert!(matches!(e, RegistryError::Incompatible { .. }) && !e.is_retriable());
    // A registry that answers 409 without a body is still an incompatibility.
    assert!(matches!(
        map(409, "", subject("s")),
        RegistryError::Incompatible { .. }
    ));

    let e = map(
        422,
        r#"{"error_code":42201,"message":"Invalid schema"}"#,
        subject("s"),
    );
    assert!(matches!(
        e,
        RegistryError::InvalidSchema {
            subject: Some(_),
            ..
        }
    ));
    let e = map(422, r#"{"error_code":42202,"message":"bad"}"#, subject("s"));
    assert!(matches!(e, RegistryError::InvalidVersion { .. }));
    let e = map(
        422,
        r#"{"error_code":42203,"message":"bad level"}"#,
        Target::default(),
    );
    assert!(matches!(
        e,
        RegistryError::InvalidCompatibilityLevel { subject: None, .. }
    ));

    let e = map(
        404,
        r#"{"error_code":40404,"message":"Subject was soft deleted"}"#,
        subject("s"),
    );
    assert!(matches!(
        e,
        RegistryError::Rejected {
            status: 404,
            code: Some(40404),
            ..
        }
    ));
    assert!(!e.is_retriable() && !e.is_not_found());

    let e = map(
        401,
        r#"{"error_code":401,"message":"Unauthorized"}"#,
        Target::default(),
    );
    assert!(matches!(e, RegistryError::Unauthorized { status: 401, .. }));
    assert!(!e.is_retriable());
}

#[test]
fn server_errors_and_rate_limits_are_retriable() {
    let e = map(
        500,
        r#"{"error_code":50001,"message":"Error in the backend data store"}"#,
        Target::default(),
    );
    assert!(matches!(
        e,
        RegistryError::Server {
            status: 500,
            code: Some(50001),
            ..
        }
    ));
    assert!(e.is_retriable() && e.is_failover());
    assert!(e.to_string().contains("error code 50001"), "{e}");

    let e = map(429, "slow down", Target::default());
    assert!(matches!(&e, RegistryError::RateLimited { message, .. } if message == "slow down"));
    assert!(e.is_retriable() && !e.is_failover());

    let e = map(502, "<html>Bad Gateway</html>", Target::default());
    assert!(matches!(
        e,
        RegistryError::Server {
            status: 502,
            code: None,
            ..
        }
    ));
}

#[test]
fn non_json_bodies_keep_their_text_but_not_all_of_it() {
    let e = map(400, "Not able to deserialize data provided.", subject("s"));
    assert!(
        matches!(&e, RegistryError::Rejected { status: 400, code: None, message, .. }
        if message == "Not able to deserialize data provided.")
    );

    let long = "x".repeat(10_000);
    let RegistryError::Rejected { message, .. } = map(400, &long, Target::default()) else {
        panic!("expected Rejected");
    };
    assert_eq!(message.chars().count(), MAX_TEXT_BODY + 1);

    let RegistryError::Rejected { message, .. } = map(418, "", Target::default()) else {
        panic!("expected Rejected");
    };
    assert_eq!(message, "HTTP 418");
}
