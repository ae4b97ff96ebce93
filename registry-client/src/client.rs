//! The registry client: one method per REST call, caches in front of the immutable lookups.

use std::fmt;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde::Serialize;

use crate::cache::{Lru, SingleFlight, lock};
use crate::config::{ConfigError, Endpoint, RegistryConfig};
use crate::error::{RegistryError, Target};
use crate::transport::{Answer, Call, Transport};
use crate::types::{
    CompatibilityLevel, CompatibilityResponse, ConfigRequest, ConfigResponse, IdResponse,
    RegisteredSchema, Schema, SchemaRequest, SchemaResponse, SubjectVersionResponse, Version,
};

/// Key of the (subject, schema) → id cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SubjectSchema {
    subject: String,
    schema: Schema,
}

/// A Confluent Schema Registry client. Cheap to clone; clones share caches and connections.
///
/// Futures returned by its methods are `Send` and need a tokio reactor and timer (a runtime
/// built with `enable_all()`; timeouts and backoff use tokio's timer): run them on that runtime,
/// or on a glommio shard that has entered its handle.
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    /// Ids never change meaning, so id → schema is safe to cache without expiry.
    schemas: Mutex<Lru<u32, Arc<Schema>>>,
    /// A schema's id under a subject; dropped when the subject or a version is deleted.
    ids: Mutex<Lru<SubjectSchema, u32>>,
    schema_loads: SingleFlight<u32, Arc<Schema>>,
    /// Registering and looking up share the id cache but not their in-flight calls: a lookup
    /// must not answer a register by failing with "not found", nor a register a lookup.
    registrations: SingleFlight<SubjectSchema, u32>,
    lookups: SingleFlight<SubjectSchema, u32>,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<&str> = self.endpoints().iter().map(|e| e.url.as_str()).collect();
        f.debug_struct("RegistryClient")
            .field("urls", &urls)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client for `config`. Fails only if the HTTP client cannot be built or no URL is set.
    pub fn new(config: &RegistryConfig) -> Result<Self, RegistryError> {
        let capacity = config.cache_capacity;
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                transport: Transport::new(config)?,
                schemas: Mutex::new(Lru::new(capacity)),
                ids: Mutex::new(Lru::new(capacity)),
                schema_loads: SingleFlight::new(),
                registrations: SingleFlight::new(),
                lookups: SingleFlight::new(),
            }),
        })
    }

    /// A client from Kafka Connect style properties (see [`crate::config`] for the keys).
    pub fn from_props<I, K, V>(props: I) -> Result<Self, ClientBuildError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let config = RegistryConfig::from_props(props)?;
        Ok(Self::new(&config)?)
    }

    /// The registries this client talks to, in failover order.
    pub fn endpoints(&self) -> &[Endpoint] {
        self.inner.transport.endpoints()
    }

    /// Registers `schema` under `subject` (`POST /subjects/{s}/versions`) and returns its id.
    /// Registering an already registered schema returns the existing id. Cached.
    pub async fn register(&self, subject: &str, schema: &Schema) -> Result<u32, RegistryError> {
        let key = SubjectSchema {
            subject: subject.to_owned(),
            schema: schema.clone(),
        };
        if let Some(id) = lock(&self.inner.ids).get(&key) {
            return Ok(id);
        }
        self.inner
            .registrations
            .run(key.clone(), move || async move {
                let path = ["subjects", subject, "versions"];
                let answer = self
                    .send(
                        Method::POST,
                        &path,
                        &[],
                        Some(&SchemaRequest::from(schema)),
                        Target::subject(subject),
                    )
                    .await?;
                let id = answer.json::<IdResponse>()?.id;
                lock(&self.inner.ids).insert(key, id);
                Ok(id)
            })
            .await
    }

    /// The id of `schema` under `subject` without registering it (`POST /subjects/{s}`). Cached;
    /// a miss is [`RegistryError::SchemaNotFound`] or [`RegistryError::SubjectNotFound`].
    pub async fn lookup_id(&self, subject: &str, schema: &Schema) -> Result<u32, RegistryError> {
        let key = SubjectSchema {
            subject: subject.to_owned(),
            schema: schema.clone(),
        };
        if let Some(id) = lock(&self.inner.ids).get(&key) {
            return Ok(id);
        }
        self.inner
            .lookups
            .run(key.clone(), move || async move {
                let found = self.lookup_uncached(subject, schema).await?;
                lock(&self.inner.ids).insert(key, found.id);
                Ok(found.id)
            })
            .await
    }

    /// The version and id of `schema` under `subject` (`POST /subjects/{s}`). Always asks the
    /// registry, as versions change when versions are deleted; fills both caches with the answer.
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &Schema,
    ) -> Result<RegisteredSchema, RegistryError> {
        let found = self.lookup_uncached(subject, schema).await?;
        lock(&self.inner.ids).insert(
            SubjectSchema {
                subject: subject.to_owned(),
                schema: schema.clone(),
            },
            found.id,
        );
        Ok(found)
    }

    async fn lookup_uncached(
        &self,
        subject: &str,
        schema: &Schema,
    ) -> Result<RegisteredSchema, RegistryError> {
        let answer = self
            .send(
                Method::POST,
                &["subjects", subject],
                &[],
                Some(&SchemaRequest::from(schema)),
                Target::subject(subject),
            )
            .await?;
        Ok(self.remember(answer.json::<SubjectVersionResponse>()?.into()))
    }

    /// The schema with this id (`GET /schemas/ids/{id}`), as decoders need it. Cached; concurrent
    /// misses for one id make one request.
    pub async fn schema_by_id(&self, id: u32) -> Result<Arc<Schema>, RegistryError> {
        if let Some(schema) = lock(&self.inner.schemas).get(&id) {
            return Ok(schema);
        }
        self.inner
            .schema_loads
            .run(id, move || async move {
                let text = id.to_string();
                let target = Target {
                    id: Some(id),
                    ..Target::default()
                };
                let answer = self
                    .send::<()>(Method::GET, &["schemas", "ids", &text], &[], None, target)
                    .await?;
                let schema = Arc::new(Schema::from(answer.json::<SchemaResponse>()?));
                lock(&self.inner.schemas).insert(id, schema.clone());
                Ok(schema)
            })
            .await
    }

    /// All subjects (`GET /subjects`), soft-deleted ones left out.
    pub async fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        self.send::<()>(Method::GET, &["subjects"], &[], None, Target::default())
            .await?
            .json()
    }

    /// The versions of `subject` (`GET /subjects/{s}/versions`).
    pub async fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        let path = ["subjects", subject, "versions"];
        self.send::<()>(Method::GET, &path, &[], None, Target::subject(subject))
            .await?
            .json()
    }

    /// One version of `subject` (`GET /subjects/{s}/versions/{v}`); fills the id → schema cache.
    pub async fn version(
        &self,
        subject: &str,
        version: Version,
    ) -> Result<RegisteredSchema, RegistryError> {
        let v = version.to_string();
        let target = Target {
            subject: Some(subject),
            version: Some(&v),
            id: None,
        };
        let answer = self
            .send::<()>(
                Method::GET,
                &["subjects", subject, "versions", &v],
                &[],
                None,
                target,
            )
            .await?;
        Ok(self.remember(answer.json::<SubjectVersionResponse>()?.into()))
    }

    /// The newest version of `subject`. Not cached: it changes with every registration.
    pub async fn latest(&self, subject: &str) -> Result<RegisteredSchema, RegistryError> {
        self.version(subject, Version::Latest).await
    }

    /// Whether `schema` could be registered next to `version` of `subject` under the subject's
    /// compatibility level (`POST /compatibility/subjects/{s}/versions/{v}`).
    pub async fn is_compatible(
        &self,
        subject: &str,
        version: Version,
        schema: &Schema,
    ) -> Result<bool, RegistryError> {
        let v = version.to_string();
        let target = Target {
            subject: Some(subject),
            version: Some(&v),
            id: None,
        };
        let path = ["compatibility", "subjects", subject, "versions", &v];
        let answer = self
            .send(
                Method::POST,
                &path,
                &[],
                Some(&SchemaRequest::from(schema)),
                target,
            )
            .await?;
        Ok(answer.json::<CompatibilityResponse>()?.is_compatible)
    }

    /// The compatibility level of `subject`, falling back to the global one, or the global one
    /// for `None` (`GET /config[/{s}]?defaultToGlobal=true`).
    pub async fn compatibility(
        &self,
        subject: Option<&str>,
    ) -> Result<CompatibilityLevel, RegistryError> {
        let (path, query, target) = config_call(subject, &[("defaultToGlobal", "true")]);
        let answer = self
            .send::<()>(Method::GET, &path, query, None, target)
            .await?;
        Ok(answer.json::<ConfigResponse>()?.compatibility_level)
    }

    /// Sets the compatibility level of `subject`, or the global one for `None`
    /// (`PUT /config[/{s}]`); returns the level the registry confirms.
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: CompatibilityLevel,
    ) -> Result<CompatibilityLevel, RegistryError> {
        let (path, query, target) = config_call(subject, &[]);
        let body = ConfigRequest {
            compatibility: level,
        };
        let answer = self
            .send(Method::PUT, &path, query, Some(&body), target)
            .await?;
        Ok(answer.json::<ConfigResponse>()?.compatibility_level)
    }

    /// Deletes `subject` (`DELETE /subjects/{s}`) and returns the versions deleted. A permanent
    /// delete needs a soft delete first (Confluent semantics).
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i32>, RegistryError> {
        let query: &[(&str, &str)] = if permanent {
            &[("permanent", "true")]
        } else {
            &[]
        };
        let answer = self
            .send::<()>(
                Method::DELETE,
                &["subjects", subject],
                query,
                None,
                Target::subject(subject),
            )
            .await?;
        self.forget_subject(subject);
        answer.json()
    }

    /// Deletes one version of `subject` (`DELETE /subjects/{s}/versions/{v}`) and returns its
    /// number.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: Version,
        permanent: bool,
    ) -> Result<i32, RegistryError> {
        let v = version.to_string();
        let query: &[(&str, &str)] = if permanent {
            &[("permanent", "true")]
        } else {
            &[]
        };
        let target = Target {
            subject: Some(subject),
            version: Some(&v),
            id: None,
        };
        let path = ["subjects", subject, "versions", &v];
        let answer = self
            .send::<()>(Method::DELETE, &path, query, None, target)
            .await?;
        self.forget_subject(subject);
        answer.json()
    }

    /// Entries in the (id → schema, (subject, schema) → id) caches.
    pub fn cached(&self) -> (usize, usize) {
        (lock(&self.inner.schemas).len(), lock(&self.inner.ids).len())
    }

    fn remember(&self, found: RegisteredSchema) -> RegisteredSchema {
        lock(&self.inner.schemas).insert(found.id, Arc::new(found.schema.clone()));
        found
    }

    fn forget_subject(&self, subject: &str) {
        lock(&self.inner.ids).retain(|k| k.subject != subject);
    }

    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, &str)],
        body: Option<&B>,
        target: Target<'_>,
    ) -> Result<Answer, RegistryError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| RegistryError::Client {
                message: format!("cannot encode the request body: {e}"),
            })?;
        let call = Call {
            method,
            path,
            query,
            body,
            target,
        };
        self.inner.transport.send(&call).await
    }
}

fn config_call<'a>(
    subject: Option<&'a str>,
    query: &'a [(&'a str, &'a str)],
) -> (Vec<&'a str>, &'a [(&'a str, &'a str)], Target<'a>) {
    match subject {
        Some(s) => (vec!["config", s], query, Target::subject(s)),
        None => (vec!["config"], &[], Target::default()),
    }
}

/// Why [`RegistryClient::from_props`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientBuildError {
    /// Bad properties.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] RegistryError),
}
