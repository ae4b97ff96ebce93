/*
 * Reference side of tests/tests/distributed_topics.rs: runs Apache Kafka Connect's own
 * KafkaConfigBackingStore against the broker.
 *
 *   java ConfigTopicCompat write <bootstrap> <topic>   writes the test's sequence of connector
 *                                                      configs, task configs, target states, a
 *                                                      session key, a task-count record, a
 *                                                      restart request and a delete, then prints
 *                                                      the description below
 *   java ConfigTopicCompat read <bootstrap> <topic>    reads the topic and prints the description
 *
 * Description lines (sorted where Java's collections are unordered):
 *   offset <n>
 *   connector <c> <k>=<v>,...      target <c> <state>      tasks <c> <n>
 *   task <c>-<i> <k>=<v>,...       taskcount <c> <n>       fencing <c> <true|false>
 *   inconsistent <c>               sessionkey <base64> <algorithm> <creation ms>
 */

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.RestartRequest;
import org.apache.kafka.connect.runtime.SessionKey;
import org.apache.kafka.connect.runtime.TargetState;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;
import org.apache.kafka.connect.storage.ClusterConfigState;
import org.apache.kafka.connect.storage.ConfigBackingStore;
import org.apache.kafka.connect.storage.KafkaConfigBackingStore;
import org.apache.kafka.connect.util.ConnectorTaskId;
import org.apache.kafka.connect.util.TopicAdmin;

public class ConfigTopicCompat {
    static Map<String, String> sorted(String... kv) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static String join(Map<String, String> m) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet()) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(e.getKey()).append('=').append(e.getValue());
        }
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String bootstrap = args[1];
        String topic = args[2];

        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", "compat-" + topic);
        props.put("config.storage.topic", topic);
        props.put("config.storage.replication.factor", "1");
        props.put("offset.storage.topic", topic + "-offsets");
        props.put("status.storage.topic", topic + "-status");
        props.put("key.converter", JsonConverter.class.getName());
        props.put("value.converter", JsonConverter.class.getName());
        DistributedConfig config = new DistributedConfig(props);

        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of("schemas.enable", "false"), false);
        Map<String, Object> adminProps = new HashMap<>();
        adminProps.put("bootstrap.servers", bootstrap);
        KafkaConfigBackingStore store = new KafkaConfigBackingStore(
            converter, config, null, () -> new TopicAdmin(adminProps), "compat-");
        store.setUpdateListener(new ConfigBackingStore.UpdateListener() {
            public void onConnectorConfigRemove(String connector) {}
            public void onConnectorConfigUpdate(String connector) {}
            public void onTaskConfigUpdate(java.util.Collection<ConnectorTaskId> tasks) {}
            public void onConnectorTargetStateChange(String connector) {}
            public void onSessionKeyUpdate(SessionKey sessionKey) {}
            public void onRestartRequest(RestartRequest restartRequest) {}
            public void onLoggingLevelUpdate(String namespace, String level) {}
        });
        store.start();

        if (mode.equals("write")) {
            store.putConnectorConfig("src", sorted(
                "connector.class", "FileStreamSource",
                "tasks.max", "2",
                "file", "/tmp/a \"quoted\" \u00fc\u2028.txt"), TargetState.PAUSED);
            List<Map<String, String>> tasks = new ArrayList<>();
            tasks.add(sorted("task.class", "T", "part", "0"));
            tasks.add(sorted("task.class", "T", "part", "1"));
            store.putTaskConfigs("src", tasks);
            store.putTargetState("src", TargetState.STOPPED);
            store.putSessionKey(new SessionKey(
                new SecretKeySpec(new byte[]{1, 2, 3, (byte) 250, (byte) 251}, "HmacSHA256"),
                1_700_000_000_000L));
            store.putTaskCountRecord("src", 2);
            store.putRestartRequest(new RestartRequest("src", false, true));
            store.putConnectorConfig("gone", sorted("connector.class", "X"), null);
            store.removeConnectorConfig("gone");
            store.refresh(30, java.util.concurrent.TimeUnit.SECONDS);
        }

        ClusterConfigState state = store.snapshot();
        System.out.println("offset " + state.offset());
        for (String c : new TreeSet<>(state.connectors())) {
            System.out.println("connector " + c + " " + join(state.rawConnectorConfig(c)));
            System.out.println("target " + c + " " + state.targetState(c));
            List<ConnectorTaskId> ids = state.tasks(c);
            System.out.println("tasks " + c + " " + ids.size());
            for (ConnectorTaskId id : ids) {
                System.out.println("task " + id.connector() + "-" + id.task() + " "
                    + join(state.rawTaskConfig(id)));
            }
            Integer count = state.taskCountRecord(c);
            if (count != null) {
                System.out.println("taskcount " + c + " " + count);
            }
            System.out.println("fencing " + c + " " + state.pendingFencing(c));
        }
        for (String c : new TreeSet<>(state.inconsistentConnectors())) {
            System.out.println("inconsistent " + c);
        }
        SessionKey key = state.sessionKey();
        if (key != null) {
            System.out.println("sessionkey "
                + Base64.getEncoder().encodeToString(key.key().getEncoded()) + " "
                + key.key().getAlgorithm() + " " + key.creationTimestamp());
        }
        store.stop();
        System.exit(0);
    }
}
