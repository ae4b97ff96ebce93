//! The requests a follower sends the leader on its own behalf (Kafka Connect's
//! `InternalConnectResource`): a connector's task configs (`POST /connectors/<c>/tasks`) and a
//! zombie fencing request before exactly-once source tasks start (`PUT /connectors/<c>/fence`).
//! Both are signed with the session key under `sessioned` (KIP-507); the body of a fencing
//! request is empty and its signature covers the empty body, as Java's `RestClient` signs it.

use std::time::Duration;

use connect_api::config::Properties;

/// The bound on one internal request.
const TIMEOUT: Duration = Duration::from_secs(30);

/// An internal request to the leader about one connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Call {
    /// The task configs this worker computed for a connector it runs.
    TaskConfigs(Vec<Properties>),
    /// Fence the zombies of the connector's earlier task generation.
    Fence,
}

impl Call {
    /// The last path segment, after `connectors/<c>/`.
    pub(super) fn endpoint(&self) -> &'static str {
        match self {
            Self::TaskConfigs(_) => "tasks",
            Self::Fence => "fence",
        }
    }

    fn method(&self) -> reqwest::Method {
        match self {
            Self::TaskConfigs(_) => reqwest::Method::POST,
            Self::Fence => reqwest::Method::PUT,
        }
    }

    /// What the request carries, for logs.
    pub(super) fn what(&self) -> &'static str {
        match self {
            Self::TaskConfigs(_) => "task configs",
            Self::Fence => "a zombie fencing request",
        }
    }

    /// Task configs as a JSON array of string maps, compact, as Jackson writes it; a fencing
    /// request has no body.
    pub(super) fn body(&self) -> Vec<u8> {
        match self {
            Self::TaskConfigs(configs) => {
                let list: Vec<&Properties> = configs.iter().collect();
                serde_json::to_vec(&list).unwrap_or_default()
            }
            Self::Fence => Vec::new(),
        }
    }

    /// `<leader>/connectors/<connector>/<endpoint>`, the connector name percent-encoded as one
    /// path segment; `None` when the leader's URL does not parse.
    pub(super) fn url(&self, leader: &str, connector: &str) -> Option<String> {
        let mut url = reqwest::Url::parse(leader).ok()?;
        url.path_segments_mut().ok()?.pop_if_empty().extend([
            "connectors",
            connector,
            self.endpoint(),
        ]);
        Some(url.into())
    }

    /// Sends the request with `headers` (blocking: a runtime of its own, for a thread of its
    /// own); a status other than 2xx is an error naming it and the answer's body.
    /// `roots`: the certificates other workers' HTTPS listeners are signed with, trusted besides
    /// the platform's CAs.
    pub(super) fn send(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        roots: Vec<reqwest::Certificate>,
    ) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let mut builder = reqwest::Client::builder().timeout(TIMEOUT);
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
            let http = builder.build().map_err(|e| e.to_string())?;
            let mut request = http.request(self.method(), url).body(body);
            if matches!(self, Self::TaskConfigs(_)) {
                request = request.header(reqwest::header::CONTENT_TYPE, "application/json");
            }
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let answer = response.text().await.unwrap_or_default();
            Err(format!("{status}: {answer}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Call;

    #[test]
    fn the_url_keeps_the_connector_name_one_segment() {
        let tasks = Call::TaskConfigs(Vec::new());
        assert_eq!(
            tasks.url("http://127.0.0.1:8083/", "my sink/2").as_deref(),
            Some("http://127.0.0.1:8083/connectors/my%20sink%2F2/tasks")
        );
        assert_eq!(
            Call::Fence.url("http://leader:8083", "c").as_deref(),
            Some("http://leader:8083/connectors/c/fence")
        );
        assert_eq!(tasks.url("not a url", "c"), None);
    }

    #[test]
    fn bodies_are_what_kafka_connect_sends() {
        let config: connect_api::config::Properties =
            [("task.class".to_owned(), "T".to_owned())].into();
        assert_eq!(
            Call::TaskConfigs(vec![config]).body(),
            br#"[{"task.class":"T"}]"#
        );
        assert!(Call::Fence.body().is_empty());
    }
}
