/*
 * Reference side of tests/tests/json_compat.rs: runs Apache Kafka Connect's own JsonConverter.
 *
 *   java JsonCompat encode   builds every corpus case (the Rust test builds the same cases by
 *                            name) and prints, for each case and converter setting, the bytes
 *                            JsonConverter writes.
 *   java JsonCompat decode   reads "<id>\t<setting>\t<base64 bytes or ->" lines from stdin and
 *                            prints what JsonConverter reads from them, as a description that
 *                            the Rust side produces too.
 *
 * A setting is three letters: E/P (schemas.enable true/false), B/N (decimal.format BASE64 /
 * NUMERIC), R/K (replace.null.with.default true/false).
 *
 * Output lines, tab-separated:
 *   E <case> <setting> OK <base64>     |  E <case> <setting> NULL  |  E <case> <setting> ERR <message>
 *   D <id> OK <schema description> <value description>  |  D <id> ERR <message>
 */

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;

public class JsonCompat {
    static final String[] SETTINGS = {"EBR", "EBK", "ENR", "ENK", "PBR", "PBK", "PNR", "PNK"};
    static final long DAY = 86_400_000L;

    static final Map<String, Object[]> CASES = new LinkedHashMap<>();

    static void c(String name, Schema schema, Object value) {
        if (CASES.put(name, new Object[]{schema, value}) != null) {
            throw new IllegalStateException("duplicate case " + name);
        }
    }

    @SafeVarargs
    static <T> List<T> list(T... items) {
        return new ArrayList<>(Arrays.asList(items));
    }

    static Map<Object, Object> map(Object... kv) {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static BigDecimal dec(String unscaled, int scale) {
        return new BigDecimal(new BigInteger(unscaled), scale);
    }

    static java.util.Date date(long millis) {
        return new java.util.Date(millis);
    }

    static String repeat(String s, int n) {
        return s.repeat(n);
    }

    static Schema structWithStructDefault(boolean optional) {
        SchemaBuilder builder = SchemaBuilder.struct().field("x", Schema.INT32_SCHEMA);
        if (optional) {
            builder.optional();
        }
        return builder.defaultValue(new Struct(builder).put("x", 1)).build();
    }

    static void corpus() {
        // Integers.
        c("int8_min", Schema.INT8_SCHEMA, (byte) -128);
        c("int8_max", Schema.INT8_SCHEMA, (byte) 127);
        c("int16_min", Schema.INT16_SCHEMA, (short) -32768);
        c("int16_max", Schema.INT16_SCHEMA, (short) 32767);
        c("int32_min", Schema.INT32_SCHEMA, Integer.MIN_VALUE);
        c("int32_max", Schema.INT32_SCHEMA, Integer.MAX_VALUE);
        c("int32_zero", Schema.INT32_SCHEMA, 0);
        c("int64_min", Schema.INT64_SCHEMA, Long.MIN_VALUE);
        c("int64_max", Schema.INT64_SCHEMA, Long.MAX_VALUE);

        // Floats.
        c("f32_one", Schema.FLOAT32_SCHEMA, 1.0f);
        c("f32_one_point_one", Schema.FLOAT32_SCHEMA, 1.1f);
        c("f32_max", Schema.FLOAT32_SCHEMA, Float.MAX_VALUE);
        c("f32_min_subnormal", Schema.FLOAT32_SCHEMA, Float.MIN_VALUE);
        c("f32_tiny", Schema.FLOAT32_SCHEMA, 1e-10f);
        c("f32_big", Schema.FLOAT32_SCHEMA, 1e20f);
        c("f32_neg_zero", Schema.FLOAT32_SCHEMA, -0.0f);
        c("f32_nan", Schema.FLOAT32_SCHEMA, Float.NaN);
        c("f32_inf", Schema.FLOAT32_SCHEMA, Float.POSITIVE_INFINITY);
        c("f32_plain", Schema.FLOAT32_SCHEMA, 123456.78f);
        c("f32_ten_million", Schema.FLOAT32_SCHEMA, 1e7f);
        c("f32_below_ten_million", Schema.FLOAT32_SCHEMA, 9999999.0f);
        c("f32_milli", Schema.FLOAT32_SCHEMA, 0.001f);
        c("f64_one", Schema.FLOAT64_SCHEMA, 1.0);
        c("f64_tenth", Schema.FLOAT64_SCHEMA, 0.1);
        c("f64_sum", Schema.FLOAT64_SCHEMA, 0.1 + 0.2);
        c("f64_1e20", Schema.FLOAT64_SCHEMA, 1e20);
        c("f64_1e7", Schema.FLOAT64_SCHEMA, 1e7);
        c("f64_below_1e7", Schema.FLOAT64_SCHEMA, 9999999.0);
        c("f64_milli", Schema.FLOAT64_SCHEMA, 0.001);
        c("f64_below_milli", Schema.FLOAT64_SCHEMA, 1.0e-4);
        c("f64_neg_zero", Schema.FLOAT64_SCHEMA, -0.0);
        c("f64_nan", Schema.FLOAT64_SCHEMA, Double.NaN);
        c("f64_inf", Schema.FLOAT64_SCHEMA, Double.POSITIVE_INFINITY);
        c("f64_neg_inf", Schema.FLOAT64_SCHEMA, Double.NEGATIVE_INFINITY);
        c("f64_max", Schema.FLOAT64_SCHEMA, Double.MAX_VALUE);
        c("f64_min_subnormal", Schema.FLOAT64_SCHEMA, Double.MIN_VALUE);
        c("f64_large", Schema.FLOAT64_SCHEMA, 123456789012.5);
        c("f64_neg_tiny", Schema.FLOAT64_SCHEMA, -2.5e-300);
        c("f64_pi", Schema.FLOAT64_SCHEMA, Math.PI);
        c("f64_e", Schema.FLOAT64_SCHEMA, Math.E);
        c("f64_two_pow_53", Schema.FLOAT64_SCHEMA, 9007199254740992.0);
        c("f64_third", Schema.FLOAT64_SCHEMA, 1.0 / 3.0);
        c("f64_two_milli", Schema.FLOAT64_SCHEMA, 2.0e-3);
        c("f64_below_milli_max", Schema.FLOAT64_SCHEMA, Math.nextDown(1.0e-3));

        // Digits that Java 17's Double.toString / Float.toString print differently from Java 19+
        // (JDK-4511638): the Rust test expects them to differ on Java 17 only.
        c("jdk_f64_1e23", Schema.FLOAT64_SCHEMA, 1.0e23);
        c("jdk_f64_2e23", Schema.FLOAT64_SCHEMA, 2.0e23);
        c("jdk_f64_8_41e21", Schema.FLOAT64_SCHEMA, 8.41e21);
        c("jdk_f64_18_digits", Schema.FLOAT64_SCHEMA, 2.82879384806159E17);
        c("jdk_f64_negative", Schema.FLOAT64_SCHEMA, Double.longBitsToDouble(0xc3c29b3529ace642L));
        c("jdk_f32_min_normal", Schema.FLOAT32_SCHEMA, Float.MIN_NORMAL);
        c("jdk_f32_e10", Schema.FLOAT32_SCHEMA, Float.intBitsToFloat(0x51708368));
        c("jdk_f32_e15", Schema.FLOAT32_SCHEMA, Float.intBitsToFloat(0x58c2e8c9));
        c("jdk_array", SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build(), list(0.5, 2.0e23, 1.0e23));
        c("jdk_default_null", SchemaBuilder.float64().optional().defaultValue(1.0e23).build(), null);
        c("jdk_nl_double", null, 2.0e23);

        // Booleans, strings, bytes.
        c("bool_true", Schema.BOOLEAN_SCHEMA, true);
        c("bool_false", Schema.BOOLEAN_SCHEMA, false);
        c("str_empty", Schema.STRING_SCHEMA, "");
        c("str_ascii", Schema.STRING_SCHEMA, "hello world");
        c("str_bmp", Schema.STRING_SCHEMA, "h\u00e9llo w\u00f6rld \u2014 \u4e2d\u6587 \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac");
        c("str_astral", Schema.STRING_SCHEMA, "\ud83d\ude00\ud83c\udf89\ud834\udd1e emoji");
        StringBuilder controls = new StringBuilder();
        for (char ch = 0; ch < 0x20; ch++) {
            controls.append(ch);
        }
        controls.append('\u007f');
        c("str_controls", Schema.STRING_SCHEMA, controls.toString());
        c("str_quotes", Schema.STRING_SCHEMA, "say \"hi\" \\ back/slash </script> <!-- -->");
        c("str_separators", Schema.STRING_SCHEMA, "\u2028\u2029\ufeff\uffff\u0080\u07ff\u0800");
        c("str_long", Schema.STRING_SCHEMA, repeat("0123456789", 1000));
        c("bytes_empty", Schema.BYTES_SCHEMA, bytes());
        c("bytes_small", Schema.BYTES_SCHEMA, bytes(0, 1, 2, 255, 3));
        c("bytes_one", Schema.BYTES_SCHEMA, bytes(255));
        c("bytes_two", Schema.BYTES_SCHEMA, bytes(0, 128));
        int[] ramp = new int[256];
        for (int i = 0; i < 256; i++) {
            ramp[i] = i;
        }
        c("bytes_ramp", Schema.BYTES_SCHEMA, bytes(ramp));
        c("bytes_buffer", Schema.BYTES_SCHEMA, ByteBuffer.wrap(bytes(9, 8, 7)));

        // Optional, defaults, names.
        c("opt_int32_null", Schema.OPTIONAL_INT32_SCHEMA, null);
        c("opt_string_null", Schema.OPTIONAL_STRING_SCHEMA, null);
        c("opt_default_null", SchemaBuilder.int32().optional().defaultValue(42).build(), null);
        c("opt_default_value", SchemaBuilder.int32().optional().defaultValue(42).build(), 7);
        c("req_default_null", SchemaBuilder.int32().defaultValue(42).build(), null);
        c("req_null", Schema.INT32_SCHEMA, null);
        c("named_primitive", SchemaBuilder.string().name("com.example.Name").version(7)
                .doc("a doc with \"quotes\"").parameter("z", "1").parameter("a", "2")
                .parameter("\u00fc", "\u00df").build(), "x");
        c("string_default", SchemaBuilder.string().defaultValue("dflt").build(), "v");
        c("bytes_default_null", SchemaBuilder.bytes().optional().defaultValue(bytes(1, 2)).build(), null);
        c("float_default_null", SchemaBuilder.float64().optional().defaultValue(2.5).build(), null);

        // Logical types.
        c("decimal_pos", Decimal.schema(2), dec("123456", 2));
        c("decimal_neg", Decimal.schema(2), dec("-325", 2));
        c("decimal_zero", Decimal.schema(4), dec("0", 4));
        c("decimal_38_digits", Decimal.schema(0), dec("12345678901234567890123456789012345678", 0));
        c("decimal_neg_scale", Decimal.schema(-3), dec("12", -3));
        c("decimal_small", Decimal.schema(10), dec("1", 10));
        c("decimal_many_places", Decimal.schema(20), dec("314159265358979323846", 20));
        c("decimal_byte_edge", Decimal.schema(0), dec("-128", 0));
        c("decimal_scale_mismatch", Decimal.schema(2), dec("15", 1));
        c("decimal_opt_null", Decimal.builder(2).optional().build(), null);
        c("decimal_default_null", Decimal.builder(2).optional().defaultValue(dec("150", 2)).build(), null);
        c("date_epoch", Date.SCHEMA, date(0));
        c("date_recent", Date.SCHEMA, date(19000L * DAY));
        c("date_negative", Date.SCHEMA, date(-365L * DAY));
        c("time_zero", Time.SCHEMA, date(0));
        c("time_last_milli", Time.SCHEMA, date(DAY - 1));
        c("time_mid", Time.SCHEMA, date(45296789));
        c("time_full_day", Time.SCHEMA, date(DAY));
        c("time_past_day", Time.SCHEMA, date(DAY + 1));
        c("timestamp_epoch", Timestamp.SCHEMA, date(0));
        c("timestamp_now", Timestamp.SCHEMA, date(1700000000123L));
        c("timestamp_negative", Timestamp.SCHEMA, date(-1234567890123L));
        c("timestamp_opt_null", Timestamp.builder().optional().build(), null);

        // Arrays.
        Schema int32s = SchemaBuilder.array(Schema.INT32_SCHEMA).build();
        c("array_int32", int32s, list(1, 2, 3));
        c("array_empty", int32s, list());
        c("array_opt_strings", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build(), list("a", null, "c"));
        c("array_nested", SchemaBuilder.array(int32s).build(), list(list(1, 2), list(), list(3)));
        Schema point = SchemaBuilder.struct().name("Point").field("x", Schema.INT32_SCHEMA)
                .field("y", Schema.INT32_SCHEMA).build();
        c("array_structs", SchemaBuilder.array(point).build(),
                list(new Struct(point).put("x", 1).put("y", 2), new Struct(point).put("x", -1).put("y", 0)));
        Schema strToInt = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build();
        c("array_maps", SchemaBuilder.array(strToInt).build(), list(map("a", 1L), map()));
        c("array_decimals", SchemaBuilder.array(Decimal.schema(1)).build(), list(dec("15", 1), dec("-5", 1)));
        c("array_default_null", SchemaBuilder.array(Schema.INT32_SCHEMA).optional()
                .defaultValue(list(1, 2)).build(), null);
        c("array_wrong_element", int32s, list(1, "two"));

        // Maps.
        c("map_string_int64", strToInt, map("a", 1L, "b", 2L));
        c("map_string_empty", strToInt, map());
        Schema intToStr = SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build();
        c("map_int32_string", intToStr, map(1, "one", 2, "two"));
        c("map_int32_empty", intToStr, map());
        c("map_bool_keys", SchemaBuilder.map(Schema.BOOLEAN_SCHEMA, Schema.INT32_SCHEMA).build(), map(true, 1, false, 0));
        c("map_struct_keys", SchemaBuilder.map(point, Schema.STRING_SCHEMA).build(),
                map(new Struct(point).put("x", 1).put("y", 2), "a"));
        c("map_array_keys", SchemaBuilder.map(int32s, Schema.BOOLEAN_SCHEMA).build(), map(list(1, 2), true));
        c("map_string_to_array", SchemaBuilder.map(Schema.STRING_SCHEMA, int32s).build(), map("xs", list(1), "ys", list()));
        c("map_opt_values", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_FLOAT64_SCHEMA).build(),
                map("a", 1.5, "b", null));
        c("map_unicode_keys", strToInt, map("\u043a\u043b\u044e\u0447", 1L, "\ud83d\ude00", 2L, "a\"b\\c", 3L, "\n", 4L));
        c("map_decimal_values", SchemaBuilder.map(Schema.STRING_SCHEMA, Decimal.schema(3)).build(),
                map("price", dec("19990", 3)));
        c("map_decimal_keys", SchemaBuilder.map(Decimal.schema(1), Schema.STRING_SCHEMA).build(),
                map(dec("15", 1), "x"));
        c("map_opt_string_null_key", SchemaBuilder.map(Schema.OPTIONAL_STRING_SCHEMA, Schema.INT32_SCHEMA).build(),
                map(null, 1));

        // Structs.
        Schema flat = SchemaBuilder.struct().name("com.example.Flat")
                .field("i8", Schema.INT8_SCHEMA).field("i16", Schema.INT16_SCHEMA)
                .field("i32", Schema.INT32_SCHEMA).field("i64", Schema.INT64_SCHEMA)
                .field("f32", Schema.FLOAT32_SCHEMA).field("f64", Schema.FLOAT64_SCHEMA)
                .field("b", Schema.BOOLEAN_SCHEMA).field("s", Schema.STRING_SCHEMA)
                .field("y", Schema.BYTES_SCHEMA).build();
        c("struct_flat", flat, new Struct(flat).put("i8", (byte) 1).put("i16", (short) 2).put("i32", 3)
                .put("i64", 4L).put("f32", 5.5f).put("f64", 6.25).put("b", true).put("s", "seven")
                .put("y", bytes(8)));
        Schema leaf = SchemaBuilder.struct().name("Leaf").field("v", Schema.STRING_SCHEMA).build();
        Schema mid = SchemaBuilder.struct().name("Mid").field("leaf", leaf).field("n", Schema.INT32_SCHEMA).build();
        Schema top = SchemaBuilder.struct().name("Top").field("mid", mid).field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build()).build();
        c("struct_nested", top, new Struct(top)
                .put("mid", new Struct(mid).put("leaf", new Struct(leaf).put("v", "deep")).put("n", 2))
                .put("tags", list("a", "b")));
        Schema empty = SchemaBuilder.struct().build();
        c("struct_empty", empty, new Struct(empty));
        Schema opts = SchemaBuilder.struct().field("a", Schema.OPTIONAL_INT32_SCHEMA)
                .field("b", Schema.OPTIONAL_STRING_SCHEMA).field("c", SchemaBuilder.struct().optional()
                        .field("z", Schema.INT32_SCHEMA).build()).build();
        c("struct_optional_fields", opts, new Struct(opts).put("b", "set"));
        Schema defaults = SchemaBuilder.struct()
                .field("i", SchemaBuilder.int32().defaultValue(1).build())
                .field("s", SchemaBuilder.string().optional().defaultValue("d").build())
                .field("b", SchemaBuilder.bool().defaultValue(true).build())
                .field("f", SchemaBuilder.float32().optional().defaultValue(0.5f).build())
                .field("d", Decimal.builder(2).optional().defaultValue(dec("150", 2)).build())
                .field("m", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).optional()
                        .defaultValue(map("k", 1)).build())
                .build();
        c("struct_defaults_unset", defaults, new Struct(defaults));
        c("struct_defaults_set", defaults, new Struct(defaults).put("i", 9).put("s", "x").put("b", false)
                .put("f", 1.5f).put("d", dec("-1", 2)).put("m", map()));
        Schema logical = SchemaBuilder.struct().field("price", Decimal.schema(2)).field("day", Date.SCHEMA)
                .field("at", Time.SCHEMA).field("ts", Timestamp.SCHEMA).build();
        c("struct_logical", logical, new Struct(logical).put("price", dec("1999", 2))
                .put("day", date(19000L * DAY)).put("at", date(3600000)).put("ts", date(1700000000000L)));
        Schema unicode = SchemaBuilder.struct().field("\u00fcn\u00efc\u00f6d\u00e9", Schema.INT32_SCHEMA)
                .field("\ud83d\ude00", Schema.INT32_SCHEMA).field("with \"quote\"", Schema.INT32_SCHEMA)
                .field("tab\t", Schema.INT32_SCHEMA).build();
        c("struct_unicode_fields", unicode, new Struct(unicode).put("\u00fcn\u00efc\u00f6d\u00e9", 1)
                .put("\ud83d\ude00", 2).put("with \"quote\"", 3).put("tab\t", 4));
        Schema named = SchemaBuilder.struct().name("com.example.Named").version(12).doc("documented")
                .parameter("connect.record.doc", "yes").parameter("k", "v").optional()
                .field("id", SchemaBuilder.int64().doc("the id").build()).build();
        c("struct_named", named, new Struct(named).put("id", 99L));
        c("struct_named_null", named, null);
        Schema deep = SchemaBuilder.struct().field("leaf", Schema.INT32_SCHEMA).build();
        Struct deepValue = new Struct(deep).put("leaf", 1);
        for (int i = 0; i < 20; i++) {
            Schema next = SchemaBuilder.struct().field("s", deep).build();
            deepValue = new Struct(next).put("s", deepValue);
            deep = next;
        }
        c("struct_deep", deep, deepValue);
        Schema mixed = SchemaBuilder.struct()
                .field("matrix", SchemaBuilder.array(SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build()).build())
                .field("index", SchemaBuilder.map(Schema.INT64_SCHEMA, SchemaBuilder.array(Schema.STRING_SCHEMA).build()).build())
                .field("points", SchemaBuilder.map(Schema.STRING_SCHEMA, point).build())
                .build();
        c("struct_mixed", mixed, new Struct(mixed)
                .put("matrix", list(list(1.0, 2.5), list(-0.5)))
                .put("index", map(10L, list("a"), 20L, list()))
                .put("points", map("origin", new Struct(point).put("x", 0).put("y", 0))));
        c("struct_missing_required", point, new Struct(point).put("x", 1));
        Schema otherPoint = SchemaBuilder.struct().name("Other").field("x", Schema.INT32_SCHEMA)
                .field("y", Schema.INT32_SCHEMA).build();
        c("struct_schema_mismatch", otherPoint, new Struct(point).put("x", 1).put("y", 2));
        c("type_mismatch", Schema.INT32_SCHEMA, "not a number");
        // A STRUCT schema whose default is a Struct: the default is built with the builder as its
        // schema, as SchemaBuilder.defaultValue requires (and AvroData does for a record default).
        Schema optDefaulted = structWithStructDefault(true);
        c("struct_default_null", optDefaulted, null);
        c("struct_default_value", optDefaulted, new Struct(optDefaulted).put("x", 2));
        Schema holder = SchemaBuilder.struct().field("inner", optDefaulted).build();
        c("struct_default_nested_unset", holder, new Struct(holder));
        Schema reqDefaulted = structWithStructDefault(false);
        c("struct_default_required_value", reqDefaulted, new Struct(reqDefaulted).put("x", 3));
        c("struct_default_required_null", reqDefaulted, null);

        // Schemaless.
        c("nl_null", null, null);
        c("nl_int32", null, 5);
        c("nl_int64", null, 5L);
        c("nl_float", null, 1.5f);
        c("nl_double", null, 2.5);
        c("nl_bool", null, true);
        c("nl_string", null, "text \u00e9\ud83d\ude00");
        c("nl_bytes", null, bytes(1, 2, 3));
        c("nl_list", null, list(1, "a", null, true, 2.5));
        c("nl_map_string", null, map("a", 1, "b", list(1, 2), "c", null));
        c("nl_map_mixed_keys", null, map(1, "a", 2L, "b"));
        c("nl_nested", null, list(map("k", list(map())), list(list())));
        c("nl_empty_list", null, list());
        c("nl_empty_map", null, map());
        c("nl_struct", null, new Struct(point).put("x", 1).put("y", 2));
        c("nl_decimal", null, dec("1", 0));
    }

    static JsonConverter converter(String setting) {
        JsonConverter converter = new JsonConverter();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("schemas.enable", Boolean.toString(setting.charAt(0) == 'E'));
        config.put("decimal.format", setting.charAt(1) == 'N' ? "NUMERIC" : "BASE64");
        config.put("replace.null.with.default", Boolean.toString(setting.charAt(2) == 'R'));
        converter.configure(config, false);
        return converter;
    }

    static String message(Throwable e) {
        StringBuilder sb = new StringBuilder(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
        if (e.getCause() != null) {
            sb.append(" / ").append(e.getCause().getMessage());
        }
        return sb.toString().replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    static String hex(byte[] data) {
        StringBuilder sb = new StringBuilder();
        for (byte b : data) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    static String hex(String s) {
        return hex(s.getBytes(StandardCharsets.UTF_8));
    }

    static String describeSchema(Schema s) {
        if (s == null) {
            return "-";
        }
        StringBuilder sb = new StringBuilder(s.type().name());
        if (s.isOptional()) {
            sb.append('?');
        }
        if (s.name() != null) {
            sb.append("|n=").append(hex(s.name()));
        }
        if (s.version() != null) {
            sb.append("|v=").append(s.version());
        }
        if (s.doc() != null) {
            sb.append("|d=").append(hex(s.doc()));
        }
        if (s.parameters() != null && !s.parameters().isEmpty()) {
            List<String> params = new ArrayList<>();
            for (Map.Entry<String, String> e : s.parameters().entrySet()) {
                params.add(hex(e.getKey()) + ":" + hex(e.getValue()));
            }
            sb.append("|p=").append(String.join(",", params));
        }
        if (s.defaultValue() != null) {
            sb.append("|def=").append(describeValue(s.defaultValue()));
        }
        switch (s.type()) {
            case ARRAY:
                sb.append("|items=(").append(describeSchema(s.valueSchema())).append(')');
                break;
            case MAP:
                sb.append("|keys=(").append(describeSchema(s.keySchema())).append(")|values=(")
                        .append(describeSchema(s.valueSchema())).append(')');
                break;
            case STRUCT:
                List<String> fields = new ArrayList<>();
                for (Field f : s.fields()) {
                    fields.add(hex(f.name()) + ":(" + describeSchema(f.schema()) + ")");
                }
                sb.append("|fields=(").append(String.join(",", fields)).append(')');
                break;
            default:
                break;
        }
        return sb.toString();
    }

    static String describeValue(Object v) {
        if (v == null) {
            return "null";
        } else if (v instanceof Byte) {
            return "i8:" + v;
        } else if (v instanceof Short) {
            return "i16:" + v;
        } else if (v instanceof Integer) {
            return "i32:" + v;
        } else if (v instanceof Long) {
            return "i64:" + v;
        } else if (v instanceof Float) {
            return String.format("f32:%08x", Float.floatToRawIntBits((Float) v));
        } else if (v instanceof Double) {
            return String.format("f64:%016x", Double.doubleToRawLongBits((Double) v));
        } else if (v instanceof Boolean) {
            return "b:" + v;
        } else if (v instanceof String) {
            return "s:" + hex((String) v);
        } else if (v instanceof byte[]) {
            return "y:" + hex((byte[]) v);
        } else if (v instanceof ByteBuffer) {
            ByteBuffer buffer = ((ByteBuffer) v).duplicate();
            byte[] data = new byte[buffer.remaining()];
            buffer.get(data);
            return "y:" + hex(data);
        } else if (v instanceof BigDecimal) {
            BigDecimal d = (BigDecimal) v;
            return "dec:" + d.unscaledValue() + "/" + d.scale();
        } else if (v instanceof java.util.Date) {
            return "date:" + ((java.util.Date) v).getTime();
        } else if (v instanceof List) {
            List<String> items = new ArrayList<>();
            for (Object item : (List<?>) v) {
                items.add(describeValue(item));
            }
            return "[" + String.join(",", items) + "]";
        } else if (v instanceof Map) {
            List<String> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                entries.add(describeValue(e.getKey()) + "=" + describeValue(e.getValue()));
            }
            entries.sort(null);
            return "{" + String.join(",", entries) + "}";
        } else if (v instanceof Struct) {
            Struct s = (Struct) v;
            List<String> fields = new ArrayList<>();
            for (Field f : s.schema().fields()) {
                fields.add(hex(f.name()) + "=" + describeValue(s.getWithoutDefault(f.name())));
            }
            return "struct{" + String.join(",", fields) + "}";
        }
        return "unknown:" + v.getClass().getName();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: JsonCompat encode|decode");
            System.exit(2);
        }
        StringBuilder out = new StringBuilder();
        if (args[0].equals("encode")) {
            corpus();
            for (String setting : SETTINGS) {
                JsonConverter converter = converter(setting);
                for (Map.Entry<String, Object[]> e : CASES.entrySet()) {
                    Schema schema = (Schema) e.getValue()[0];
                    Object value = e.getValue()[1];
                    out.append("E\t").append(e.getKey()).append('\t').append(setting).append('\t');
                    try {
                        byte[] bytes = converter.fromConnectData("topic", schema, value);
                        if (bytes == null) {
                            out.append("NULL");
                        } else {
                            out.append("OK\t").append(Base64.getEncoder().encodeToString(bytes));
                        }
                    } catch (Exception ex) {
                        out.append("ERR\t").append(message(ex));
                    }
                    out.append('\n');
                }
            }
        } else if (args[0].equals("decode")) {
            Map<String, JsonConverter> converters = new LinkedHashMap<>();
            for (String setting : SETTINGS) {
                converters.put(setting, converter(setting));
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                String[] parts = line.split("\t", -1);
                out.append("D\t").append(parts[0]).append('\t');
                try {
                    byte[] bytes = parts[2].equals("-") ? null : Base64.getDecoder().decode(parts[2]);
                    SchemaAndValue sv = converters.get(parts[1]).toConnectData("topic", bytes);
                    out.append("OK\t").append(describeSchema(sv.schema())).append('\t').append(describeValue(sv.value()));
                } catch (Throwable ex) {
                    out.append("ERR\t").append(message(ex));
                }
                out.append('\n');
            }
        } else {
            System.err.println("unknown mode " + args[0]);
            System.exit(2);
        }
        System.out.write(out.toString().getBytes(StandardCharsets.UTF_8));
        System.out.flush();
    }
}
