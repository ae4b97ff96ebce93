//! HTTPS for the REST API (`listeners=https://host:port`), with Kafka Connect's keys: the
//! `listeners.https.ssl.*` settings, else the worker's `ssl.*` ones, as Kafka Connect's
//! `RestServer` falls back:
//!
//! - `ssl.keystore.type=PEM` with `ssl.keystore.location` (a PEM file holding the certificate
//!   chain and the unencrypted private key), or `ssl.keystore.certificate.chain` and
//!   `ssl.keystore.key` inline. A JKS or PKCS12 keystore is refused with the command that
//!   converts it.
//! - `ssl.client.auth=required|requested|none` with `ssl.truststore.location` (PEM) for mutual
//!   TLS.
//!
//! The same truststore is what the worker trusts when it calls other workers (forwarded requests,
//! task configs, fencing), as Kafka Connect's `RestClient` does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use connect_api::config::Properties;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A handshake that takes longer is dropped, so one slow client cannot hold the listener.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The prefix of the REST listeners' own TLS settings.
pub const LISTENERS_PREFIX: &str = "listeners.https.";
/// The prefix of the admin listeners' own TLS settings.
pub const ADMIN_LISTENERS_PREFIX: &str = "admin.listeners.https.";

/// `<prefix><key>`, else `<key>`.
fn setting<'a>(worker: &'a Properties, prefix: &str, key: &str) -> Option<&'a str> {
    worker
        .get(&format!("{prefix}{key}"))
        .or_else(|| worker.get(key))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether the first of the URIs in worker key `listeners_key` is `https://`.
pub fn first_is_https(worker: &Properties, listeners_key: &str) -> bool {
    worker
        .get(listeners_key)
        .and_then(|l| connect_api::config::split_list(l).into_iter().next())
        .is_some_and(|l| l.trim().to_ascii_lowercase().starts_with("https://"))
}

/// Whether the first listener is `https://`.
pub fn is_https(worker: &Properties) -> bool {
    first_is_https(worker, "listeners")
}

fn certs(what: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what}: not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{what}: no certificate in it"));
    }
    Ok(certs)
}

fn read(key: &str, path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{key}: cannot read {path}: {e}"))
}

/// The PEM truststore of `ssl.truststore.location` (or `.certificates`), if any.
fn truststore(
    worker: &Properties,
    prefix: &str,
) -> Result<Option<Vec<CertificateDer<'static>>>, String> {
    let kind = setting(worker, prefix, "ssl.truststore.type")
        .unwrap_or("JKS")
        .to_ascii_uppercase();
    match (
        setting(worker, prefix, "ssl.truststore.location"),
        setting(worker, prefix, "ssl.truststore.certificates"),
    ) {
        (Some(path), _) if kind == "PEM" => Ok(Some(certs(
            "ssl.truststore.location",
            &read("ssl.truststore.location", path)?,
        )?)),
        (Some(path), _) => Err(format!(
            "ssl.truststore.type: a {kind} truststore is not read here; extract its certificates \
             as PEM (keytool -exportcert -rfc -keystore {path}, or openssl pkcs12 -in {path} \
             -nokeys) and set ssl.truststore.type=PEM"
        )),
        (None, Some(pem)) => Ok(Some(certs("ssl.truststore.certificates", pem.as_bytes())?)),
        (None, None) => Ok(None),
    }
}

/// The server's TLS settings for an `https://` listener.
pub fn server_config(worker: &Properties) -> Result<Arc<rustls::ServerConfig>, String> {
    server_config_for(worker, LISTENERS_PREFIX)
}

/// The server's TLS settings for an `https://` listener whose own settings carry `prefix`
/// ([`LISTENERS_PREFIX`], [`ADMIN_LISTENERS_PREFIX`]).
pub fn server_config_for(
    worker: &Properties,
    prefix: &str,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let kind = setting(worker, prefix, "ssl.keystore.type")
        .unwrap_or("JKS")
        .to_ascii_uppercase();
    let (chain, key): (Vec<u8>, Vec<u8>) = match (
        setting(worker, prefix, "ssl.keystore.location"),
        setting(worker, prefix, "ssl.keystore.certificate.chain"),
    ) {
        (Some(path), _) if kind == "PEM" => {
            let pem = read("ssl.keystore.location", path)?;
            (pem.clone(), pem)
        }
        (Some(path), _) => {
            return Err(format!(
                "ssl.keystore.type: a {kind} keystore is not read here; convert it to PEM \
                 (openssl pkcs12 -in {path} -nodes -out rest.pem, after keytool \
                 -importkeystore -deststoretype PKCS12 for JKS) and set ssl.keystore.type=PEM"
            ));
        }
        (None, Some(chain)) => (
            chain.as_bytes().to_vec(),
            setting(worker, prefix, "ssl.keystore.key")
                .ok_or("ssl.keystore.certificate.chain needs ssl.keystore.key")?
                .as_bytes()
                .to_vec(),
        ),
        (None, None) => {
            let listeners = prefix.trim_end_matches(".https.");
            return Err(format!(
                "{listeners}: an https:// listener needs {prefix}ssl.keystore.location (PEM)"
            ));
        }
    };
    let chain = certs("ssl.keystore.location", &chain)?;
    let key = PrivateKeyDer::from_pem_slice(&key)
        .map_err(|e| format!("ssl.keystore.location: no unencrypted private key in PEM: {e}"))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let client_auth = setting(worker, prefix, "ssl.client.auth")
        .unwrap_or("none")
        .to_ascii_lowercase();
    let builder =
        match client_auth.as_str() {
            "none" => builder.with_no_client_auth(),
            "required" | "requested" => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in truststore(worker, prefix)?.ok_or(
                "ssl.client.auth needs ssl.truststore.location (PEM) to check client certificates",
            )? {
                roots.add(cert).map_err(|e| format!("ssl.truststore.location: {e}"))?;
            }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                );
                let verifier = if client_auth == "requested" {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                builder.with_client_cert_verifier(
                    verifier
                        .build()
                        .map_err(|e| format!("ssl.truststore.location: {e}"))?,
                )
            }
            other => {
                return Err(format!(
                    "ssl.client.auth: Invalid value {other}: one of none, requested, required"
                ));
            }
        };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| format!("ssl.keystore.location: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The certificates a worker trusts when it calls other workers' REST APIs (the HTTPS
/// listener's truststore), for reqwest.
pub fn client_roots(worker: &Properties) -> Result<Vec<reqwest::Certificate>, String> {
    let Some(certs) = truststore(worker, LISTENERS_PREFIX)? else {
        return Ok(Vec::new());
    };
    certs
        .iter()
        .map(|c| reqwest::Certificate::from_der(c.as_ref()).map_err(|e| e.to_string()))
        .collect()
}

/// A TCP listener that hands axum TLS streams; a failed or slow handshake is logged and
/// skipped.
pub struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener").finish_non_exhaustive()
    }
}

impl TlsListener {
    pub fn new(tcp: tokio::net::TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        Self {
            tcp,
            acceptor: tokio_rustls::TlsAcceptor::from(config),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, peer) = match self.tcp.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(message = "REST API: accepting a connection failed.", error = %e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => return (stream, peer),
                Ok(Err(e)) => {
                    tracing::info!(message = "REST API: a TLS handshake failed.", peer = %peer, error = %e)
                }
                Err(_) => {
                    tracing::info!(message = "REST API: a TLS handshake timed out.", peer = %peer)
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
