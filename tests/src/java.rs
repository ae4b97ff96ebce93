//! Compiling and locating the Java reference harnesses in `tests/java/`, which run Apache Kafka
//! Connect's own code (jars fetched by `scripts/stack up`, or `KAFKA_LIBS`) so tests can compare
//! wharf with it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A JDK tool (`java`, `javac`) from `JAVA_HOME` or `PATH`; panics with a clear message if absent.
pub fn jdk_tool(name: &str) -> PathBuf {
    let tool = std::env::var_os("JAVA_HOME")
        .map(|home| Path::new(&home).join("bin").join(name))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name));
    let works = Command::new(&tool)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        works,
        "`{}` is not available: the Kafka Connect comparison tests need a JDK (17+) with java and \
         javac on PATH or in JAVA_HOME, and the Kafka jars; run `scripts/stack up`",
        tool.display()
    );
    tool
}

/// A compiled harness: the `java` to run and the classpath holding Kafka's jars and the harness.
#[derive(Debug, Clone)]
pub struct JavaHarness {
    pub java: PathBuf,
    pub classpath: String,
}

/// Compiles `tests/java/<source>` against Kafka 4.3.1's jars, after checking that `jars` are
/// there. Classes go to a temp folder named after the source's hash, reused by later runs.
pub fn compile(source: &str, jars: &[&str]) -> JavaHarness {
    let libs = std::env::var_os("KAFKA_LIBS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".stack/lib/kafka-4.3.1"));
    for jar in jars {
        assert!(
            libs.join(jar).exists(),
            "{jar} not found in {}: run `scripts/stack up` (it downloads Kafka 4.3.1's jars) or \
             set KAFKA_LIBS to a folder holding them",
            libs.display()
        );
    }
    let javac = jdk_tool("javac");
    let java = jdk_tool("java");
    let path = repo_root().join("tests/java").join(source);
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&std::fs::read(&path).expect("harness source"), &mut hasher);
    let version = std::hash::Hasher::finish(&hasher);
    let stem = source.trim_end_matches(".java").to_lowercase();
    let classes = std::env::temp_dir().join(format!("wharf-{stem}-{version:016x}"));
    std::fs::create_dir_all(&classes).expect("classes folder");
    let jars = format!("{}/*", libs.display());
    let compiled = Command::new(&javac)
        .args(["-nowarn", "-cp", &jars, "-d"])
        .arg(&classes)
        .arg(&path)
        .output()
        .expect("javac runs");
    assert!(
        compiled.status.success(),
        "javac failed:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    JavaHarness {
        java,
        classpath: format!("{jars}:{}", classes.display()),
    }
}
