//! The keys whose values are secrets: Kafka's `PASSWORD`-typed settings (SSL and SASL, the
//! schema registry's credentials) under any prefix (`producer.override.`, `value.converter.`,
//! `admin.`, ...), and any key whose last part is `password` or `secret`. Their values are shown
//! as [`HIDDEN`] wherever wharf shows a config: validate answers and error messages.

/// What a secret value reads as, as Java's `Password.toString()`.
pub const HIDDEN: &str = "[hidden]";

/// Kafka's `PASSWORD`-typed keys (clients' SSL and SASL settings, the Confluent serdes'
/// registry credentials).
const PASSWORD_KEYS: &[&str] = &[
    "sasl.jaas.config",
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.truststore.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.certificates",
    "basic.auth.user.info",
    "bearer.auth.token",
    "bearer.auth.client.secret",
];

/// Whether `key`'s value is a secret.
pub fn is_secret(key: &str) -> bool {
    let key = key.trim();
    let ends_with = |s: &str| key == s || key.strip_suffix(s).is_some_and(|p| p.ends_with('.'));
    PASSWORD_KEYS.iter().any(|k| ends_with(k)) || ends_with("password") || ends_with("secret")
}

/// `value`, or [`HIDDEN`] when `key` holds a secret.
pub fn shown<'a>(key: &str, value: &'a str) -> &'a str {
    if is_secret(key) { HIDDEN } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafkas_password_keys_are_secret_under_any_prefix() {
        for key in [
            "sasl.jaas.config",
            "producer.override.sasl.jaas.config",
            "consumer.ssl.truststore.password",
            "value.converter.basic.auth.user.info",
            "connection.password",
            "password",
            "oauth.client.secret",
        ] {
            assert!(is_secret(key), "{key}");
        }
        for key in [
            "topics",
            "file",
            "ssl.truststore.location",
            "passwordless",
            "basic.auth.credentials.source",
        ] {
            assert!(!is_secret(key), "{key}");
        }
        assert_eq!(shown("ssl.key.password", "x"), HIDDEN);
        assert_eq!(shown("file", "x"), "x");
    }
}
