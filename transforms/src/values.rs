//! Kafka Connect's `Values.parseString`: the schema and value a literal string stands for, as
//! `InsertHeader` reads its `value.literal`. `true`/`false` are booleans, integers take the
//! smallest integer type that holds them, other numbers are FLOAT32 (FLOAT64 or Decimal when they
//! do not fit), `yyyy-MM-dd`, `HH:mm:ss.SSS'Z'` and `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` are Date, Time
//! and Timestamp, `[..]` and `{..}` are arrays and maps of such values, `null` is null, and
//! anything else is the string itself.
//!
//! Differences: temporal literals are read in UTC (Kafka Connect uses the JVM's time zone), and
//! arrays or maps whose elements have no common schema (including `[]` and `{}`) are refused:
//! Kafka Connect gives them schemas without an element type, which no converter can write.

use connect_api::data::logical::{date_schema, decimal_schema, time_schema, timestamp_schema};
use connect_api::data::{
    Decimal, Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Type, Value,
};

use super::datefmt::{DAY_MS, DateFormat};

/// Why a literal could not be turned into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ParseError {
    /// Kafka Connect's `DataException` while reading an array or map: the literal is a string.
    Syntax,
    /// A literal wharf does not represent.
    Unsupported(String),
}

/// Parses a literal. `Ok(None)` is `null`.
pub(crate) fn parse_string(text: &str) -> Result<Option<SchemaAndValue>, String> {
    if text.is_empty() {
        return Ok(Some(string(text)));
    }
    let mut parser = ValueParser {
        p: Parser::new(text),
    };
    match parser.parse(false) {
        Ok(v) => Ok(v),
        Err(ParseError::Unsupported(m)) => Err(m),
        Err(ParseError::Syntax) => Ok(Some(string(text))),
    }
}

fn string(text: &str) -> SchemaAndValue {
    SchemaAndValue::new(Some(Schema::string()), Value::String(Str::from(text)))
}

fn is_blank(s: &str) -> bool {
    s.chars().all(|c| c <= ' ')
}

fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Kafka Connect's tokenizer: `: , { } [ ] "` are tokens of their own unless escaped with `\`.
struct Parser {
    chars: Vec<char>,
    pos: usize,
    next_token: Option<String>,
    previous: Option<String>,
}

impl Parser {
    fn new(text: &str) -> Self {
        Self {
            chars: text.chars().collect(),
            pos: 0,
            next_token: None,
            previous: None,
        }
    }

    fn original(&self) -> String {
        self.chars.iter().collect()
    }

    fn mark(&self) -> usize {
        self.pos - self.next_token.as_ref().map_or(0, |t| t.chars().count())
    }

    fn rewind_to(&mut self, position: usize) {
        self.pos = position;
        self.next_token = None;
        self.previous = None;
    }

    fn has_next(&self) -> bool {
        self.next_token.is_some() || self.pos < self.chars.len()
    }

    fn next(&mut self) -> String {
        let token = match self.next_token.take() {
            Some(t) => t,
            None => self.consume(),
        };
        self.previous = Some(token.clone());
        token
    }

    fn next_n(&mut self, n: usize) -> Option<String> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind_to(start);
                return None;
            }
            self.next();
        }
        Some(self.chars.get(start..self.pos)?.iter().collect())
    }

    fn consume(&mut self) -> String {
        let start = self.pos;
        let mut escaped = false;
        while let Some(&c) = self.chars.get(self.pos) {
            match c {
                '\\' => escaped = !escaped,
                ':' | ',' | '{' | '}' | '[' | ']' | '"' if !escaped => {
                    if start < self.pos {
                        return self
                            .chars
                            .get(start..self.pos)
                            .unwrap_or(&[])
                            .iter()
                            .collect();
                    }
                    self.pos += 1;
                    return c.to_string();
                }
                _ => escaped = false,
            }
            self.pos += 1;
        }
        self.chars
            .get(start..self.pos)
            .unwrap_or(&[])
            .iter()
            .collect()
    }

    fn can_consume(&mut self, expected: &str) -> bool {
        if self.next_token.is_none() {
            if !self.has_next() {
                return false;
            }
            self.next_token = Some(self.consume());
        }
        while self.next_token.as_deref().is_some_and(is_blank) && self.pos < self.chars.len() {
            self.next_token = Some(self.consume());
        }
        if self.next_token.as_deref().map(java_trim) == Some(expected) {
            self.next_token = None;
            true
        } else {
            false
        }
    }
}

struct ValueParser {
    p: Parser,
}

type Parsed = Result<Option<SchemaAndValue>, ParseError>;

impl ValueParser {
    fn single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.p.mark();
        if self.p.can_consume(literal) && (embedded || !self.p.has_next()) {
            return true;
        }
        self.p.rewind_to(start);
        false
    }

    fn parse(&mut self, embedded: bool) -> Parsed {
        if !self.p.has_next() {
            return Ok(None);
        }
        if embedded && self.p.can_consume("\"") {
            return Ok(Some(self.quoted_string()));
        }
        if self.single_token_literal(embedded, "null") {
            return Ok(None);
        }
        for (literal, value) in [("true", true), ("false", false)] {
            if self.single_token_literal(embedded, literal) {
                return Ok(Some(SchemaAndValue::new(
                    Some(Schema::boolean()),
                    Value::Boolean(value),
                )));
            }
        }
        let start = self.p.mark();
        let nested = if self.p.can_consume("[") {
            Some(self.array())
        } else if self.p.can_consume("{") {
            Some(self.map())
        } else {
            None
        };
        match nested {
            Some(Err(ParseError::Syntax)) => self.p.rewind_to(start),
            Some(result) => return result,
            None => {}
        }
        let token = self.p.next();
        if is_blank(&token) {
            return Ok(Some(string(&token)));
        }
        self.next_token(embedded, java_trim(&token))
    }

    fn next_token(&mut self, embedded: bool, token: &str) -> Parsed {
        let first = token.chars().next().unwrap_or(' ');
        if first.is_ascii_digit() {
            let position = self.p.mark();
            if let Some(rest) = self.p.next_n(4)
                && let Some(t) = temporal(&format!("{token}{rest}"))
            {
                return Ok(Some(t));
            }
            self.p.rewind_to(position);
            if let Some(t) = temporal(token) {
                return Ok(Some(t));
            }
        }
        if (first.is_ascii_digit() || first == '+' || first == '-')
            && let Ok(decimal) = token.parse::<Decimal>()
        {
            return number(&decimal).map(Some);
        }
        if embedded {
            return Err(ParseError::Syntax);
        }
        Ok(Some(string(&self.p.original())))
    }

    fn quoted_string(&mut self) -> SchemaAndValue {
        let mut content = String::new();
        while self.p.has_next() {
            if self.p.can_consume("\"") {
                break;
            }
            content.push_str(&self.p.next());
        }
        temporal(&content).unwrap_or_else(|| string(&content))
    }

    fn array(&mut self) -> Parsed {
        let mut items = Vec::new();
        let mut common = Merger::default();
        while self.p.has_next() {
            if self.p.can_consume("]") {
                let Some(item_schema) = common.schema() else {
                    return Err(ParseError::Unsupported(
                        "an array literal needs elements of one common type".to_owned(),
                    ));
                };
                let items = items
                    .into_iter()
                    .map(|v| align(&item_schema, v))
                    .collect::<Result<Vec<_>, _>>()?;
                let schema = SchemaBuilder::array(item_schema)
                    .build()
                    .map_err(|e| ParseError::Unsupported(e.to_string()))?;
                return Ok(Some(SchemaAndValue::new(Some(schema), Value::Array(items))));
            }
            if self.p.can_consume(",") {
                return Err(ParseError::Syntax);
            }
            let item = self.parse(true)?;
            common.merge(item.as_ref());
            items.push(item.map_or(Value::Null, |i| i.value));
            let position = self.p.mark();
            if self.p.can_consume("]") {
                self.p.rewind_to(position);
            } else if !self.p.can_consume(",") {
                return Err(ParseError::Syntax);
            }
        }
        Err(ParseError::Syntax)
    }

    fn map(&mut self) -> Parsed {
        let mut entries: Vec<(Value, Value)> = Vec::new();
        let mut keys = Merger::default();
        let mut values = Merger::default();
        while self.p.has_next() {
            if self.p.can_consume("}") {
                let (Some(key_schema), Some(value_schema)) = (keys.schema(), values.schema())
                else {
                    return Err(ParseError::Unsupported(
                        "a map literal needs keys of one common type and values of one common \
                         type"
                            .to_owned(),
                    ));
                };
                let entries = entries
                    .into_iter()
                    .map(|(k, v)| Ok((align(&key_schema, k)?, align(&value_schema, v)?)))
                    .collect::<Result<Vec<_>, ParseError>>()?;
                let schema = SchemaBuilder::map(key_schema, value_schema)
                    .build()
                    .map_err(|e| ParseError::Unsupported(e.to_string()))?;
                return Ok(Some(SchemaAndValue::new(Some(schema), Value::Map(entries))));
            }
            if self.p.can_consume(",") {
                return Err(ParseError::Syntax);
            }
            let key = match self.parse(true)? {
                Some(k) if !k.value.is_null() => k,
                _ => return Err(ParseError::Syntax),
            };
            if !self.p.can_consume(":") {
                return Err(ParseError::Syntax);
            }
            let value = self.parse(true)?;
            keys.merge(Some(&key));
            values.merge(value.as_ref());
            let value = value.map_or(Value::Null, |v| v.value);
            match entries.iter_mut().find(|(k, _)| *k == key.value) {
                Some(slot) => slot.1 = value,
                None => entries.push((key.value, value)),
            }
            self.p.can_consume(",");
        }
        Err(ParseError::Syntax)
    }
}

/// `Values.SchemaMerger`: the schema all values so far fit, widening numbers.
#[derive(Default)]
struct Merger {
    common: Option<SchemaRef>,
    incompatible: bool,
}

impl Merger {
    fn merge(&mut self, latest: Option<&SchemaAndValue>) {
        let Some(schema) = latest.and_then(|l| l.schema.as_ref()) else {
            return;
        };
        if self.incompatible {
            return;
        }
        self.common = match self.common.take() {
            None => Some(schema.clone()),
            Some(previous) => {
                let merged = merge(previous, schema.clone());
                self.incompatible = merged.is_none();
                merged
            }
        };
    }

    fn schema(&self) -> Option<SchemaRef> {
        self.common.clone()
    }
}

fn rank(ty: Type) -> Option<u8> {
    match ty {
        Type::Int8 => Some(0),
        Type::Int16 => Some(1),
        Type::Int32 => Some(2),
        Type::Int64 => Some(3),
        Type::Float32 => Some(4),
        Type::Float64 => Some(5),
        _ => None,
    }
}

fn merge(previous: SchemaRef, latest: SchemaRef) -> Option<SchemaRef> {
    if previous.ty() != latest.ty() {
        let (a, b) = (rank(previous.ty())?, rank(latest.ty())?);
        return Some(if b > a { latest } else { previous });
    }
    if previous.is_optional() == latest.is_optional() {
        return Some(if previous.is_optional() {
            previous
        } else {
            latest
        });
    }
    (previous == latest).then_some(previous)
}

/// `Values.convertTo` for the widening conversions merging can ask for.
fn align(schema: &Schema, value: Value) -> Result<Value, ParseError> {
    if value.is_null() {
        return if schema.is_optional() {
            Ok(value)
        } else {
            Err(ParseError::Syntax)
        };
    }
    if schema.logical().is_some() {
        return Ok(value);
    }
    let as_i64 = match &value {
        Value::Int8(v) => Some(i64::from(*v)),
        Value::Int16(v) => Some(i64::from(*v)),
        Value::Int32(v) => Some(i64::from(*v)),
        Value::Int64(v) => Some(*v),
        _ => None,
    };
    let as_f64 = match &value {
        Value::Float32(v) => Some(f64::from(*v)),
        Value::Float64(v) => Some(*v),
        _ => as_i64.map(|v| v as f64),
    };
    Ok(match (schema.ty(), as_i64, as_f64) {
        (Type::Int16, Some(v), _) => Value::Int16(v as i16),
        (Type::Int32, Some(v), _) => Value::Int32(v as i32),
        (Type::Int64, Some(v), _) => Value::Int64(v),
        (Type::Float32, Some(v), _) => Value::Float32(v as f32),
        (Type::Float32, None, Some(v)) => Value::Float32(v as f32),
        (Type::Float64, Some(v), _) => Value::Float64(v as f64),
        (Type::Float64, None, Some(v)) => Value::Float64(v),
        _ => value,
    })
}

/// `ValueParser.parseAsNumber`.
fn number(decimal: &Decimal) -> Result<SchemaAndValue, ParseError> {
    let integral = integral_value(decimal);
    if let Some(v) = integral {
        let (schema, value) = if let Ok(v) = i8::try_from(v) {
            (Schema::int8(), Value::Int8(v))
        } else if let Ok(v) = i16::try_from(v) {
            (Schema::int16(), Value::Int16(v))
        } else if let Ok(v) = i32::try_from(v) {
            (Schema::int32(), Value::Int32(v))
        } else {
            (Schema::int64(), Value::Int64(v))
        };
        return Ok(SchemaAndValue::new(Some(schema), value));
    }
    let text = decimal.to_string();
    if decimal.scale() != 0 {
        if let Ok(f) = text.parse::<f32>()
            && f.is_finite()
        {
            return Ok(SchemaAndValue::new(
                Some(Schema::float32()),
                Value::Float32(f),
            ));
        }
        if let Ok(d) = text.parse::<f64>()
            && d.is_finite()
        {
            return Ok(SchemaAndValue::new(
                Some(Schema::float64()),
                Value::Float64(d),
            ));
        }
    }
    let schema = decimal_schema(decimal.scale())
        .build()
        .map_err(|e| ParseError::Unsupported(e.to_string()))?;
    Ok(SchemaAndValue::new(
        Some(schema),
        Value::Decimal(decimal.clone()),
    ))
}

/// The value of a decimal without a fractional part that fits 64 bits.
fn integral_value(decimal: &Decimal) -> Option<i64> {
    use num_bigint::BigInt;
    let scale = decimal.scale();
    let unscaled = decimal.unscaled();
    let whole = if scale <= 0 {
        let factor = pow10(u32::try_from(-i64::from(scale)).ok()?)?;
        unscaled * factor
    } else {
        let factor = pow10(u32::try_from(scale).ok()?)?;
        if unscaled % &factor != BigInt::from(0) {
            return None;
        }
        unscaled / factor
    };
    i64::try_from(whole).ok()
}

fn pow10(exp: u32) -> Option<num_bigint::BigInt> {
    (exp <= 4096).then(|| num_bigint::BigInt::from(10u32).pow(exp))
}

/// `ValueParser.parseAsTemporal`, in UTC.
fn temporal(token: &str) -> Option<SchemaAndValue> {
    let token = token.replace("\\:", ":");
    let (pattern, builder, kind) = match token.chars().count() {
        13 => ("HH:mm:ss.SSS'Z'", time_schema(), 't'),
        24 => ("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", timestamp_schema(), 's'),
        10 => ("yyyy-MM-dd", date_schema(), 'd'),
        _ => return None,
    };
    let millis = DateFormat::new(pattern).ok()?.parse(&token)?;
    let value = match kind {
        't' => Value::Time(i32::try_from(millis).ok()?),
        's' => Value::Timestamp(millis),
        _ => Value::Date(i32::try_from(millis.div_euclid(DAY_MS)).ok()?),
    };
    Some(SchemaAndValue::new(Some(builder.build().ok()?), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SchemaAndValue {
        parse_string(text).unwrap().unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(parse("hello world"), string("hello world"));
        assert_eq!(parse(""), string(""));
        assert_eq!(parse_string("null").unwrap(), None);
        assert_eq!(parse("true").value, Value::Boolean(true));
        assert_eq!(parse("true}"), string("true}"));
        assert_eq!(parse("42").schema, Some(Schema::int8()));
        assert_eq!(parse("300").value, Value::Int16(300));
        assert_eq!(parse("-70000").value, Value::Int32(-70000));
        assert_eq!(parse("5000000000").value, Value::Int64(5_000_000_000));
        assert_eq!(parse("1.0").value, Value::Int8(1));
        assert_eq!(parse("3.25").value, Value::Float32(3.25));
        assert_eq!(parse("1e40").value, Value::Float64(1e40));
        assert_eq!(parse("1.2.3"), string("1.2.3"));
        let big = parse("123456789012345678901234567890");
        assert_eq!(
            big.schema.unwrap().name(),
            Some("org.apache.kafka.connect.data.Decimal")
        );
    }

    #[test]
    fn temporals() {
        assert_eq!(parse("2024-01-15").value, Value::Date(19_737));
        assert_eq!(parse("10:20:30.400Z").value, Value::Time(37_230_400));
        assert_eq!(
            parse("2024-01-15T10:20:30.400Z").value,
            Value::Timestamp(19_737 * DAY_MS + 37_230_400)
        );
    }

    #[test]
    fn arrays_and_maps() {
        let a = parse("[1, 2, 300]");
        assert_eq!(a.schema.unwrap().value_schema(), Some(&Schema::int16()));
        assert_eq!(
            a.value,
            Value::Array(vec![Value::Int16(1), Value::Int16(2), Value::Int16(300)])
        );
        let m = parse("{\"a\": 1, \"b\": 2.5}");
        assert_eq!(
            m.schema.as_ref().unwrap().key_schema(),
            Some(&Schema::string())
        );
        assert_eq!(m.schema.unwrap().value_schema(), Some(&Schema::float32()));
        assert_eq!(parse("[a, b]"), string("[a, b]"));
        assert_eq!(parse("[1, 2"), string("[1, 2"));
        assert!(parse_string("[1, \"x\"]").is_err());
        assert!(parse_string("[]").is_err());
    }
}
