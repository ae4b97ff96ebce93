//! A Kafka Connect REST client from PyPI (kafka-connect-py) drives a real wharf standalone
//! worker: what a Python tool written for Kafka Connect reads must read the same from wharf
//! (restart with Python booleans, topics reset, trailing slashes, loggers, the connector
//! lifecycle). The checks live in `tests/python/rest_client.py`; `scripts/setup-python-client`
//! installs the client into `WHARF_PYTHON_VENV` (default `$HOME/.cache/wharf-venv`).

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use integration_tests::{ChildGuard, bootstrap, temp_dir, unique, wait_until, wharf_bin};

/// The venv's Python; panics with how to make it when absent.
fn venv_python() -> PathBuf {
    let venv = std::env::var_os("WHARF_PYTHON_VENV").map_or_else(
        || {
            let home = std::env::var_os("HOME").expect("HOME is set");
            PathBuf::from(home).join(".cache/wharf-venv")
        },
        PathBuf::from,
    );
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} not found: run scripts/setup-python-client (installs kafka-connect-py into a venv)",
        python.display()
    );
    python
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn python_rest_client_drives_the_worker() {
    let python = venv_python();
    let dir = temp_dir("rest-python");
    let port = free_port();
    fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=200\n\
             listeners=http://127.0.0.1:{port}\n\
             rest.advertised.host.name=wharf-python-test\n",
            bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
    .unwrap();
    let _worker = ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wharf starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_until("the REST API to listen", Duration::from_secs(60), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });

    let script = integration_tests::java::repo_root().join("tests/python/rest_client.py");
    let output = Command::new(python)
        .arg(script)
        .arg(&base)
        .arg(&dir)
        .arg(unique("rest-python"))
        .arg(format!("wharf-python-test:{port}"))
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "the Python client's checks failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    fs::remove_dir_all(&dir).unwrap();
}
