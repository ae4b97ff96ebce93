//! Log levels that change at runtime through `GET|PUT /admin/loggers[/{name}]`, as Kafka
//! Connect's loggers API does. Logger names are tracing targets (module paths such as
//! `engine::task::sink_task`, or `rdkafka`); a level set on a name applies to everything below
//! it. The root logger is named `root`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Kafka Connect's level names.
pub const LEVELS: &[&str] = &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"];

type Apply = Box<dyn Fn(&str) -> Result<(), String> + Send>;

struct State {
    root: String,
    targets: BTreeMap<String, String>,
    apply: Apply,
}

/// The current levels, and the switch that applies changes to the log output.
#[derive(Clone)]
pub struct LogLevels {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for LogLevels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogLevels")
            .field("levels", &self.all())
            .finish()
    }
}

/// tracing's name for a Kafka Connect level.
fn directive_level(level: &str) -> &'static str {
    match level {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" => "warn",
        "OFF" => "off",
        _ => "error",
    }
}

impl LogLevels {
    /// Installs the global log subscriber (stderr, coloured only on a terminal), starting from
    /// `RUST_LOG` or `info`.
    pub fn install() -> Self {
        let initial = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned());
        let filter = EnvFilter::try_new(&initial).unwrap_or_else(|_| EnvFilter::new("info"));
        let (layer, handle) = tracing_subscriber::reload::Layer::new(filter);
        let _ = tracing_subscriber::registry()
            .with(layer)
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    // Colours only on a terminal: a log redirected to a file or collected by a
                    // container runtime stays plain text that grep and log shippers read.
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
            )
            .try_init();
        let apply: Apply = Box::new(move |directives: &str| {
            let filter = EnvFilter::try_new(directives).map_err(|e| e.to_string())?;
            handle.reload(filter).map_err(|e| e.to_string())
        });
        Self::with(&initial, apply)
    }

    /// Levels that are tracked but drive no log output (tests, embedding).
    pub fn detached() -> Self {
        Self::with("info", Box::new(|_| Ok(())))
    }

    fn with(initial: &str, apply: Apply) -> Self {
        let mut root = "INFO".to_owned();
        let mut targets = BTreeMap::new();
        for directive in initial.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            match directive.split_once('=') {
                Some((target, level)) => {
                    targets.insert(target.to_owned(), level.to_ascii_uppercase());
                }
                None => root = directive.to_ascii_uppercase(),
            }
        }
        Self {
            state: Arc::new(Mutex::new(State {
                root,
                targets,
                apply,
            })),
        }
    }

    /// Every logger with an explicit level, and `root`.
    pub fn all(&self) -> BTreeMap<String, String> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut all = state.targets.clone();
        all.insert("root".to_owned(), state.root.clone());
        all
    }

    /// The effective level of `name`: its own, the nearest parent's, or root's.
    pub fn level(&self, name: &str) -> String {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if name == "root" {
            return state.root.clone();
        }
        state
            .targets
            .iter()
            .filter(|(t, _)| name == t.as_str() || name.starts_with(&format!("{t}::")))
            .max_by_key(|(t, _)| t.len())
            .map_or_else(|| state.root.clone(), |(_, l)| l.clone())
    }

    /// Sets `name`'s level (and so its children's); returns the loggers whose level changed,
    /// as Kafka Connect does.
    pub fn set(&self, name: &str, level: &str) -> Result<Vec<String>, String> {
        let level = level.trim().to_ascii_uppercase();
        if !LEVELS.contains(&level.as_str()) {
            return Err(format!(
                "Invalid log level '{level}'. Valid levels are: {}",
                LEVELS.join(", ")
            ));
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = Vec::new();
        if name == "root" {
            state.root = level;
            changed.push("root".to_owned());
        } else {
            let children: Vec<String> = state
                .targets
                .keys()
                .filter(|t| t.starts_with(&format!("{name}::")))
                .cloned()
                .collect();
            for child in children {
                state.targets.insert(child.clone(), level.clone());
                changed.push(child);
            }
            state.targets.insert(name.to_owned(), level);
            changed.push(name.to_owned());
        }
        let directives = std::iter::once(directive_level(&state.root).to_owned())
            .chain(
                state
                    .targets
                    .iter()
                    .map(|(t, l)| format!("{t}={}", directive_level(l))),
            )
            .collect::<Vec<_>>()
            .join(",");
        (state.apply)(&directives)?;
        changed.sort();
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_inherit_and_children_follow() {
        let logs = LogLevels::with("warn,engine::task=debug", Box::new(|_| Ok(())));
        assert_eq!(logs.level("engine::task::sink_task"), "DEBUG");
        assert_eq!(logs.level("rdkafka"), "WARN");
        assert_eq!(
            logs.set("engine", "error").unwrap(),
            ["engine", "engine::task"]
        );
        assert_eq!(logs.level("engine::task::sink_task"), "ERROR");
        assert!(logs.set("x", "LOUD").is_err());
        assert_eq!(logs.all()["root"], "WARN");
    }
}
