//! The crate's import graph, checked from the sources: the layers of `src/lib.rs`'s docs hold
//! (no module imports from a layer above its own, codecs do not import each other), and no
//! source file imports, directly or through others, from a file that imports it, so every file
//! reads bottom-up.
//!
//! Imports are the `crate::`, `super::` and `self::` paths in code (comments and string literals
//! are skipped), `use` groups included, and in a module's own file the paths through its child
//! modules (`model::Kind`). The cycle check skips test code (`tests` modules and files), which
//! uses its module's items by nature; the layer check covers it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules, top layer first. A module may import only from layers below its own.
const LAYERS: &[(&str, &[&str])] = &[
    ("catalog", &["catalog"]),
    ("codecs", &["string", "bytearray", "number", "json", "avro"]),
    ("converter", &["converter"]),
    ("shared", &["shared"]),
    ("error", &["error"]),
];

/// A module path inside the crate: `[]` is `lib.rs`, `["avro", "to_avro"]` is
/// `avro/to_avro/mod.rs`.
type ModPath = Vec<String>;

struct Source {
    /// Relative to the crate, for messages.
    rel: String,
    module: ModPath,
    tokens: Vec<String>,
}

/// One path the code names, resolved to the module it starts from.
struct Reference {
    /// The path as written, for messages (`crate::shared::json_text::push_string`).
    text: String,
    /// The module path it names (absolute, possibly ending in an item).
    target: Vec<String>,
    in_tests: bool,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn sources() -> Vec<Source> {
    let root = src_dir();
    let mut found = Vec::new();
    collect(&root, &mut found);
    found.sort();
    found
        .into_iter()
        .map(|path| {
            let rel_src = path
                .strip_prefix(&root)
                .expect("found under src/")
                .to_owned();
            let mut module: ModPath = rel_src
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            Source {
                rel: format!("src/{}", rel_src.display()),
                module,
                tokens: tokens(&code_only(&text)),
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text with comments, string literals and char literals blanked out, so only code is left.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = at(i);
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && at(i) != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (at(i + 1) == '"'
                || (at(i + 1) == '#' && !i.checked_sub(1).is_some_and(|p| is_ident(at(p)))))
        {
            // A raw string: r"...", r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if at(j) == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && at(i) != '"' {
                i += if at(i) == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A char literal; otherwise a lifetime, kept.
            i += 1;
            while i < chars.len() && at(i) != '\'' {
                i += if at(i) == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Identifiers, `::`, and single punctuation characters.
fn tokens(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if is_ident(c) {
            let start = i;
            while chars.get(i).is_some_and(|&c| is_ident(c)) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// The paths starting at `tokens[*i]` (an identifier followed by `::`), `use` groups expanded;
/// `*i` ends after them.
fn path_tree(tokens: &[String], i: &mut usize) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    loop {
        match tokens.get(*i).map(String::as_str) {
            Some("{") => {
                *i += 1;
                let mut all = Vec::new();
                while !matches!(tokens.get(*i).map(String::as_str), Some("}") | None) {
                    for tail in path_tree(tokens, i) {
                        all.push(prefix.iter().cloned().chain(tail).collect());
                    }
                    if tokens.get(*i).is_some_and(|t| t == ",") {
                        *i += 1;
                    }
                }
                *i += 1;
                return all;
            }
            Some(t) if t == "*" || t.chars().all(is_ident) => {
                prefix.push(t.to_owned());
                *i += 1;
                if tokens.get(*i).is_some_and(|t| t == "::") {
                    *i += 1;
                } else {
                    return vec![prefix];
                }
            }
            _ => return vec![prefix],
        }
    }
}

/// Every `crate::`/`super::`/`self::` path in `source`, and in a module's own file every path
/// through one of its child modules.
fn references(source: &Source, modules: &BTreeSet<ModPath>) -> Vec<Reference> {
    let toks = &source.tokens;
    let mut found = Vec::new();
    // Inline modules (`mod tests { ... }`) the position is in, with the brace depth they opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while let Some(tok) = toks.get(i) {
        match tok.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" => {
                if let (Some(name), Some(open)) = (toks.get(i + 1), toks.get(i + 2))
                    && open == "{"
                {
                    inline.push((name.clone(), depth));
                    depth += 1;
                    i += 3;
                    continue;
                }
            }
            _ => {}
        }
        let starts_path = tok.chars().all(is_ident)
            && toks.get(i + 1).is_some_and(|t| t == "::")
            && (i == 0 || toks[i - 1] != "::");
        if !starts_path {
            i += 1;
            continue;
        }
        let here: Vec<String> = source
            .module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(name, _)| name.clone()))
            .collect();
        let in_tests = here.iter().any(|m| m == "tests");
        for path in path_tree(toks, &mut i) {
            let target: Vec<String> = match path.first().map(String::as_str) {
                Some("crate") => path[1..].to_vec(),
                Some("self") => here
                    .iter()
                    .cloned()
                    .chain(path[1..].iter().cloned())
                    .collect(),
                Some("super") => {
                    let ups = path.iter().take_while(|s| *s == "super").count();
                    let base = &here[..here.len().saturating_sub(ups)];
                    base.iter()
                        .cloned()
                        .chain(path[ups..].iter().cloned())
                        .collect()
                }
                Some(first) => {
                    let mut child = here.clone();
                    child.push(first.to_owned());
                    if !modules.contains(&child) {
                        continue;
                    }
                    here.iter().cloned().chain(path.iter().cloned()).collect()
                }
                None => continue,
            };
            found.push(Reference {
                text: path.join("::"),
                target,
                in_tests,
            });
        }
    }
    found
}

/// The deepest source file's module that `target` names.
fn file_of(target: &[String], modules: &BTreeSet<ModPath>) -> ModPath {
    (0..=target.len())
        .rev()
        .map(|n| target[..n].to_vec())
        .find(|m| modules.contains(m))
        .unwrap_or_default()
}

fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, members))| members.contains(&module))
        .map(|(i, (name, _))| (i, *name))
}

/// Every import that breaks the layers, as `file: import (why)`.
fn layer_violations(sources: &[Source]) -> Vec<String> {
    let modules: BTreeSet<ModPath> = sources.iter().map(|s| s.module.clone()).collect();
    let top: BTreeSet<&str> = sources
        .iter()
        .filter_map(|s| s.module.first().map(String::as_str))
        .chain(
            LAYERS
                .iter()
                .flat_map(|(_, members)| members.iter().copied()),
        )
        .collect();
    let mut bad = Vec::new();
    for source in sources {
        let Some(own) = source.module.first() else {
            continue; // lib.rs: declares and re-exports everything.
        };
        let Some((own_layer, own_name)) = layer_of(own) else {
            bad.push(format!(
                "{}: module `{own}` is in no layer; add it to LAYERS here and to the crate docs",
                source.rel
            ));
            continue;
        };
        for r in references(source, &modules) {
            let Some(to) = r.target.first().filter(|t| top.contains(t.as_str())) else {
                bad.push(format!(
                    "{}: imports `{}` from the crate root; import it from its own module",
                    source.rel, r.text
                ));
                continue;
            };
            if to == own {
                continue;
            }
            match layer_of(to) {
                Some((layer, _)) if layer > own_layer => {}
                Some((layer, name)) if layer == own_layer => bad.push(format!(
                    "{}: imports `{}`: `{own}` and `{to}` are both {name}, which do not import \
                     each other",
                    source.rel, r.text
                )),
                Some((_, name)) => bad.push(format!(
                    "{}: imports `{}`: layer {name} is above {own_name}",
                    source.rel, r.text
                )),
                None => {} // Reported as a module in no layer.
            }
        }
    }
    bad
}

/// A circle of source files importing each other, outside test code, as `a → b → a`.
fn file_cycle(sources: &[Source]) -> Option<String> {
    let modules: BTreeSet<ModPath> = sources.iter().map(|s| s.module.clone()).collect();
    let rel: BTreeMap<&ModPath, &str> = sources.iter().map(|s| (&s.module, &*s.rel)).collect();
    let mut edges: BTreeMap<ModPath, BTreeMap<ModPath, String>> = BTreeMap::new();
    for source in sources {
        if source.module.iter().any(|m| m == "tests") {
            continue;
        }
        let out = edges.entry(source.module.clone()).or_default();
        for r in references(source, &modules) {
            let to = file_of(&r.target, &modules);
            if !r.in_tests && to != source.module {
                out.entry(to).or_insert(r.text);
            }
        }
    }
    // Depth-first search; a file met again while still on the path closes a circle.
    fn visit(
        node: &ModPath,
        edges: &BTreeMap<ModPath, BTreeMap<ModPath, String>>,
        path: &mut Vec<(ModPath, String)>,
        done: &mut BTreeSet<ModPath>,
    ) -> Option<Vec<(ModPath, String)>> {
        if let Some(start) = path.iter().position(|(m, _)| m == node) {
            return Some(path[start..].to_vec());
        }
        if !done.insert(node.clone()) {
            return None;
        }
        for (to, via) in edges.get(node).into_iter().flatten() {
            path.push((node.clone(), via.clone()));
            if let Some(cycle) = visit(to, edges, path, done) {
                return Some(cycle);
            }
            path.pop();
        }
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            let first = &cycle[0].0;
            let steps: Vec<String> = cycle
                .iter()
                .map(|(m, via)| format!("{} (`{via}`)", rel[m]))
                .collect();
            return Some(format!("{} → {}", steps.join(" → "), rel[first]));
        }
    }
    None
}

#[test]
fn modules_import_only_from_layers_below() {
    let bad = layer_violations(&sources());
    assert!(
        bad.is_empty(),
        "imports against the layers (see src/lib.rs):\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_file_imports_in_a_circle() {
    if let Some(cycle) = file_cycle(&sources()) {
        panic!("source files import each other in a circle: {cycle}");
    }
}

/// The checks see the imports they must refuse.
#[test]
fn the_checks_catch_bad_imports() {
    let source = |rel: &str, module: &[&str], text: &str| Source {
        rel: rel.to_owned(),
        module: module.iter().map(|m| (*m).to_owned()).collect(),
        tokens: tokens(&code_only(text)),
    };
    let error = source(
        "src/error.rs",
        &["error"],
        "// crate::avro in a comment is no import\n\
         const S: &str = \"crate::catalog\";\n\
         use crate::{converter::Converter, avro::wire::Frame};\n",
    );
    let avro = source(
        "src/avro/mod.rs",
        &["avro"],
        "use crate::json::JsonConverter;\n",
    );
    let json = source(
        "src/json/mod.rs",
        &["json"],
        "mod tests { use super::super::string::X; }\n",
    );
    let shared = source(
        "src/shared/lru.rs",
        &["shared", "lru"],
        "use crate::Error;\n",
    );
    let bad = layer_violations(&[error, avro, json, shared]);
    assert_eq!(
        bad,
        [
            "src/error.rs: imports `crate::converter::Converter`: layer converter is above error",
            "src/error.rs: imports `crate::avro::wire::Frame`: layer codecs is above error",
            "src/avro/mod.rs: imports `crate::json::JsonConverter`: `avro` and `json` are both \
             codecs, which do not import each other",
            "src/json/mod.rs: imports `super::super::string::X`: `json` and `string` are both \
             codecs, which do not import each other",
            "src/shared/lru.rs: imports `crate::Error` from the crate root; import it from its \
             own module",
        ]
    );

    let parent = source(
        "src/avro/mod.rs",
        &["avro"],
        "mod names; use names::NAME; mod tests { use super::*; }",
    );
    let child = source("src/avro/names.rs", &["avro", "names"], "use super::CLASS;");
    let cycle = file_cycle(&[parent, child]);
    assert_eq!(
        cycle.as_deref(),
        Some(
            "src/avro/mod.rs (`names::NAME`) → src/avro/names.rs (`super::CLASS`) → src/avro/mod.rs"
        )
    );
}
