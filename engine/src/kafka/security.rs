//! Kafka Connect's client security keys, mapped to librdkafka's in this one place: the keys users
//! already have in `worker.properties` (at the top level for the worker's own clients, under
//! `producer.` / `consumer.` / `admin.` for tasks' clients, and `*.override.` per connector)
//! work unchanged.
//!
//! | Kafka (Java client) | librdkafka |
//! |---|---|
//! | `security.protocol` | the same (lower case) |
//! | `sasl.mechanism` | `sasl.mechanism` (`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`, `OAUTHBEARER`) |
//! | `sasl.jaas.config` with `PlainLoginModule` / `ScramLoginModule` | `sasl.username`, `sasl.password` |
//! | `sasl.jaas.config` with `OAuthBearerLoginModule` | an unsecured JWT (`unsecuredLoginStringClaim_sub`), or `clientId` / `clientSecret` / `scope` with `sasl.oauthbearer.token.endpoint.url` (OIDC) |
//! | `ssl.truststore.location` (`PEM`) / `ssl.truststore.certificates` | `ssl.ca.location` / `ssl.ca.pem` |
//! | `ssl.keystore.location` (`PKCS12`, with `ssl.keystore.password`) | `ssl.keystore.location`, `ssl.keystore.password` |
//! | `ssl.keystore.location` (`PEM`, with `ssl.key.password`) | `ssl.certificate.location`, `ssl.key.location`, `ssl.key.password` |
//! | `ssl.keystore.key` / `ssl.keystore.certificate.chain` | `ssl.key.pem` / `ssl.certificate.pem` |
//! | `ssl.endpoint.identification.algorithm` (`https`, empty) | the same (`https`, `none`) |
//!
//! A JKS store (Java's default type) cannot be read by librdkafka: it is refused with the
//! `keytool` command that converts it. A `PKCS12` truststore likewise, with the `openssl` command
//! that extracts its certificates as PEM. Java-only tuning keys (`ssl.protocol`,
//! `ssl.enabled.protocols`, `ssl.keymanager.algorithm`, `ssl.trustmanager.algorithm`,
//! `ssl.secure.random.implementation`, `sasl.login.*` classes) have no librdkafka counterpart
//! and are dropped. Every other key passes through unchanged.

use connect_api::config::Properties;

/// A security setting librdkafka cannot take, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SecurityError {
    pub key: String,
    pub message: String,
}

/// Keys of the Java client with no librdkafka counterpart; dropped.
const JAVA_ONLY: &[&str] = &[
    "ssl.protocol",
    "ssl.enabled.protocols",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.secure.random.implementation",
    "ssl.provider",
    "ssl.engine.factory.class",
    "sasl.login.class",
    "sasl.login.callback.handler.class",
    "sasl.client.callback.handler.class",
    "ssl.truststore.type",
    "ssl.keystore.type",
    "ssl.truststore.password",
];

/// `props` (one client's keys, prefixes already taken off) in librdkafka's terms.
pub fn translate(props: &Properties) -> Result<Properties, SecurityError> {
    let mut out = Properties::new();
    let error = |key: &str, message: String| SecurityError {
        key: key.to_owned(),
        message,
    };
    for (key, value) in props {
        match key.as_str() {
            "security.protocol" => {
                out.insert(key.clone(), value.trim().to_ascii_lowercase());
            }
            "sasl.jaas.config" => {
                let mechanism = props.get("sasl.mechanism").map_or("GSSAPI", |m| m.trim());
                for (k, v) in jaas(value, mechanism, props).map_err(|m| error(key, m))? {
                    out.insert(k, v);
                }
            }
            "sasl.oauthbearer.token.endpoint.url" => {
                out.insert("sasl.oauthbearer.method".to_owned(), "oidc".to_owned());
                out.insert(key.clone(), value.clone());
            }
            "ssl.truststore.location" => match store_type(props, "ssl.truststore.type").as_str() {
                "PEM" => {
                    out.insert("ssl.ca.location".to_owned(), value.clone());
                }
                "PKCS12" => {
                    return Err(error(
                        key,
                        format!(
                            "a PKCS12 truststore cannot be read by librdkafka; extract its \
                                 certificates as PEM (openssl pkcs12 -in {value} -nokeys -out \
                                 ca.pem) and set ssl.truststore.type=PEM"
                        ),
                    ));
                }
                other => return Err(jks(key, value, other, "truststore")),
            },
            "ssl.truststore.certificates" => {
                out.insert("ssl.ca.pem".to_owned(), value.clone());
            }
            "ssl.keystore.location" => match store_type(props, "ssl.keystore.type").as_str() {
                "PKCS12" => {
                    out.insert(key.clone(), value.clone());
                    if let Some(p) = props.get("ssl.keystore.password") {
                        out.insert("ssl.keystore.password".to_owned(), p.clone());
                    }
                }
                "PEM" => {
                    out.insert("ssl.certificate.location".to_owned(), value.clone());
                    out.insert("ssl.key.location".to_owned(), value.clone());
                }
                other => return Err(jks(key, value, other, "keystore")),
            },
            "ssl.keystore.password" => {} // with ssl.keystore.location
            "ssl.keystore.key" => {
                out.insert("ssl.key.pem".to_owned(), value.clone());
            }
            "ssl.keystore.certificate.chain" => {
                out.insert("ssl.certificate.pem".to_owned(), value.clone());
            }
            "ssl.endpoint.identification.algorithm" => {
                let v = value.trim();
                let mapped = if v.is_empty() { "none" } else { v };
                out.insert(key.clone(), mapped.to_ascii_lowercase());
            }
            k if JAVA_ONLY.contains(&k) => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(out)
}

/// The worker's own clients' security settings (its top-level `security.protocol`, `sasl.*`
/// and `ssl.*` keys, as Kafka Connect's internal topic clients and group membership take
/// them), in librdkafka's terms.
pub fn worker_client_settings(worker: &Properties) -> Result<Properties, SecurityError> {
    translate(&worker_security_keys(worker))
}

/// The worker's top-level `security.protocol`, `sasl.*` and `ssl.*` keys, as written.
pub fn worker_security_keys(worker: &Properties) -> Properties {
    worker
        .iter()
        .filter(|(k, _)| {
            k.as_str() == "security.protocol" || k.starts_with("sasl.") || k.starts_with("ssl.")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A store's type in upper case; Java's default is JKS.
fn store_type(props: &Properties, key: &str) -> String {
    props
        .get(key)
        .map_or("JKS", |t| t.trim())
        .to_ascii_uppercase()
}

fn jks(key: &str, path: &str, kind: &str, store: &str) -> SecurityError {
    SecurityError {
        key: key.to_owned(),
        message: format!(
            "a {kind} {store} cannot be read by librdkafka; convert it to PKCS12 (keytool \
             -importkeystore -srckeystore {path} -destkeystore {store}.p12 -deststoretype PKCS12) \
             and set ssl.{store}.type=PKCS12, or use PEM"
        ),
    }
}

/// The login module class and its options of a `sasl.jaas.config` value:
/// `<class> required key="value" ...;`.
fn parse_jaas(text: &str) -> Result<(String, Vec<(String, String)>), String> {
    let text = text.trim().trim_end_matches(';').trim();
    let mut chars = text.chars().peekable();
    let mut class = String::new();
    while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
        class.push(c);
    }
    let mut words = String::new();
    while let Some(c) = chars.next_if(|c| c.is_whitespace()) {
        let _ = c;
    }
    while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
        words.push(c);
    }
    if class.is_empty()
        || !matches!(
            words.as_str(),
            "required" | "requisite" | "sufficient" | "optional"
        )
    {
        return Err("expected '<LoginModule class> required key=\"value\" ...;'".to_owned());
    }
    let mut options = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            name.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("option '{name}' has no '='"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("option '{name}' has no closing quote")),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                value.push(c);
            }
        }
        options.push((name, value));
    }
    Ok((class, options))
}

/// librdkafka's settings for a JAAS login.
fn jaas(text: &str, mechanism: &str, props: &Properties) -> Result<Vec<(String, String)>, String> {
    let (class, options) = parse_jaas(text)?;
    let option = |name: &str| {
        options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let simple = class.rsplit('.').next().unwrap_or(&class);
    match simple {
        "PlainLoginModule" | "ScramLoginModule" => {
            let user = option("username").ok_or("the login module has no username option")?;
            let password = option("password").ok_or("the login module has no password option")?;
            Ok(vec![
                ("sasl.username".to_owned(), user),
                ("sasl.password".to_owned(), password),
            ])
        }
        "OAuthBearerLoginModule" if props.contains_key("sasl.oauthbearer.token.endpoint.url") => {
            let mut out = Vec::new();
            for (java, rdkafka) in [
                ("clientId", "sasl.oauthbearer.client.id"),
                ("clientSecret", "sasl.oauthbearer.client.secret"),
                ("scope", "sasl.oauthbearer.scope"),
            ] {
                if let Some(v) = option(java) {
                    out.push((rdkafka.to_owned(), v));
                }
            }
            Ok(out)
        }
        "OAuthBearerLoginModule" => {
            let sub = option("unsecuredLoginStringClaim_sub").ok_or(
                "OAuthBearerLoginModule needs sasl.oauthbearer.token.endpoint.url, or \
                 unsecuredLoginStringClaim_sub for an unsecured token",
            )?;
            Ok(vec![
                (
                    "enable.sasl.oauthbearer.unsecure.jwt".to_owned(),
                    "true".to_owned(),
                ),
                (
                    "sasl.oauthbearer.config".to_owned(),
                    format!("principal={sub}"),
                ),
            ])
        }
        other => Err(format!(
            "login module {other} is not supported with sasl.mechanism={mechanism} (PlainLoginModule, \
             ScramLoginModule and OAuthBearerLoginModule are)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn scram_over_tls_maps_to_librdkafka() {
        let out = translate(&props(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="wharf" password="s3\"cret";"#,
            ),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", "/etc/ca.pem"),
            ("ssl.endpoint.identification.algorithm", ""),
            ("ssl.enabled.protocols", "TLSv1.3"),
            ("linger.ms", "5"),
        ]))
        .unwrap();
        assert_eq!(
            out,
            props(&[
                ("security.protocol", "sasl_ssl"),
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "wharf"),
                ("sasl.password", "s3\"cret"),
                ("ssl.ca.location", "/etc/ca.pem"),
                ("ssl.endpoint.identification.algorithm", "none"),
                ("linger.ms", "5"),
            ])
        );
    }

    #[test]
    fn keystores_map_by_type_and_jks_is_refused_with_the_conversion() {
        let p12 = translate(&props(&[
            ("ssl.keystore.type", "PKCS12"),
            ("ssl.keystore.location", "/k.p12"),
            ("ssl.keystore.password", "pw"),
        ]))
        .unwrap();
        assert_eq!(p12["ssl.keystore.location"], "/k.p12");
        assert_eq!(p12["ssl.keystore.password"], "pw");
        let pem = translate(&props(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", "/k.pem"),
            ("ssl.key.password", "pw"),
        ]))
        .unwrap();
        assert_eq!(pem["ssl.certificate.location"], "/k.pem");
        assert_eq!(pem["ssl.key.location"], "/k.pem");
        assert_eq!(pem["ssl.key.password"], "pw");
        let jks = translate(&props(&[("ssl.truststore.location", "/t.jks")])).unwrap_err();
        assert_eq!(jks.key, "ssl.truststore.location");
        assert!(jks.message.contains("keytool -importkeystore"), "{jks}");
    }

    #[test]
    fn jaas_forms_users_have_parse_or_fail_clearly() {
        let plain = translate(&props(&[(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required\n  username=\"KEY\"\n  password=\"SECRET\";",
        )]))
        .unwrap();
        assert_eq!(plain["sasl.username"], "KEY");
        assert_eq!(plain["sasl.password"], "SECRET");
        let oauth = translate(&props(&[
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"id\" clientSecret=\"s\";",
            ),
        ]))
        .unwrap();
        assert_eq!(oauth["sasl.oauthbearer.method"], "oidc");
        assert_eq!(oauth["sasl.oauthbearer.client.id"], "id");
        let bad = translate(&props(&[(
            "sasl.jaas.config",
            "com.example.Kerberos required;",
        )]))
        .unwrap_err();
        assert!(bad.message.contains("not supported"), "{bad}");
        let garbled = translate(&props(&[(
            "sasl.jaas.config",
            "PlainLoginModule username=x",
        )]))
        .unwrap_err();
        assert!(garbled.message.contains("required"), "{garbled}");
    }
}
