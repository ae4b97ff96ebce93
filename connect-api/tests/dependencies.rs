//! connect-api stays light: no Kafka client, async runtime or HTTP stack in its dependency tree,
//! so a connector crate builds without librdkafka (cmake) or a web framework.

use std::process::Command;

const HEAVY: &[&str] = &[
    "rdkafka",
    "rdkafka-sys",
    "glommio",
    "tokio",
    "axum",
    "hyper",
    "reqwest",
    "kafka-protocol",
];

#[test]
fn no_heavy_dependencies() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "connect-api",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"connect-api"),
        "unexpected cargo tree output:\n{tree}"
    );
    let heavy: Vec<&&str> = crates.iter().filter(|c| HEAVY.contains(c)).collect();
    assert!(
        heavy.is_empty(),
        "connect-api depends on {heavy:?}:\n{tree}"
    );
}

/// The check would see a heavy crate: the engine's tree has them.
#[test]
fn the_check_sees_heavy_dependencies_where_they_are() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "engine",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&out.stdout);
    let found = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| HEAVY.contains(c))
        .count();
    assert!(
        found >= 3,
        "expected rdkafka, glommio and tokio under engine:\n{tree}"
    );
}
