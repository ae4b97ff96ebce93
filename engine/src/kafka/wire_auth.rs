//! TLS and SASL for the [`wire`](super::wire) client, from the same Kafka Connect keys librdkafka's
//! clients take ([`super::security`]): `security.protocol` (`SSL`, `SASL_SSL`,
//! `SASL_PLAINTEXT`), `sasl.mechanism` (`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`) with
//! `sasl.jaas.config`, `ssl.truststore.location` (PEM) or `ssl.truststore.certificates`, a PEM
//! client certificate (`ssl.keystore.type=PEM`: `ssl.keystore.location`, or
//! `ssl.keystore.certificate.chain` with `ssl.keystore.key`) for mutual TLS, and
//! `ssl.endpoint.identification.algorithm` (empty: the certificate is checked against the CA but
//! not the host name, as the Java client does). librdkafka's spelling of the same settings
//! (`sasl.username` / `sasl.password`, `ssl.ca.location`, `ssl.ca.pem`) is read too, for a
//! client config already translated by [`super::security::translate`].
//!
//! TLS is rustls; without a truststore the platform's CAs are trusted. SASL is Kafka's
//! SaslHandshake v1 then SaslAuthenticate: PLAIN sends `\0user\0password`; SCRAM is RFC 5802
//! (client-first, server-first, client-final with the proof, and the server's signature
//! checked), over PBKDF2-HMAC of the mechanism's hash.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use connect_api::config::Properties;
use ring::{digest, hmac, pbkdf2, rand::SecureRandom};

/// How the wire client reaches brokers.
#[derive(Clone, Default)]
pub struct WireSecurity {
    tls: Option<Arc<rustls::ClientConfig>>,
    sasl: Option<Sasl>,
}

/// Equal when both use the same TLS settings (the same value, cloned) and the same login.
impl PartialEq for WireSecurity {
    fn eq(&self, other: &Self) -> bool {
        let tls = match (&self.tls, &other.tls) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        tls && self.sasl == other.sasl
    }
}

impl Eq for WireSecurity {}

impl std::fmt::Debug for WireSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireSecurity")
            .field("tls", &self.tls.is_some())
            .field("sasl", &self.sasl.as_ref().map(|s| s.mechanism))
            .finish()
    }
}

/// A SASL login.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Sasl {
    pub(super) mechanism: Mechanism,
    username: String,
    password: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl Mechanism {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

fn bad(key: &str, message: impl Into<String>) -> super::security::SecurityError {
    super::security::SecurityError {
        key: key.to_owned(),
        message: message.into(),
    }
}

impl WireSecurity {
    /// From a client's keys (Kafka Connect's names, prefixes already taken off).
    pub fn from_props(props: &Properties) -> Result<Self, super::security::SecurityError> {
        let protocol = props
            .get("security.protocol")
            .map_or("PLAINTEXT", |p| p.trim())
            .to_ascii_uppercase();
        let (tls, sasl) = match protocol.as_str() {
            "PLAINTEXT" => (false, false),
            "SSL" => (true, false),
            "SASL_PLAINTEXT" => (false, true),
            "SASL_SSL" => (true, true),
            other => {
                return Err(bad(
                    "security.protocol",
                    format!(
                        "Invalid value {other}: one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"
                    ),
                ));
            }
        };
        Ok(Self {
            tls: if tls {
                Some(Arc::new(tls_config(props)?))
            } else {
                None
            },
            sasl: if sasl { Some(sasl_login(props)?) } else { None },
        })
    }

    /// Whether connections use TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    pub(super) fn sasl(&self) -> Option<&Sasl> {
        self.sasl.as_ref()
    }

    /// Wraps a connected socket in TLS when configured (the handshake happens on first use).
    pub(super) fn wrap(&self, tcp: TcpStream, host: &str) -> Result<Stream, String> {
        let Some(config) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| format!("{host} is not a TLS server name: {e}"))?;
        let conn = rustls::ClientConnection::new(Arc::clone(config), name)
            .map_err(|e| format!("TLS with {host}: {e}"))?;
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        // Handshake now, so a refused certificate is named here and not as a broken read.
        while stream.conn.is_handshaking() {
            stream
                .conn
                .complete_io(&mut stream.sock)
                .map_err(|e| format!("TLS handshake with {host} failed: {e}"))?;
        }
        Ok(Stream::Tls(Box::new(stream)))
    }
}

/// A connection's byte stream.
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "Plain",
            Self::Tls(_) => "Tls",
        })
    }
}

impl Stream {
    pub(super) fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(s) => s,
            Self::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
        }
    }
}

fn pem_certs(
    key: &str,
    pem: &[u8],
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, super::security::SecurityError> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(key, format!("not PEM certificates: {e}")))
}

fn read_file(key: &str, path: &str) -> Result<Vec<u8>, super::security::SecurityError> {
    std::fs::read(path).map_err(|e| bad(key, format!("cannot read {path}: {e}")))
}

fn tls_config(props: &Properties) -> Result<rustls::ClientConfig, super::security::SecurityError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let trusted = match (
        props.get("ssl.truststore.location"),
        props
            .get("ssl.truststore.certificates")
            .or_else(|| props.get("ssl.ca.pem")),
    ) {
        // librdkafka's spelling (a client config already translated): a PEM file.
        (None, None) if props.contains_key("ssl.ca.location") => Some(pem_certs(
            "ssl.ca.location",
            &read_file("ssl.ca.location", &props["ssl.ca.location"])?,
        )?),
        (Some(path), _) => {
            let kind = props
                .get("ssl.truststore.type")
                .map_or("JKS", |t| t.trim())
                .to_ascii_uppercase();
            if kind != "PEM" {
                return Err(bad(
                    "ssl.truststore.type",
                    format!(
                        "{kind} truststores are not read here; use a PEM file (ssl.truststore.type=PEM)"
                    ),
                ));
            }
            Some(pem_certs(
                "ssl.truststore.location",
                &read_file("ssl.truststore.location", path)?,
            )?)
        }
        (None, Some(pem)) => Some(pem_certs("ssl.truststore.certificates", pem.as_bytes())?),
        (None, None) => None,
    };
    let verify_host = props
        .get("ssl.endpoint.identification.algorithm")
        .is_none_or(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("none"));
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("ssl.protocol", e.to_string()))?;
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match trusted {
        Some(certs) => {
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| bad("ssl.truststore.location", e.to_string()))?;
            }
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                Arc::clone(&provider),
            )
            .build()
            .map_err(|e| bad("ssl.truststore.location", e.to_string()))?;
            if verify_host {
                inner
            } else {
                Arc::new(NoHostname(inner))
            }
        }
        None => {
            let inner: Arc<dyn rustls::client::danger::ServerCertVerifier> = Arc::new(
                rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
                    .map_err(|e| bad("ssl.truststore.location", e.to_string()))?,
            );
            if verify_host {
                inner
            } else {
                return Err(bad(
                    "ssl.endpoint.identification.algorithm",
                    "turning host name checks off needs a truststore (ssl.truststore.location)",
                ));
            }
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let client_cert = client_certificate(props)?;
    Ok(match client_cert {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| bad("ssl.keystore.location", e.to_string()))?,
        None => builder.with_no_client_auth(),
    })
}

type ClientCert = (
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
);

/// A PEM client certificate and key, for mutual TLS.
fn client_certificate(
    props: &Properties,
) -> Result<Option<ClientCert>, super::security::SecurityError> {
    use rustls::pki_types::pem::PemObject;
    let pem = match (
        props.get("ssl.keystore.location"),
        props.get("ssl.keystore.certificate.chain"),
    ) {
        (Some(path), _) => {
            let kind = props
                .get("ssl.keystore.type")
                .map_or("JKS", |t| t.trim())
                .to_ascii_uppercase();
            if kind != "PEM" {
                return Err(bad(
                    "ssl.keystore.type",
                    format!(
                        "{kind} keystores are not read by the group client; use PEM (ssl.keystore.type=PEM)"
                    ),
                ));
            }
            let text = read_file("ssl.keystore.location", path)?;
            (text.clone(), text)
        }
        (None, Some(chain)) => (
            chain.as_bytes().to_vec(),
            props
                .get("ssl.keystore.key")
                .map(|k| k.as_bytes().to_vec())
                .ok_or_else(|| {
                    bad(
                        "ssl.keystore.key",
                        "ssl.keystore.certificate.chain needs ssl.keystore.key",
                    )
                })?,
        ),
        (None, None) => return Ok(None),
    };
    let chain = pem_certs("ssl.keystore.location", &pem.0)?;
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&pem.1).map_err(|e| {
        bad(
            "ssl.keystore.location",
            format!("no unencrypted private key in PEM: {e}"),
        )
    })?;
    Ok(Some((chain, key)))
}

/// Checks the chain against the CA, and not the host name
/// (`ssl.endpoint.identification.algorithm=`).
#[derive(Debug)]
struct NoHostname(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for NoHostname {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

fn sasl_login(props: &Properties) -> Result<Sasl, super::security::SecurityError> {
    let mechanism = match props
        .get("sasl.mechanism")
        .map_or("GSSAPI", |m| m.trim())
        .to_ascii_uppercase()
        .as_str()
    {
        "PLAIN" => Mechanism::Plain,
        "SCRAM-SHA-256" => Mechanism::ScramSha256,
        "SCRAM-SHA-512" => Mechanism::ScramSha512,
        other => {
            return Err(bad(
                "sasl.mechanism",
                format!(
                    "{other} is not supported by the group client (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)"
                ),
            ));
        }
    };
    // librdkafka's spelling (a client config already translated) names the login directly.
    let translated = match props.get("sasl.jaas.config") {
        Some(jaas) => super::security::translate(&Properties::from([(
            "sasl.jaas.config".to_owned(),
            jaas.clone(),
        )]))?,
        None if props.contains_key("sasl.username") => props.clone(),
        None => return Err(bad("sasl.jaas.config", "SASL needs sasl.jaas.config")),
    };
    let (Some(username), Some(password)) = (
        translated.get("sasl.username"),
        translated.get("sasl.password"),
    ) else {
        return Err(bad(
            "sasl.jaas.config",
            "PlainLoginModule or ScramLoginModule with username and password expected",
        ));
    };
    Ok(Sasl {
        mechanism,
        username: username.clone(),
        password: password.clone(),
    })
}

/// One SASL exchange: what to send next, given the server's last answer.
pub(super) enum Exchange {
    Plain { sent: bool },
    Scram(Scram),
}

impl Sasl {
    pub(super) fn start(&self) -> Exchange {
        match self.mechanism {
            Mechanism::Plain => Exchange::Plain { sent: false },
            Mechanism::ScramSha256 | Mechanism::ScramSha512 => {
                Exchange::Scram(Scram::new(self.mechanism, &self.username, &self.password))
            }
        }
    }

    pub(super) fn plain_bytes(&self) -> Vec<u8> {
        format!("\0{}\0{}", self.username, self.password).into_bytes()
    }
}

impl Exchange {
    /// The next message to send, given the server's answer to the last one (`None` before the
    /// first); `Ok(None)` once the login is done.
    pub(super) fn next(
        &mut self,
        sasl: &Sasl,
        server: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, String> {
        match self {
            Self::Plain { sent } => {
                if *sent {
                    Ok(None)
                } else {
                    *sent = true;
                    Ok(Some(sasl.plain_bytes()))
                }
            }
            Self::Scram(scram) => scram.next(server),
        }
    }
}

/// RFC 5802 client state.
pub(super) struct Scram {
    algorithm: (
        &'static digest::Algorithm,
        hmac::Algorithm,
        pbkdf2::Algorithm,
    ),
    password: String,
    nonce: String,
    client_first_bare: String,
    server_signature: Option<Vec<u8>>,
    step: u8,
}

/// `=` and `,` escaped as SCRAM's `saslname`.
fn sasl_name(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

impl Scram {
    fn new(mechanism: Mechanism, username: &str, password: &str) -> Self {
        let mut raw = [0u8; 24];
        // A nonce from the system's generator; should it fail, the time still differs per login.
        if ring::rand::SystemRandom::new().fill(&mut raw).is_err() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            raw[..16].copy_from_slice(&now.to_le_bytes());
        }
        let nonce =
            connect_protocol::config_topic::base64_encode(&raw).replace(['+', '/', '='], "x");
        Self::with_nonce(mechanism, username, password, nonce)
    }

    fn with_nonce(mechanism: Mechanism, username: &str, password: &str, nonce: String) -> Self {
        let algorithm = match mechanism {
            Mechanism::ScramSha256 => (
                &digest::SHA256,
                hmac::HMAC_SHA256,
                pbkdf2::PBKDF2_HMAC_SHA256,
            ),
            _ => (
                &digest::SHA512,
                hmac::HMAC_SHA512,
                pbkdf2::PBKDF2_HMAC_SHA512,
            ),
        };
        Self {
            algorithm,
            password: password.to_owned(),
            client_first_bare: format!("n={},r={nonce}", sasl_name(username)),
            nonce,
            server_signature: None,
            step: 0,
        }
    }

    fn next(&mut self, server: Option<&[u8]>) -> Result<Option<Vec<u8>>, String> {
        use connect_protocol::config_topic::{base64_decode, base64_encode};
        self.step += 1;
        match self.step {
            1 => Ok(Some(format!("n,,{}", self.client_first_bare).into_bytes())),
            2 => {
                let first = std::str::from_utf8(server.unwrap_or_default())
                    .map_err(|_| "the server's SCRAM message is not UTF-8".to_owned())?
                    .to_owned();
                let field = |name: &str| {
                    first
                        .split(',')
                        .find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                        .map(str::to_owned)
                };
                let combined = field("r").ok_or("the server's first SCRAM message has no nonce")?;
                if !combined.starts_with(&self.nonce) {
                    return Err("the server's SCRAM nonce does not extend ours".to_owned());
                }
                let salt = field("s")
                    .and_then(|s| base64_decode(&s))
                    .ok_or("the server's first SCRAM message has no salt")?;
                let iterations: u32 = field("i")
                    .and_then(|i| i.parse().ok())
                    .filter(|i| *i > 0)
                    .ok_or("the server's first SCRAM message has no iteration count")?;
                let (hash, mac, kdf) = self.algorithm;
                let mut salted = vec![0u8; hash.output_len()];
                pbkdf2::derive(
                    kdf,
                    std::num::NonZeroU32::new(iterations).ok_or("zero iterations")?,
                    &salt,
                    self.password.as_bytes(),
                    &mut salted,
                );
                let salted_key = hmac::Key::new(mac, &salted);
                let client_key = hmac::sign(&salted_key, b"Client Key");
                let stored_key = digest::digest(hash, client_key.as_ref());
                let without_proof = format!("c=biws,r={combined}");
                let auth_message = format!("{},{first},{without_proof}", self.client_first_bare);
                let signature = hmac::sign(
                    &hmac::Key::new(mac, stored_key.as_ref()),
                    auth_message.as_bytes(),
                );
                let proof: Vec<u8> = client_key
                    .as_ref()
                    .iter()
                    .zip(signature.as_ref())
                    .map(|(a, b)| a ^ b)
                    .collect();
                let server_key = hmac::sign(&salted_key, b"Server Key");
                self.server_signature = Some(
                    hmac::sign(
                        &hmac::Key::new(mac, server_key.as_ref()),
                        auth_message.as_bytes(),
                    )
                    .as_ref()
                    .to_vec(),
                );
                Ok(Some(
                    format!("{without_proof},p={}", base64_encode(&proof)).into_bytes(),
                ))
            }
            _ => {
                let last = std::str::from_utf8(server.unwrap_or_default()).unwrap_or_default();
                if let Some(e) = last.strip_prefix("e=") {
                    return Err(format!("the server refused the SCRAM login: {e}"));
                }
                let verifier = last
                    .strip_prefix("v=")
                    .and_then(base64_decode)
                    .ok_or("the server's final SCRAM message has no signature")?;
                if Some(verifier) != self.server_signature {
                    return Err("the server's SCRAM signature does not match".to_owned());
                }
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's SCRAM-SHA-256 example (user `user`, password `pencil`).
    #[test]
    fn scram_sha_256_follows_rfc_7677() {
        let mut scram = Scram::with_nonce(
            Mechanism::ScramSha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO".to_owned(),
        );
        assert_eq!(
            scram.next(None).unwrap().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let server_first =
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        assert_eq!(
            String::from_utf8(scram.next(Some(server_first)).unwrap().unwrap()).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(
            scram
                .next(Some(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
                .unwrap(),
            None
        );
        let mut wrong = Scram::with_nonce(
            Mechanism::ScramSha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO".to_owned(),
        );
        wrong.next(None).unwrap();
        wrong.next(Some(server_first)).unwrap();
        assert!(
            wrong.next(Some(b"v=AAAA")).is_err(),
            "a wrong server signature is refused"
        );
    }

    #[test]
    fn security_keys_choose_tls_and_sasl() {
        let props = |pairs: &[(&str, &str)]| -> Properties {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert!(WireSecurity::from_props(&props(&[])).unwrap().tls.is_none());
        let sasl = WireSecurity::from_props(&props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";"),
        ]))
        .unwrap();
        assert_eq!(
            sasl.sasl().map(|s| s.mechanism),
            Some(Mechanism::ScramSha512)
        );
        let gssapi = WireSecurity::from_props(&props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "GSSAPI"),
        ]))
        .unwrap_err();
        assert_eq!(gssapi.key, "sasl.mechanism");
        let jks = WireSecurity::from_props(&props(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.location", "/t.jks"),
        ]))
        .unwrap_err();
        assert_eq!(jks.key, "ssl.truststore.type");
    }
}
