"""Drives a running wharf worker through kafka-connect-py, a Kafka Connect REST client from PyPI,
and checks that what the client reads is what Kafka Connect 4.3.1 would answer.

Run by tests/tests/rest_python_client.rs:
    python rest_client.py <base-url> <work-dir> <topic> <expected-worker-id>
Exits 0 and prints "ok" when every check passed; an assertion names the first that did not.
"""

import os
import sys
import time

import requests
from kafka_connect.kafka_connect import KafkaConnect


def wait_until(what, check, limit=60.0):
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, f"timed out waiting for {what}"
        time.sleep(0.1)


def main():
    base, work, topic, worker_id = sys.argv[1:5]
    client = KafkaConnect(url=base)
    pid = os.getpid()
    source, sink = f"py-source-{pid}", f"py-sink-{pid}"
    source_file = os.path.join(work, "in.txt")
    sink_file = os.path.join(work, "out.txt")
    with open(source_file, "w") as f:
        f.write("one\ntwo\nthree\n")

    info = client.get_cluster_info()
    assert info["kafka_cluster_id"], info

    classes = [p["class"] for p in client.list_connector_plugins()]
    assert "org.apache.kafka.connect.file.FileStreamSinkConnector" in classes, classes

    # Validation: Kafka Connect's keys with order_in_group; both topic keys carry the conflict.
    validation = client.validate_connector_config(
        "FileStreamSinkConnector",
        {"connector.class": "FileStreamSink", "name": "v", "topics": "a", "topics.regex": "a.*"},
    )
    by_name = {c["value"]["name"]: c for c in validation["configs"]}
    for key in ("topics", "topics.regex"):
        assert len(by_name[key]["value"]["errors"]) == 1, by_name[key]
    assert validation["error_count"] == 2, validation
    for key in ("tasks.max.enforce", "header.converter", "errors.deadletterqueue.topic.name"):
        assert "order_in_group" in by_name[key]["definition"], by_name[key]

    created = client.create_connector(
        {"name": source, "config": {"connector.class": "FileStreamSource", "file": source_file, "topic": topic}}
    )
    assert created["name"] == source, created
    client.create_connector(
        {"name": sink, "config": {"connector.class": "FileStreamSink", "file": sink_file, "topics": topic}}
    )
    wait_until(
        "records through the pipeline",
        lambda: os.path.exists(sink_file) and open(sink_file).read() == "one\ntwo\nthree\n",
    )
    assert sink in client.list_connectors()

    status = client.get_connector_status(sink)
    assert status["connector"]["worker_id"] == worker_id, status
    assert status["tasks"][0]["state"] == "RUNNING", status

    # Python booleans go out as "True" / "False": parsed like Java's Boolean.
    plan = client.restart_connector(sink, include_tasks=True, only_failed=False)
    assert plan["connector"]["state"] == "RESTARTING", plan
    assert [t["state"] for t in plan["tasks"]] == ["RESTARTING"], plan
    assert client.restart_connector(sink) is None  # 204: the connector alone restarted
    wait_until(
        "the sink task running again",
        lambda: client.get_connector_status(sink)["tasks"][0]["state"] == "RUNNING",
    )

    tasks = client.list_connector_tasks(sink)
    assert tasks[0]["config"]["task.class"] == "org.apache.kafka.connect.file.FileStreamSinkTask", tasks

    assert client.list_connector_topics(sink)[sink]["topics"] == [topic]
    client.reset_connector_topics(sink)
    assert client.list_connector_topics(sink)[sink]["topics"] == []

    # Trailing slashes are served like Kafka Connect does.
    response = requests.get(f"{base}/connectors/{sink}/")
    assert response.status_code == 200 and response.json()["name"] == sink, response.text
    assert sink in requests.get(f"{base}/connectors/").json()
    missing = requests.get(f"{base}/no-such-path")
    assert missing.status_code == 404 and missing.json()["error_code"] == 404, missing.text

    # Log levels, by Kafka Connect's logger names.
    changed = requests.put(f"{base}/admin/loggers/org.apache.kafka.connect", json={"level": "DEBUG"})
    assert changed.status_code == 200, changed.text
    assert "org.apache.kafka.connect" in changed.json(), changed.text
    loggers = requests.get(f"{base}/admin/loggers/").json()
    assert loggers["org.apache.kafka.connect"]["level"] == "DEBUG", loggers
    assert loggers["org.apache.kafka.connect.runtime"]["level"] == "DEBUG", loggers
    assert "root" in loggers, loggers
    bad = requests.put(f"{base}/admin/loggers/root", json={"level": "LOUD"})
    assert bad.status_code == 404, bad.text

    client.pause_connector(sink)
    assert client.get_connector_status(sink)["connector"]["state"] == "PAUSED"
    client.resume_connector(sink)
    assert client.get_connector_status(sink)["connector"]["state"] == "RUNNING"
    client.stop_connector(sink)
    stopped = client.get_connector_status(sink)
    assert stopped["connector"]["state"] == "STOPPED" and stopped["tasks"] == [], stopped
    assert client.list_connector_tasks(sink) == []

    for name in (source, sink):
        client.delete_connector(name)
    remaining = client.list_connectors()
    assert source not in remaining and sink not in remaining, remaining
    print("ok")


if __name__ == "__main__":
    main()
