//! The engine's layer rule (see the crate docs): every top-level module belongs to one layer, and
//! no module imports from a layer above its own. Reads the sources, so a `use` that points up
//! fails here, naming the file, the line and the import.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top to bottom. Modules of one layer may use each other.
const LAYERS: &[(&str, &[&str])] = &[
    ("commands", &["cli", "docs", "loadgen", "smoke"]),
    ("modes", &["modes"]),
    ("rest", &["rest"]),
    ("herder", &["herder"]),
    ("plugins", &["plugins"]),
    ("connectors", &["connectors"]),
    ("task runtime", &["task"]),
    (
        "clients and runtime",
        &["kafka", "offsets", "record", "runtime", "logging", "keys"],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`task/sink_task.rs` → `task`), and whether the file is
/// that module's root (where `super::` means the crate).
fn module_of(src: &Path, file: &Path) -> (String, bool) {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut parts = rel.iter().map(|p| p.to_string_lossy().into_owned());
    let first = parts.next().expect("a path");
    let rest: Vec<String> = parts.collect();
    match first.strip_suffix(".rs") {
        Some(stem) => (stem.to_owned(), true),
        None => (first, rest == ["mod.rs"]),
    }
}

/// Top-level modules `code` names through `crate::` (also inside `use crate::{a, b::c}`), or
/// through `super::` in a module root.
fn referenced(code: &str, module_root: bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut push_path = |rest: &str| {
        let rest = rest.trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            found.push(ident(&item));
        } else {
            found.push(ident(rest));
        }
    };
    let prefixes: &[&str] = if module_root {
        &["crate::", "super::"]
    } else {
        &["crate::"]
    };
    for prefix in prefixes {
        let mut at = 0;
        while let Some(i) = code[at..].find(prefix) {
            let start = at + i;
            let before = code[..start].chars().next_back();
            at = start + prefix.len();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            push_path(&code[at..]);
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

fn ident(s: &str) -> String {
    s.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every import that points up: (file:line, from module, to module).
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let (module, root) = module_of(src, &file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            out.push(format!(
                "{}: module `{module}` is in no layer; add it to LAYERS and the crate docs",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("source file");
        // Comment lines out; a `use` group over several lines joined into the line it starts on.
        let lines: Vec<&str> = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("//") {
                    ""
                } else {
                    l
                }
            })
            .collect();
        for (n, line) in lines.iter().enumerate() {
            let mut code = line.trim().to_owned();
            if code.ends_with('{') && code.contains("crate::") || code.contains("super::{") {
                for more in &lines[n + 1..] {
                    code.push_str(more.trim());
                    if more.contains('}') && !more.trim_end().ends_with('{') {
                        break;
                    }
                }
            }
            for target in referenced(&code, root) {
                match layer_of(&target) {
                    Some(layer) if layer < own => out.push(format!(
                        "{}:{}: `{module}` ({}) imports `{target}` ({}), a layer above it: {}",
                        file.display(),
                        n + 1,
                        LAYERS[own].0,
                        LAYERS[layer].0,
                        code.trim()
                    )),
                    _ => {}
                }
            }
        }
    }
    out
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports that point up:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_catches_an_import_that_points_up() {
    let dir = std::env::temp_dir().join(format!("wharf-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("task")).unwrap();
    std::fs::create_dir_all(dir.join("herder")).unwrap();
    std::fs::write(
        dir.join("task/mod.rs"),
        "mod run;\nuse super::kafka::Sender;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("task/run.rs"),
        "// crate::herder in a comment is fine\nuse crate::{kafka, herder::Herder};\n",
    )
    .unwrap();
    std::fs::write(dir.join("herder/mod.rs"), "use crate::task::TaskId;\n").unwrap();
    std::fs::write(
        dir.join("task/group.rs"),
        "use crate::{\n    kafka::Sender,\n    modes::standalone,\n};\n",
    )
    .unwrap();
    std::fs::write(dir.join("kafka.rs"), "use crate::record::RawRecord;\n").unwrap();
    let found = violations(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("task/group.rs:1") && found[0].contains("imports `modes`"),
        "{found:?}"
    );
    assert!(
        found[1].contains("task/run.rs:2") && found[1].contains("imports `herder`"),
        "{found:?}"
    );
}

#[test]
fn every_layer_module_exists() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let missing: BTreeMap<&str, &str> = LAYERS
        .iter()
        .flat_map(|(layer, mods)| mods.iter().map(move |m| (*m, *layer)))
        .filter(|(m, _)| !src.join(m).is_dir() && !src.join(format!("{m}.rs")).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "LAYERS names modules that do not exist: {missing:?}"
    );
}
