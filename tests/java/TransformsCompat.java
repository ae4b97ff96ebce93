/*
 * Reference side of tests/tests/transforms_compat.rs: runs Apache Kafka Connect's own
 * single message transforms and predicates.
 *
 * Reads one case per line from stdin, as JSON:
 *   {"name": .., "props": {"transforms": .., "transforms.a.type": .., ..},
 *    "topic": .., "partition": int|null, "offset": long|null, "timestamp": long|null,
 *    "key": "<JsonConverter envelope>"|null, "value": ..|null, "headers": [["k", "<envelope>"|null], ..]}
 * A case with an offset is a SinkRecord, otherwise a SourceRecord. Keys, values and headers are
 * read and written with JsonConverter (schemas.enable=true).
 *
 * Prints one JSON line per case:
 *   {"name": .., "result": "ok", "topic": .., "partition": .., "timestamp": .., "key": ..,
 *    "value": .., "headers": [[k, v], ..]}
 *   {"name": .., "result": "dropped"}
 *   {"name": .., "result": "config_error" | "error" | "convert_error", "message": ..}
 *
 * The chain is built as Kafka Connect's ConnectorConfig.transformationStages builds it: each
 * transform gets its "transforms.<alias>." keys, each stage its own predicate instance, and a
 * stage applies when predicate == null || negate ^ predicate.test(record). A type without a
 * package is taken from org.apache.kafka.connect.transforms(.predicates).
 *
 * The "transforms" list is parsed with ConfigDef's LIST parsing (empty items are kept, as
 * ConnectorConfig keeps them: an empty alias then lacks its "transforms..type") and refused with
 * a repeated alias (ConnectorConfig's alias validator). Before a transform or predicate is
 * configured its keys are validated with its ConfigDef, as the herder validates a connector's
 * config before accepting it (AbstractHerder.validateConnectorConfig): that is where Kafka
 * Connect refuses repeated items of a ValidList, which configure() alone would drop silently.
 */

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

public class TransformsCompat {
    static final ObjectMapper MAPPER = new ObjectMapper();

    static final class Stage {
        @SuppressWarnings("rawtypes") Transformation transform;
        @SuppressWarnings("rawtypes") Predicate predicate;
        boolean negate;
    }

    public static void main(String[] args) throws Exception {
        JsonConverter converter = new JsonConverter();
        Map<String, Object> settings = new HashMap<>();
        settings.put("schemas.enable", "true");
        settings.put("converter.type", "value");
        converter.configure(settings);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            out.println(MAPPER.writeValueAsString(run(MAPPER.readTree(line), converter)));
        }
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getName() + ": " + (m == null ? "" : m);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static ObjectNode run(JsonNode c, JsonConverter converter) {
        ObjectNode result = MAPPER.createObjectNode();
        result.put("name", c.get("name").asText());
        Map<String, String> props = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = c.get("props").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            props.put(e.getKey(), e.getValue().asText());
        }
        List<Stage> stages;
        try {
            stages = build(props);
        } catch (Throwable e) {
            result.put("result", "config_error");
            result.put("message", message(e));
            return result;
        }

        ConnectRecord record;
        String topic = c.get("topic").asText();
        try {
            record = input(c, topic, converter);
        } catch (Throwable e) {
            result.put("result", "input_error");
            result.put("message", message(e));
            return result;
        }

        try {
            for (Stage stage : stages) {
                if (stage.predicate == null || stage.negate ^ stage.predicate.test(record)) {
                    record = (ConnectRecord) stage.transform.apply(record);
                    if (record == null) {
                        result.put("result", "dropped");
                        return result;
                    }
                }
            }
        } catch (Throwable e) {
            result.put("result", "error");
            result.put("message", message(e));
            return result;
        }

        try {
            ObjectNode ok = MAPPER.createObjectNode();
            ok.put("name", c.get("name").asText());
            ok.put("result", "ok");
            ok.put("topic", record.topic());
            if (record.kafkaPartition() == null) ok.putNull("partition"); else ok.put("partition", record.kafkaPartition());
            if (record.timestamp() == null) ok.putNull("timestamp"); else ok.put("timestamp", record.timestamp());
            putBytes(ok, "key", converter.fromConnectData(record.topic(), record.keySchema(), record.key()));
            putBytes(ok, "value", converter.fromConnectData(record.topic(), record.valueSchema(), record.value()));
            ArrayNode headers = ok.putArray("headers");
            for (Header h : record.headers()) {
                ArrayNode pair = headers.addArray();
                pair.add(h.key());
                byte[] bytes = converter.fromConnectHeader(record.topic(), h.key(), h.schema(), h.value());
                if (bytes == null) pair.addNull(); else pair.add(new String(bytes, StandardCharsets.UTF_8));
            }
            return ok;
        } catch (Throwable e) {
            result.put("result", "convert_error");
            result.put("message", message(e));
            return result;
        }
    }

    static void putBytes(ObjectNode node, String field, byte[] bytes) {
        if (bytes == null) node.putNull(field); else node.put(field, new String(bytes, StandardCharsets.UTF_8));
    }

    static SchemaAndValue decode(JsonConverter converter, String topic, JsonNode envelope) {
        if (envelope == null || envelope.isNull()) {
            return SchemaAndValue.NULL;
        }
        return converter.toConnectData(topic, envelope.asText().getBytes(StandardCharsets.UTF_8));
    }

    static ConnectRecord<?> input(JsonNode c, String topic, JsonConverter converter) {
        SchemaAndValue key = decode(converter, topic, c.get("key"));
        SchemaAndValue value = decode(converter, topic, c.get("value"));
        ConnectHeaders headers = new ConnectHeaders();
        for (JsonNode pair : c.get("headers")) {
            String name = pair.get(0).asText();
            JsonNode envelope = pair.get(1);
            if (envelope.isNull()) {
                headers.add(name, null, null);
            } else {
                SchemaAndValue h = converter.toConnectHeader(topic, name, envelope.asText().getBytes(StandardCharsets.UTF_8));
                headers.add(name, h);
            }
        }
        Integer partition = c.get("partition").isNull() ? null : c.get("partition").asInt();
        Long timestamp = c.get("timestamp").isNull() ? null : c.get("timestamp").asLong();
        if (c.get("offset").isNull()) {
            return new SourceRecord(null, null, topic, partition, key.schema(), key.value(),
                    value.schema(), value.value(), timestamp, headers);
        }
        return new SinkRecord(topic, partition == null ? 0 : partition, key.schema(), key.value(),
                value.schema(), value.value(), c.get("offset").asLong(), timestamp,
                TimestampType.CREATE_TIME, headers);
    }

    /** The aliases under "transforms", as ConnectorConfig reads and validates them. */
    @SuppressWarnings("unchecked")
    static List<String> aliases(Map<String, String> props) {
        String raw = props.get("transforms");
        if (raw == null) {
            return new ArrayList<>();
        }
        List<String> aliases = (List<String>) ConfigDef.parseType("transforms", raw, ConfigDef.Type.LIST);
        if (new HashSet<>(aliases).size() < aliases.size()) {
            throw new ConfigException("transforms", aliases, "Duplicate alias provided.");
        }
        return aliases;
    }

    /** The first problem ConfigDef.validate finds in a plugin's keys, as a ConfigException. */
    static void validate(ConfigDef def, Map<String, Object> configs) {
        Map<String, String> strings = new HashMap<>();
        for (Map.Entry<String, Object> e : configs.entrySet()) {
            strings.put(e.getKey(), String.valueOf(e.getValue()));
        }
        for (ConfigValue value : def.validate(strings)) {
            if (!value.errorMessages().isEmpty()) {
                throw new ConfigException(value.errorMessages().get(0));
            }
        }
    }

    static Map<String, Object> withPrefix(Map<String, String> props, String prefix) {
        Map<String, Object> out = new HashMap<>();
        for (Map.Entry<String, String> e : props.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                out.put(e.getKey().substring(prefix.length()), e.getValue());
            }
        }
        return out;
    }

    static String resolve(String type, String pkg) {
        if (type == null) {
            throw new IllegalArgumentException("missing type");
        }
        return type.contains(".") ? type.trim() : pkg + type.trim();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static List<Stage> build(Map<String, String> props) throws Exception {
        List<Stage> stages = new ArrayList<>();
        for (String alias : aliases(props)) {
            String prefix = "transforms." + alias + ".";
            Stage stage = new Stage();
            String type = props.get(prefix + "type");
            if (type == null) {
                throw new ConfigException("Missing required configuration \"" + prefix + "type\" which has no default value.");
            }
            stage.transform = (Transformation) Class
                    .forName(resolve(type, "org.apache.kafka.connect.transforms."))
                    .getDeclaredConstructor().newInstance();
            Map<String, Object> configs = withPrefix(props, prefix);
            Object predicateAlias = configs.remove("predicate");
            Object negate = configs.remove("negate");
            validate(stage.transform.config(), configs);
            stage.transform.configure(configs);
            if (predicateAlias != null) {
                String predicatePrefix = "predicates." + predicateAlias + ".";
                stage.predicate = (Predicate) Class
                        .forName(resolve(props.get(predicatePrefix + "type"), "org.apache.kafka.connect.transforms.predicates."))
                        .getDeclaredConstructor().newInstance();
                validate(stage.predicate.config(), withPrefix(props, predicatePrefix));
                stage.predicate.configure(withPrefix(props, predicatePrefix));
                stage.negate = negate != null && Boolean.parseBoolean(negate.toString());
            }
            stages.add(stage);
        }
        return stages;
    }
}
