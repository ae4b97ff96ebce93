//! `offset.storage.file.filename`: offsets of a standalone worker in one local file.
//!
//! Every commit rewrites the file to a temporary sibling, fsyncs it and renames it over the old
//! one, so a crash leaves either the old or the new file, never a torn one. The format is JSON
//! (`{"version":1,"offsets":[{"key":["conn",{..}],"value":{..}}]}`): Kafka Connect's Java-serialized
//! map is not readable outside the JVM, so files are not shared with Kafka Connect.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};

use super::{JsonMap, OffsetError, OffsetKey, OffsetStore};

/// Offsets in a local file; see the module docs for the durability rules.
#[derive(Debug)]
pub struct FileOffsetStore {
    path: PathBuf,
    offsets: Mutex<BTreeMap<OffsetKey, JsonMap>>,
}

impl FileOffsetStore {
    /// Opens `path`, reading the offsets it holds; a missing file is an empty store.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, OffsetError> {
        let path = path.into();
        let offsets = match fs::read(&path) {
            Ok(bytes) => parse(&path, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(io(&path, source)),
        };
        Ok(Self {
            path,
            offsets: Mutex::new(offsets),
        })
    }

    fn write(&self, offsets: &BTreeMap<OffsetKey, JsonMap>) -> Result<(), OffsetError> {
        let entries: Vec<Value> = offsets
            .iter()
            .map(|(key, value)| {
                json!({
                    "key": [key.connector, Value::Object(key.partition_map())],
                    "value": Value::Object(value.clone()),
                })
            })
            .collect();
        let body = json!({ "version": 1, "offsets": entries }).to_string();
        let tmp = self.path.with_extension("tmp");
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        let mut file = fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        file.write_all(body.as_bytes()).map_err(|e| io(&tmp, e))?;
        file.sync_all().map_err(|e| io(&tmp, e))?;
        fs::rename(&tmp, &self.path).map_err(|e| io(&self.path, e))
    }
}

impl OffsetStore for FileOffsetStore {
    fn offsets(&self, connector: &str) -> BTreeMap<OffsetKey, JsonMap> {
        super::of_connector(
            &self.offsets.lock().unwrap_or_else(|p| p.into_inner()),
            connector,
        )
    }

    fn commit(&self, updates: Vec<(OffsetKey, Option<JsonMap>)>) -> Result<(), OffsetError> {
        let mut offsets = self.offsets.lock().unwrap_or_else(|p| p.into_inner());
        let before = offsets.clone();
        super::apply(&mut offsets, updates);
        if let Err(e) = self.write(&offsets) {
            // Memory must not run ahead of the file: a later read would claim what is not durable.
            *offsets = before;
            return Err(e);
        }
        Ok(())
    }
}

fn io(path: &Path, source: std::io::Error) -> OffsetError {
    OffsetError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<BTreeMap<OffsetKey, JsonMap>, OffsetError> {
    let corrupt = |message: String| OffsetError::Corrupt {
        path: path.display().to_string(),
        message,
    };
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    let entries = doc
        .get("offsets")
        .and_then(Value::as_array)
        .ok_or_else(|| corrupt("no \"offsets\" array".to_owned()))?;
    let mut offsets = BTreeMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let key = entry.get("key").and_then(Value::as_array);
        let (Some(connector), Some(partition)) = (
            key.and_then(|k| k.first()).and_then(Value::as_str),
            key.and_then(|k| k.get(1)).and_then(Value::as_object),
        ) else {
            return Err(corrupt(format!(
                "entry {i}: key is not [\"connector\", {{..}}]"
            )));
        };
        let Some(value) = entry.get("value").and_then(Value::as_object) else {
            return Err(corrupt(format!("entry {i}: value is not an object")));
        };
        offsets.insert(OffsetKey::new(connector, partition), value.clone());
    }
    Ok(offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> JsonMap {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test maps are objects"),
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wharf-offsets-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("offsets.json")
    }

    #[test]
    fn offsets_survive_reopening() {
        let path = temp("reopen");
        let key = OffsetKey::new("src", &map(json!({"filename": "/tmp/in.txt"})));
        {
            let store = FileOffsetStore::open(&path).unwrap();
            assert!(store.offsets("src").is_empty());
            store
                .commit(vec![(key.clone(), Some(map(json!({"position": 42}))))])
                .unwrap();
        }
        let store = FileOffsetStore::open(&path).unwrap();
        let offsets = store.offsets("src");
        assert_eq!(offsets[&key], map(json!({"position": 42})));
        assert!(store.offsets("other").is_empty());
        assert_eq!(key.topic_key(), r#"["src",{"filename":"/tmp/in.txt"}]"#);
    }

    #[test]
    fn none_deletes_a_partition() {
        let path = temp("delete");
        let store = FileOffsetStore::open(&path).unwrap();
        let key = OffsetKey::new("src", &map(json!({"p": 1})));
        store
            .commit(vec![(key.clone(), Some(map(json!({"o": 1}))))])
            .unwrap();
        store.commit(vec![(key, None)]).unwrap();
        assert!(
            FileOffsetStore::open(&path)
                .unwrap()
                .offsets("src")
                .is_empty()
        );
    }

    #[test]
    fn corrupt_file_is_a_clear_error() {
        let path = temp("corrupt");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"not json").unwrap();
        let err = FileOffsetStore::open(&path).unwrap_err();
        assert!(
            err.to_string().contains("is not a wharf offset file"),
            "{err}"
        );
    }
}
