//! Signed internal requests (KIP-507), as Kafka Connect's `InternalRequestSignature` and
//! `DistributedHerder` do them.
//!
//! While the group runs the `sessioned` protocol, the requests workers send each other (a
//! follower's task configs to the leader, `POST /connectors/<c>/tasks`) carry an HMAC of their
//! body made with the cluster's session key: `X-Connect-Authorization: base64(mac)` and
//! `X-Connect-Request-Signature-Algorithm: HmacSHA256`. The leader generates the key and writes
//! it to the config topic (`session-key` record) when there is none, when it has lived
//! `inter.worker.key.ttl.ms`, or when its algorithm or size differs from the leader's config;
//! every worker reads it from there.
//!
//! A request that fails the check gets Kafka Connect's answer ([`SignatureError`]): no key read
//! yet → 503, no signature → 400, an algorithm this worker does not accept → 400, a bad MAC →
//! 403 (compared in constant time). Under `compatible` or `default` nothing is checked.

use std::time::Duration;

use connect_api::config::{Config, Properties};
use connect_protocol::config_topic::{SessionKey, base64_decode, base64_encode};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::keys::distributed as keys;

pub use crate::herder::{ALGORITHM_HEADER, SIGNATURE_HEADER};

/// The JCA name of the one key and signature algorithm wharf generates and signs with.
const HMAC_SHA256: &str = keys::HMAC_SHA256;
/// The key size when `inter.worker.key.size` is not set: the JVM's default for HmacSHA256.
const DEFAULT_KEY_BITS: usize = 256;

/// The MAC for a JCA algorithm name, for those ring implements.
fn mac_algorithm(name: &str) -> Option<hmac::Algorithm> {
    match name {
        "HmacSHA256" => Some(hmac::HMAC_SHA256),
        "HmacSHA384" => Some(hmac::HMAC_SHA384),
        "HmacSHA512" => Some(hmac::HMAC_SHA512),
        "HmacSHA1" => Some(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
        _ => None,
    }
}

/// The worker's `inter.worker.*` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicy {
    /// `inter.worker.key.generation.algorithm`.
    pub key_algorithm: String,
    /// `inter.worker.key.size`, in bits; `None` for the default.
    pub key_bits: Option<usize>,
    /// `inter.worker.key.ttl.ms`.
    pub ttl: Duration,
    /// `inter.worker.signature.algorithm`.
    pub signature_algorithm: String,
    /// `inter.worker.verification.algorithms`.
    pub verification_algorithms: Vec<String>,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            key_algorithm: HMAC_SHA256.to_owned(),
            key_bits: None,
            ttl: Duration::from_millis(3_600_000),
            signature_algorithm: HMAC_SHA256.to_owned(),
            verification_algorithms: vec![HMAC_SHA256.to_owned()],
        }
    }
}

impl KeyPolicy {
    /// From a parsed distributed worker config (the keys are validated there).
    pub fn from_config(config: &Config, props: &Properties) -> Self {
        let default = Self::default();
        let string = |key: &str, default: &str| {
            config
                .string(key)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let key_bits = props
            .get(keys::KEY_SIZE)
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|bits| *bits > 0);
        let ttl = config
            .int(keys::KEY_TTL_MS)
            .and_then(|ms| u64::try_from(ms).ok())
            .map_or(default.ttl, Duration::from_millis);
        let verification_algorithms = props
            .get(keys::VERIFICATION_ALGORITHMS)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or(default.verification_algorithms);
        Self {
            key_algorithm: string(keys::KEY_GENERATION_ALGORITHM, HMAC_SHA256),
            key_bits,
            ttl,
            signature_algorithm: string(keys::SIGNATURE_ALGORITHM, HMAC_SHA256),
            verification_algorithms,
        }
    }

    fn bits(&self) -> usize {
        self.key_bits.unwrap_or(DEFAULT_KEY_BITS)
    }

    /// Whether the leader has to write a new key (`DistributedHerder.checkForKeyRotation`): none
    /// yet, the current one expired at `now_ms`, or its algorithm or length differs from a key
    /// this worker would generate (Kafka Connect compares with a freshly generated key, so the
    /// length is compared also when `inter.worker.key.size` is not set; the JVM's HmacSHA256
    /// default is 32 bytes, as here).
    pub fn needs_new_key(&self, current: Option<&SessionKey>, now_ms: i64) -> bool {
        let Some(key) = current else {
            return true;
        };
        let ttl = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        key.creation_timestamp.saturating_add(ttl) <= now_ms
            || key.algorithm != self.key_algorithm
            || key.key.len() != self.bits().div_ceil(8)
    }

    /// A fresh random key created at `now_ms`.
    pub fn generate(&self, now_ms: i64) -> Result<SessionKey, String> {
        let mut key = vec![0_u8; self.bits().div_ceil(8)];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| "the system's random number generator failed".to_owned())?;
        Ok(SessionKey {
            key,
            algorithm: self.key_algorithm.clone(),
            creation_timestamp: now_ms,
        })
    }

    /// The headers signing `body` with `key` under this worker's signature algorithm.
    pub fn sign(
        &self,
        key: &SessionKey,
        body: &[u8],
    ) -> Result<[(&'static str, String); 2], String> {
        let algorithm = mac_algorithm(&self.signature_algorithm).ok_or_else(|| {
            format!(
                "unsupported signature algorithm {}",
                self.signature_algorithm
            )
        })?;
        let tag = hmac::sign(&hmac::Key::new(algorithm, &key.key), body);
        Ok([
            (SIGNATURE_HEADER, base64_encode(tag.as_ref())),
            (ALGORITHM_HEADER, self.signature_algorithm.clone()),
        ])
    }

    /// Checks a request's signature headers against `body` and the current key
    /// (`DistributedHerder.requestNotSignedProperly`).
    pub fn verify(
        &self,
        key: Option<&SessionKey>,
        signature: Option<&str>,
        algorithm: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let Some(key) = key else {
            return Err(SignatureError::NoKey);
        };
        let (Some(signature), Some(algorithm)) = (signature, algorithm) else {
            return Err(SignatureError::Missing);
        };
        let algorithm = algorithm.trim();
        let mac = self
            .verification_algorithms
            .iter()
            .any(|a| a == algorithm)
            .then(|| mac_algorithm(algorithm))
            .flatten()
            .ok_or_else(|| SignatureError::Algorithm {
                used: algorithm.to_owned(),
                accepted: self.verification_algorithms.join(", "),
            })?;
        let tag = base64_decode(signature.trim()).ok_or(SignatureError::Invalid)?;
        hmac::verify(&hmac::Key::new(mac, &key.key), body, &tag)
            .map_err(|_| SignatureError::Invalid)
    }
}

/// Why an internal request was refused, with Kafka Connect's status and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "This worker is still starting up and has not been able to read a session key from the config topic yet"
    )]
    NoKey,
    #[error("Internal request missing required signature")]
    Missing,
    #[error(
        "This worker does not support the '{used}' key signing algorithm used by other workers. This worker is currently configured to use: {accepted}. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it."
    )]
    Algorithm { used: String, accepted: String },
    #[error("Internal request contained invalid signature.")]
    Invalid,
}

impl SignatureError {
    /// The HTTP status Kafka Connect answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::NoKey => 503,
            Self::Missing | Self::Algorithm { .. } => 400,
            Self::Invalid => 403,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(bytes: &[u8], created: i64) -> SessionKey {
        SessionKey {
            key: bytes.to_vec(),
            algorithm: HMAC_SHA256.to_owned(),
            creation_timestamp: created,
        }
    }

    #[test]
    fn signature_is_javas_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let policy = KeyPolicy::default();
        let [(h1, mac), (h2, algorithm)] = policy
            .sign(&key(b"Jefe", 0), b"what do ya want for nothing?")
            .unwrap();
        assert_eq!(h1, SIGNATURE_HEADER);
        assert_eq!(h2, ALGORITHM_HEADER);
        assert_eq!(algorithm, "HmacSHA256");
        assert_eq!(
            base64_decode(&mac).unwrap(),
            [
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
                0x64, 0xec, 0x38, 0x43
            ]
        );
    }

    #[test]
    fn verification_answers_as_kafka_connect() {
        let policy = KeyPolicy::default();
        let k = key(&[7; 32], 0);
        let body = br#"[{"task.class":"x"}]"#;
        let [(_, mac), (_, algorithm)] = policy.sign(&k, body).unwrap();
        assert_eq!(
            policy.verify(Some(&k), Some(&mac), Some(&algorithm), body),
            Ok(())
        );
        let refused =
            |key: Option<&SessionKey>, mac: Option<&str>, alg: Option<&str>, body: &[u8]| {
                policy.verify(key, mac, alg, body).unwrap_err().status()
            };
        assert_eq!(refused(None, Some(&mac), Some(&algorithm), body), 503);
        assert_eq!(refused(Some(&k), None, Some(&algorithm), body), 400);
        assert_eq!(refused(Some(&k), Some(&mac), Some("HmacSHA512"), body), 400);
        assert_eq!(refused(Some(&k), Some(&mac), Some(&algorithm), b"[]"), 403);
        assert_eq!(
            refused(Some(&k), Some("not base64!"), Some(&algorithm), body),
            403
        );
        let other = key(&[8; 32], 0);
        assert_eq!(
            refused(Some(&other), Some(&mac), Some(&algorithm), body),
            403
        );
    }

    #[test]
    fn the_leader_rotates_missing_expired_and_mismatched_keys() {
        let policy = KeyPolicy::default();
        let hour = 3_600_000;
        assert!(policy.needs_new_key(None, 0));
        let k = policy.generate(1_000).unwrap();
        assert_eq!(k.key.len(), 32);
        assert_eq!(k.algorithm, "HmacSHA256");
        assert!(!policy.needs_new_key(Some(&k), 1_000 + hour - 1));
        assert!(policy.needs_new_key(Some(&k), 1_000 + hour));
        let short = key(&[1; 16], 1_000);
        assert!(
            policy.needs_new_key(Some(&short), 1_001),
            "a 128-bit key is not the default 256-bit one"
        );
        let sized = KeyPolicy {
            key_bits: Some(128),
            ..KeyPolicy::default()
        };
        assert!(!sized.needs_new_key(Some(&short), 1_001));
        assert!(sized.needs_new_key(Some(&k), 1_001));
        let other_algorithm = SessionKey {
            algorithm: "HmacSHA512".to_owned(),
            ..k.clone()
        };
        assert!(policy.needs_new_key(Some(&other_algorithm), 1_001));
        assert_ne!(
            policy.generate(0).unwrap().key,
            policy.generate(0).unwrap().key
        );
    }
}
