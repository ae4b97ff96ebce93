//! docs/plugins.md is what `wharf docs` prints today.

#[test]
fn plugin_reference_is_up_to_date() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/plugins.md"))
            .expect("docs/plugins.md exists");
    assert!(
        committed == engine::docs::plugin_reference(&engine::plugins::Plugins::builtin()),
        "docs/plugins.md is stale: regenerate it with `wharf docs > docs/plugins.md`"
    );
}

/// The README's layout table names paths that exist, and every workspace crate and every
/// top-level engine module is in it.
#[test]
fn readme_layout_matches_the_tree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let start = readme.find("\n## Layout").expect("a Layout section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut paths = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split(" | ").next().unwrap_or("");
        for path in first.split('`').skip(1).step_by(2) {
            paths.push(path.trim_end_matches("<name>/").to_owned());
        }
    }
    assert!(!paths.is_empty(), "no rows in the Layout table");
    let missing: Vec<&String> = paths.iter().filter(|p| !root.join(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "the Layout table names paths that do not exist: {missing:?}"
    );

    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let members = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("members"))
        .expect("workspace members");
    let mut wanted: Vec<String> = members
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|m| format!("{m}/"))
        .collect();
    for entry in std::fs::read_dir(root.join("engine/src")).expect("engine/src") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            wanted.push(format!("engine/src/{name}/"));
        } else if name != "lib.rs" && name != "main.rs" {
            wanted.push(format!("engine/src/{name}"));
        }
    }
    let absent: Vec<&String> = wanted
        .iter()
        .filter(|w| !paths.iter().any(|p| p == *w || p.starts_with(w.as_str())))
        .collect();
    assert!(absent.is_empty(), "the Layout table lacks: {absent:?}");
}
