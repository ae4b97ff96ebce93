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

/// Shorter values are not searched for: replacing every `1` or `on` in a message would hide
/// what it says and nothing secret.
const SHORTEST_REDACTED: usize = 4;

/// The secret values one task knows — what its config provider placeholders resolved to, the
/// values of its (and its worker's) secret keys, the `password="..."` options of a JAAS config —
/// and a text with each of them replaced by [`HIDDEN`]: status traces, the task's error logs and
/// the DLQ's `__connect.errors.*` headers go through it, since an error message may quote a
/// config value (a path, a field name) that came from a secret.
#[derive(Default)]
pub struct Secrets {
    /// Longest first, so a secret holding another is replaced whole.
    values: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    /// `substituted`: what placeholders resolved to; `configs`: the resolved configs whose
    /// secret keys' values are secrets too.
    pub fn new<'a>(
        substituted: impl IntoIterator<Item = String>,
        configs: impl IntoIterator<Item = &'a connect_api::config::Properties>,
    ) -> Self {
        let mut values: Vec<String> = substituted.into_iter().collect();
        for config in configs {
            for (_, value) in config.iter().filter(|(k, _)| is_secret(k)) {
                values.extend(jaas_secrets(value));
                values.push(value.clone());
            }
        }
        values.retain(|v| v.trim().len() >= SHORTEST_REDACTED);
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        Self { values }
    }

    /// `text` with every secret value replaced by [`HIDDEN`].
    pub fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let mut out = std::borrow::Cow::Borrowed(text);
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = std::borrow::Cow::Owned(out.replace(value.as_str(), HIDDEN));
            }
        }
        out
    }
}

/// The values of a JAAS config's options that hold a secret (`password="..."`,
/// `clientSecret="..."`): an error may quote one of them alone.
fn jaas_secrets(value: &str) -> impl Iterator<Item = String> + '_ {
    value.split_whitespace().filter_map(|option| {
        let (name, quoted) = option.split_once('=')?;
        let name = name.to_ascii_lowercase();
        if !(name.contains("password") || name.contains("secret")) {
            return None;
        }
        let quoted = quoted.trim_end_matches(';');
        Some(quoted.trim_matches('"').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_wherever_they_appear() {
        let config: connect_api::config::Properties = [
            ("file", "/data/out.txt"),
            ("connection.password", "hunter22"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"s3cr3t-pw\";",
            ),
            ("ssl.key.password", "abc"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let secrets = Secrets::new(["/secret/dir".to_owned(), "ab".to_owned()], [&config]);
        assert_eq!(
            secrets.redact("cannot open /secret/dir/x: login hunter22 failed, s3cr3t-pw refused"),
            "cannot open [hidden]/x: login [hidden] failed, [hidden] refused"
        );
        // Too short to search for, and not secret: left alone.
        assert_eq!(
            secrets.redact("abc ab /data/out.txt"),
            "abc ab /data/out.txt"
        );
        assert!(matches!(
            secrets.redact("nothing here"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

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
