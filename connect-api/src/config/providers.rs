//! Config providers (KIP-297, KIP-887 `env`, KIP-993 `allowed.paths`): a config value may hold
//! `${provider:path:key}` (or `${provider:key}`) placeholders that are replaced when the config
//! is used, so that secrets live in files or the environment, not in the config topic, the REST
//! API or the logs.
//!
//! The worker names its providers as Kafka Connect's does:
//!
//! ```properties
//! config.providers=file,env,directory
//! config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
//! config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
//! config.providers.directory.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider
//! config.providers.file.param.allowed.paths=/etc/secrets
//! ```
//!
//! - `FileConfigProvider`: `${file:/path/secrets.properties:key}`, the key of a properties file.
//! - `DirectoryConfigProvider`: `${directory:/path/dir:name}`, the contents of the file `name` in
//!   the directory (regular files directly in it only).
//! - `EnvVarConfigProvider`: `${env:NAME}`, an environment variable; its `allowlist.pattern`
//!   param (a regular expression, default all) limits which.
//!
//! As Kafka's `ConfigTransformer`: a placeholder whose provider is not configured, or whose key
//! its provider does not have, is left as it is; a provider that cannot read its source (a
//! missing file, a path outside `allowed.paths`) is an error naming the config key, the
//! provider and the path — never the value. Class names are matched by their simple name too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use super::properties::Properties;

/// The worker key listing the providers' names.
pub const PROVIDERS: &str = "config.providers";

/// Why a placeholder could not be resolved, or a provider not configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// The config key whose value held the placeholder, or the worker key at fault.
    pub key: String,
    pub message: String,
}

/// Where one placeholder sits in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Placeholder<'a> {
    /// Byte range of `${...}` in the value.
    start: usize,
    end: usize,
    provider: &'a str,
    path: &'a str,
    key: &'a str,
}

/// The placeholders of `value`, as `ConfigTransformer.DEFAULT_PATTERN`
/// (`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`) finds them: the provider up to the first `:`, the path
/// up to the next (none when there is no second `:`), the key the rest.
fn placeholders(value: &str) -> Vec<Placeholder<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = value[from..].find("${").map(|i| from + i) {
        let Some(close) = value[open + 2..].find('}').map(|i| open + 2 + i) else {
            break;
        };
        let inner = &value[open + 2..close];
        match inner.split_once(':') {
            Some((provider, rest)) => {
                let (path, key) = rest.split_once(':').unwrap_or(("", rest));
                found.push(Placeholder {
                    start: open,
                    end: close + 1,
                    provider,
                    path,
                    key,
                });
                from = close + 1;
            }
            // Not a placeholder; the regex would try again from the next character.
            None => from = open + 1,
        }
    }
    found
}

/// Whether a value holds a placeholder.
pub fn has_placeholder(value: &str) -> bool {
    !placeholders(value).is_empty()
}

/// A source of config values.
trait Provider: Send + Sync + std::fmt::Debug {
    /// The values of `keys` under `path`; keys it does not have are left out.
    fn get(&self, path: &str, keys: &BTreeSet<&str>) -> Result<BTreeMap<String, String>, String>;
}

/// KIP-993: with `allowed.paths`, only files under those directories may be read.
#[derive(Debug, Default)]
struct AllowedPaths(Option<Vec<PathBuf>>);

impl AllowedPaths {
    fn from_params(params: &Properties) -> Result<Self, String> {
        let Some(list) = params.get("allowed.paths") else {
            return Ok(Self(None));
        };
        let paths: Vec<PathBuf> = super::def::split_list(list)
            .into_iter()
            .map(PathBuf::from)
            .collect();
        if let Some(relative) = paths.iter().find(|p| !p.is_absolute()) {
            return Err(format!(
                "Path {} in allowed.paths is not absolute",
                relative.display()
            ));
        }
        Ok(Self(Some(paths.iter().map(|p| normalize(p)).collect())))
    }

    fn check(&self, path: &Path) -> Result<PathBuf, String> {
        let normal = normalize(path);
        match &self.0 {
            Some(allowed) if !allowed.iter().any(|a| normal.starts_with(a)) => Err(format!(
                "The path {} is not allowed to be accessed (allowed.paths)",
                path.display()
            )),
            _ => Ok(normal),
        }
    }
}

/// `..` and `.` taken out without touching the file system (Java's `Path.normalize`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[derive(Debug)]
struct FileProvider(AllowedPaths);

impl Provider for FileProvider {
    fn get(&self, path: &str, keys: &BTreeSet<&str>) -> Result<BTreeMap<String, String>, String> {
        let file = self.0.check(Path::new(path))?;
        let props = super::properties::load(&file)
            .map_err(|_| format!("Could not read properties from file {path}"))?;
        Ok(keys
            .iter()
            .filter_map(|k| props.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect())
    }
}

#[derive(Debug)]
struct DirectoryProvider(AllowedPaths);

impl Provider for DirectoryProvider {
    fn get(&self, path: &str, keys: &BTreeSet<&str>) -> Result<BTreeMap<String, String>, String> {
        let dir = self.0.check(Path::new(path))?;
        if !dir.is_dir() {
            return Err(format!("Could not read directory {path}"));
        }
        let mut values = BTreeMap::new();
        for key in keys {
            // A name, not a path: nothing outside the directory.
            if key.contains('/') || *key == ".." || *key == "." {
                continue;
            }
            let file = dir.join(key);
            if file.is_file() {
                let bytes = std::fs::read(&file)
                    .map_err(|_| format!("Could not read file {} in {path}", key))?;
                values.insert(
                    (*key).to_owned(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                );
            }
        }
        Ok(values)
    }
}

#[derive(Debug)]
struct EnvProvider {
    /// `allowlist.pattern`, anchored.
    allowed: Option<Pattern>,
}

impl Provider for EnvProvider {
    fn get(&self, path: &str, keys: &BTreeSet<&str>) -> Result<BTreeMap<String, String>, String> {
        if !path.is_empty() {
            return Err(format!(
                "Path is not supported for EnvVarConfigProvider, invalid value '{path}'"
            ));
        }
        Ok(keys
            .iter()
            .filter(|k| self.allowed.as_ref().is_none_or(|p| p.matches(k)))
            .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
            .collect())
    }
}

/// The subset of regular expressions an `allowlist.pattern` needs: literal characters, `.`,
/// `*` / `+` / `?` after one character or `.`, and `|` alternatives, matched against the whole
/// name. Anything else is refused at configuration with a clear message.
#[derive(Debug, Clone)]
struct Pattern(Vec<Vec<(Atom, Repeat)>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom {
    Any,
    Char(char),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    One,
    ZeroOrMore,
    OneOrMore,
    ZeroOrOne,
}

impl Pattern {
    fn parse(text: &str) -> Result<Self, String> {
        let mut alternatives = Vec::new();
        for alt in text.split('|') {
            let mut atoms: Vec<(Atom, Repeat)> = Vec::new();
            let mut chars = alt.chars().peekable();
            while let Some(c) = chars.next() {
                let atom = match c {
                    '.' => Atom::Any,
                    '\\' => Atom::Char(chars.next().ok_or("a trailing backslash")?),
                    '*' | '+' | '?' => {
                        let Some(last) = atoms.last_mut().filter(|(_, r)| *r == Repeat::One) else {
                            return Err(format!("a dangling '{c}'"));
                        };
                        last.1 = match c {
                            '*' => Repeat::ZeroOrMore,
                            '+' => Repeat::OneOrMore,
                            _ => Repeat::ZeroOrOne,
                        };
                        continue;
                    }
                    '[' | ']' | '(' | ')' | '{' | '}' | '^' | '$' => {
                        return Err(format!(
                            "'{c}' is not supported (literals, '.', '*', '+', '?' and '|' are)"
                        ));
                    }
                    other => Atom::Char(other),
                };
                atoms.push((atom, Repeat::One));
            }
            alternatives.push(atoms);
        }
        Ok(Self(alternatives))
    }

    fn matches(&self, name: &str) -> bool {
        let chars: Vec<char> = name.chars().collect();
        self.0.iter().any(|atoms| matches_at(atoms, &chars))
    }
}

fn matches_at(atoms: &[(Atom, Repeat)], text: &[char]) -> bool {
    let Some(((atom, repeat), rest)) = atoms.split_first() else {
        return text.is_empty();
    };
    let fits = |c: &char| *atom == Atom::Any || *atom == Atom::Char(*c);
    match repeat {
        Repeat::One => text.first().is_some_and(fits) && matches_at(rest, &text[1..]),
        Repeat::ZeroOrOne => {
            matches_at(rest, text)
                || (text.first().is_some_and(fits) && matches_at(rest, &text[1..]))
        }
        Repeat::ZeroOrMore | Repeat::OneOrMore => {
            let run = text.iter().take_while(|c| fits(c)).count();
            let least = usize::from(*repeat == Repeat::OneOrMore);
            (least..=run).rev().any(|n| matches_at(rest, &text[n..]))
        }
    }
}

/// The worker's config providers, by name.
#[derive(Debug, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Box<dyn Provider>>,
}

impl ConfigProviders {
    /// The providers `config.providers` names, with their `.class` and `.param.*` keys; a
    /// missing or unknown class is an error naming its key.
    pub fn from_worker(worker: &Properties) -> Result<Self, ProviderError> {
        let mut providers: BTreeMap<String, Box<dyn Provider>> = BTreeMap::new();
        let names = worker
            .get(PROVIDERS)
            .map(|v| super::def::split_list(v))
            .unwrap_or_default();
        for name in names {
            let class_key = format!("{PROVIDERS}.{name}.class");
            let error = |message: String| ProviderError {
                key: class_key.clone(),
                message,
            };
            let class = worker
                .get(&class_key)
                .map(|c| c.trim())
                .ok_or_else(|| error(format!("Missing required configuration {class_key}: config provider '{name}' is listed in {PROVIDERS}")))?;
            let prefix = format!("{PROVIDERS}.{name}.param.");
            let params: Properties = worker
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|p| (p.to_owned(), v.clone())))
                .collect();
            let simple = class.rsplit('.').next().unwrap_or(class);
            let provider: Box<dyn Provider> = match simple {
                "FileConfigProvider" => Box::new(FileProvider(
                    AllowedPaths::from_params(&params).map_err(error)?,
                )),
                "DirectoryConfigProvider" => Box::new(DirectoryProvider(
                    AllowedPaths::from_params(&params).map_err(error)?,
                )),
                "EnvVarConfigProvider" => Box::new(EnvProvider {
                    allowed: params
                        .get("allowlist.pattern")
                        .map(|p| {
                            Pattern::parse(p).map_err(|why| {
                                error(format!("Invalid allowlist.pattern '{p}': {why}"))
                            })
                        })
                        .transpose()?,
                }),
                other => {
                    return Err(error(format!(
                        "Invalid value {other} for configuration {class_key}: no such config \
                         provider (FileConfigProvider, DirectoryConfigProvider and \
                         EnvVarConfigProvider are available)"
                    )));
                }
            };
            providers.insert(name, provider);
        }
        Ok(Self { providers })
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// `props` with their placeholders replaced (`ConfigTransformer.transform`).
    pub fn resolve(&self, props: &Properties) -> Result<Properties, ProviderError> {
        self.resolve_tracked(props).map(|(resolved, _)| resolved)
    }

    /// As [`resolve`](Self::resolve), and the values the placeholders resolved to: they are
    /// secrets, to be kept out of anything shown (status traces, logs, DLQ headers).
    pub fn resolve_tracked(
        &self,
        props: &Properties,
    ) -> Result<(Properties, BTreeSet<String>), ProviderError> {
        let mut substituted = BTreeSet::new();
        if self.providers.is_empty() {
            return Ok((props.clone(), substituted));
        }
        // Every (provider, path) is asked once, for all its keys.
        let mut wanted: BTreeMap<(&str, &str), (BTreeSet<&str>, &str)> = BTreeMap::new();
        for (config_key, value) in props {
            for p in placeholders(value) {
                if self.providers.contains_key(p.provider) {
                    wanted
                        .entry((p.provider, p.path))
                        .or_insert_with(|| (BTreeSet::new(), config_key))
                        .0
                        .insert(p.key);
                }
            }
        }
        if wanted.is_empty() {
            return Ok((props.clone(), substituted));
        }
        let mut values: BTreeMap<(&str, &str), BTreeMap<String, String>> = BTreeMap::new();
        for ((provider, path), (keys, config_key)) in wanted {
            let got = self.providers[provider]
                .get(path, &keys)
                .map_err(|why| ProviderError {
                    key: config_key.to_owned(),
                    message: format!(
                        "Could not resolve the config provider placeholder in {config_key} \
                         (provider '{provider}'): {why}"
                    ),
                })?;
            values.insert((provider, path), got);
        }
        let resolved = props
            .iter()
            .map(|(k, v)| {
                let mut out = String::with_capacity(v.len());
                let mut last = 0;
                for p in placeholders(v) {
                    if let Some(found) =
                        values.get(&(p.provider, p.path)).and_then(|m| m.get(p.key))
                    {
                        out.push_str(&v[last..p.start]);
                        out.push_str(found);
                        substituted.insert(found.clone());
                        last = p.end;
                    }
                }
                out.push_str(&v[last..]);
                (k.clone(), out)
            })
            .collect();
        Ok((resolved, substituted))
    }
}

/// `AbstractHerder.reverseTransform`: in task configs planned from a resolved connector config,
/// every key whose raw value holds a placeholder gets the raw value back, so that the config
/// topic and the REST API hold placeholders, never what they resolve to.
pub fn reverse(raw: &Properties, tasks: &mut [Properties]) {
    let with_placeholders: Vec<(&String, &String)> =
        raw.iter().filter(|(_, v)| has_placeholder(v)).collect();
    for task in tasks {
        for (k, v) in &with_placeholders {
            if let Some(slot) = task.get_mut(*k) {
                slot.clone_from(v);
            }
        }
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

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("wharf-providers-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn placeholders_split_as_kafkas_pattern_does() {
        let found =
            placeholders("a ${file:/x/y.properties:pass} b ${env:HOME} ${nothing} ${d:/p:k:z}");
        let parts: Vec<(&str, &str, &str)> =
            found.iter().map(|p| (p.provider, p.path, p.key)).collect();
        assert_eq!(
            parts,
            [
                ("file", "/x/y.properties", "pass"),
                ("env", "", "HOME"),
                ("d", "/p", "k:z")
            ]
        );
        assert!(!has_placeholder("plain ${value"));
    }

    #[test]
    fn file_env_and_directory_values_replace_their_placeholders() {
        let d = dir("all");
        std::fs::write(
            d.join("secrets.properties"),
            "db.password=s3cret\nuser: ada\n",
        )
        .unwrap();
        std::fs::write(d.join("token"), "t0ken").unwrap();
        // A variable every process has.
        let path_var = std::env::var("PATH").expect("PATH is set");
        let worker = props(&[
            ("config.providers", "file,env,directory"),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            (
                "config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ),
            (
                "config.providers.directory.class",
                "DirectoryConfigProvider",
            ),
        ]);
        let providers = ConfigProviders::from_worker(&worker).unwrap();
        let file = d.join("secrets.properties");
        let raw = props(&[
            (
                "password",
                &format!("${{file:{}:db.password}}", file.display()),
            ),
            (
                "login",
                &format!("${{file:{}:user}}:${{env:PATH}}", file.display()),
            ),
            ("token", &format!("${{directory:{}:token}}", d.display())),
            (
                "kept",
                "${vault:/x:y} and ${file:/nowhere-needed-never-read:k}x",
            ),
            ("missing.key", &format!("${{file:{}:nope}}", file.display())),
        ]);
        // The file for `kept` does not exist: resolving must fail on it, naming the key.
        let err = providers.resolve(&raw).unwrap_err();
        assert_eq!(err.key, "kept");
        assert!(err.message.contains("/nowhere-needed-never-read"), "{err}");
        let mut raw = raw;
        raw.insert("kept".into(), "${vault:/x:y}".into());
        let resolved = providers.resolve(&raw).unwrap();
        assert_eq!(resolved["password"], "s3cret");
        assert_eq!(resolved["login"], format!("ada:{path_var}"));
        assert_eq!(resolved["token"], "t0ken");
        assert_eq!(resolved["kept"], "${vault:/x:y}", "unknown providers stay");
        assert_eq!(
            resolved["missing.key"], raw["missing.key"],
            "unknown keys stay"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn allowed_paths_and_the_env_allowlist_limit_what_is_read() {
        let d = dir("allowed");
        std::fs::write(d.join("s.properties"), "k=v\n").unwrap();
        let worker = props(&[
            ("config.providers", "file,env"),
            ("config.providers.file.class", "FileConfigProvider"),
            (
                "config.providers.file.param.allowed.paths",
                "/definitely/elsewhere",
            ),
            ("config.providers.env.class", "EnvVarConfigProvider"),
            (
                "config.providers.env.param.allowlist.pattern",
                "WHARF_OK_.*",
            ),
        ]);
        let providers = ConfigProviders::from_worker(&worker).unwrap();
        let raw = props(&[(
            "a",
            &format!(
                "${{file:{}/../{}/s.properties:k}}",
                d.display(),
                d.file_name().unwrap().to_str().unwrap()
            ),
        )]);
        let err = providers.resolve(&raw).unwrap_err();
        assert!(err.message.contains("not allowed"), "{err}");
        let env = providers.resolve(&props(&[("p", "${env:PATH}")])).unwrap();
        assert_eq!(
            env["p"], "${env:PATH}",
            "a variable outside the allowlist is not read"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn bad_provider_settings_name_their_key() {
        let missing = props(&[("config.providers", "file")]);
        assert_eq!(
            ConfigProviders::from_worker(&missing).unwrap_err().key,
            "config.providers.file.class"
        );
        let unknown = props(&[
            ("config.providers", "v"),
            (
                "config.providers.v.class",
                "com.example.VaultConfigProvider",
            ),
        ]);
        let err = ConfigProviders::from_worker(&unknown).unwrap_err();
        assert!(err.message.contains("VaultConfigProvider"), "{err}");
    }

    #[test]
    fn reverse_puts_the_placeholders_back() {
        let raw = props(&[("file", "${env:OUT}"), ("topic", "t")]);
        let mut tasks = vec![props(&[
            ("file", "/secret/path"),
            ("topic", "t"),
            ("task.class", "X"),
        ])];
        reverse(&raw, &mut tasks);
        assert_eq!(tasks[0]["file"], "${env:OUT}");
        assert_eq!(tasks[0]["topic"], "t");
    }

    #[test]
    fn the_allowlist_pattern_matches_whole_names() {
        let p = Pattern::parse("DB_.*|TOKEN").unwrap();
        assert!(p.matches("DB_PASS"));
        assert!(p.matches("TOKEN"));
        assert!(!p.matches("XDB_PASS"));
        assert!(!p.matches("TOKENS"));
        assert!(Pattern::parse("[a-z]+").is_err());
    }
}
