//! Java's `SimpleDateFormat` patterns (`yyyyMMdd`, `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, ...), which
//! `TimestampConverter` and `TimestampRouter` take, always in UTC as those transforms use them.
//!
//! Formatting covers every pattern letter of `SimpleDateFormat` with English names and the US week
//! rules (weeks start on Sunday; week 1 holds January 1st), Java's defaults on a US-locale JVM.
//! Parsing is lenient like Java's: out-of-range numbers roll over (`2024-02-30` is March 1st),
//! leading spaces before a field are skipped, and text after the last field is ignored.
//!
//! Differences: dates use the proleptic Gregorian calendar throughout (Java switches to the Julian
//! calendar before 1582-10-15); when parsing, week and day-of-week fields (`w W F E u`) are read
//! but do not move the date.

/// Milliseconds per day.
pub(crate) const DAY_MS: i64 = 86_400_000;

const PATTERN_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field { letter: char, count: usize },
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct DateFormat {
    pattern: String,
    items: Vec<Item>,
}

impl DateFormat {
    /// Compiles a pattern; the error is Java's `IllegalArgumentException` message.
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut items = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                let mut closed = false;
                while let Some(&q) = chars.get(i) {
                    if q == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            literal.push('\'');
                            i += 2;
                            continue;
                        }
                        closed = true;
                        i += 1;
                        break;
                    }
                    literal.push(q);
                    i += 1;
                }
                if !closed {
                    return Err("Unterminated quote".to_owned());
                }
                continue;
            }
            if c.is_ascii_alphabetic() {
                if !PATTERN_LETTERS.contains(c) {
                    return Err(format!("Illegal pattern character '{c}'"));
                }
                if !literal.is_empty() {
                    items.push(Item::Literal(std::mem::take(&mut literal)));
                }
                let count = chars.iter().skip(i).take_while(|&&x| x == c).count();
                items.push(Item::Field { letter: c, count });
                i += count;
                continue;
            }
            literal.push(c);
            i += 1;
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        Ok(Self {
            pattern: pattern.to_owned(),
            items,
        })
    }

    /// The pattern as given (Java's `toPattern()`).
    pub(crate) fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Formats an instant (milliseconds since the epoch) in UTC.
    pub(crate) fn format(&self, millis: i64) -> String {
        let t = Civil::from_millis(millis);
        let mut out = String::with_capacity(self.pattern.len() + 8);
        for item in &self.items {
            match item {
                Item::Literal(text) => out.push_str(text),
                Item::Field { letter, count } => t.format_field(&mut out, *letter, *count),
            }
        }
        out
    }

    /// Parses leniently; `None` when the text does not follow the pattern.
    pub(crate) fn parse(&self, text: &str) -> Option<i64> {
        let chars: Vec<char> = text.chars().collect();
        let mut p = Parsed::default();
        let mut pos = 0;
        for (i, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(lit) => {
                    for c in lit.chars() {
                        if chars.get(pos) != Some(&c) {
                            return None;
                        }
                        pos += 1;
                    }
                }
                Item::Field { letter, count } => {
                    let obey_count = matches!(self.items.get(i + 1), Some(Item::Field { .. }));
                    while matches!(chars.get(pos), Some(' ' | '\t')) {
                        pos += 1;
                    }
                    pos = p.field(&chars, pos, *letter, *count, obey_count)?;
                }
            }
        }
        p.millis()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date; `month` is 1-based and may lie outside
/// 1..=12 (it rolls into other years).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = year + (month - 1).div_euclid(12);
    let month = (month - 1).rem_euclid(12) + 1;
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1..=12, day 1..=31) of a day number.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day of week, 0 = Sunday.
fn day_of_week(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// An instant broken down in UTC.
struct Civil {
    days: i64,
    year: i64,
    month: i64,
    day: i64,
    millis_of_day: i64,
}

impl Civil {
    fn from_millis(millis: i64) -> Self {
        let days = millis.div_euclid(DAY_MS);
        let (year, month, day) = civil_from_days(days);
        Self {
            days,
            year,
            month,
            day,
            millis_of_day: millis.rem_euclid(DAY_MS),
        }
    }

    fn hour(&self) -> i64 {
        self.millis_of_day / 3_600_000
    }

    fn day_of_year(&self) -> i64 {
        self.days - days_from_civil(self.year, 1, 1) + 1
    }

    /// (week year, week of year) under the US rules.
    fn week(&self) -> (i64, i64) {
        let dow = day_of_week(self.days);
        let week_end = self.days - dow + 6;
        if week_end >= days_from_civil(self.year + 1, 1, 1) {
            return (self.year + 1, 1);
        }
        let jan1 = days_from_civil(self.year, 1, 1);
        (self.year, (self.days - jan1 + day_of_week(jan1)) / 7 + 1)
    }

    fn format_field(&self, out: &mut String, letter: char, count: usize) {
        let dow = day_of_week(self.days);
        let era_year = |y: i64| if y <= 0 { 1 - y } else { y };
        let number = match letter {
            'G' => return out.push_str(if self.year > 0 { "AD" } else { "BC" }),
            'y' | 'Y' => {
                let y = era_year(if letter == 'y' {
                    self.year
                } else {
                    self.week().0
                });
                if count == 2 {
                    return pad(out, y % 100, 2);
                }
                y
            }
            'M' | 'L' if count >= 3 => {
                let name = MONTHS.get((self.month - 1) as usize).copied().unwrap_or("");
                return out.push_str(if count >= 4 { name } else { short(name) });
            }
            'M' | 'L' => self.month,
            'd' => self.day,
            'D' => self.day_of_year(),
            'F' => (self.day - 1) / 7 + 1,
            'E' => {
                let name = DAYS.get(dow as usize).copied().unwrap_or("");
                return out.push_str(if count >= 4 { name } else { short(name) });
            }
            'u' => {
                if dow == 0 {
                    7
                } else {
                    dow
                }
            }
            'w' => self.week().1,
            'W' => {
                let first = self.days - (self.day - 1);
                (self.day - 1 + day_of_week(first)) / 7 + 1
            }
            'a' => return out.push_str(if self.hour() < 12 { "AM" } else { "PM" }),
            'H' => self.hour(),
            'k' => {
                if self.hour() == 0 {
                    24
                } else {
                    self.hour()
                }
            }
            'K' => self.hour() % 12,
            'h' => {
                if self.hour() % 12 == 0 {
                    12
                } else {
                    self.hour() % 12
                }
            }
            'm' => self.millis_of_day / 60_000 % 60,
            's' => self.millis_of_day / 1000 % 60,
            'S' => self.millis_of_day % 1000,
            'z' => {
                return out.push_str(if count >= 4 {
                    "Coordinated Universal Time"
                } else {
                    "UTC"
                });
            }
            'Z' => return out.push_str("+0000"),
            'X' => return out.push('Z'),
            _ => return,
        };
        pad(out, number, count);
    }
}

fn short(name: &str) -> &str {
    name.get(..3).unwrap_or(name)
}

fn pad(out: &mut String, value: i64, width: usize) {
    let digits = value.unsigned_abs().to_string();
    if value < 0 {
        out.push('-');
    }
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// Fields read so far.
#[derive(Default)]
struct Parsed {
    year: Option<i64>,
    bc: bool,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour_of_day: Option<i64>,
    hour: Option<i64>,
    pm: Option<bool>,
    minute: i64,
    second: i64,
    milli: i64,
    offset_ms: i64,
}

impl Parsed {
    fn field(
        &mut self,
        text: &[char],
        start: usize,
        letter: char,
        count: usize,
        obey_count: bool,
    ) -> Option<usize> {
        match letter {
            'M' | 'L' if count >= 3 => {
                let (i, end) = match_name(text, start, &MONTHS)?;
                self.month = Some(i as i64 + 1);
                return Some(end);
            }
            'E' => return match_name(text, start, &DAYS).map(|(_, end)| end),
            'a' => {
                let (i, end) = match_any(text, start, &["AM", "PM"])?;
                self.pm = Some(i == 1);
                return Some(end);
            }
            'G' => {
                let (i, end) = match_any(text, start, &["AD", "BC"])?;
                self.bc = i == 1;
                return Some(end);
            }
            'z' | 'Z' | 'X' => {
                let (offset, end) = parse_zone(text, start)?;
                self.offset_ms = offset;
                return Some(end);
            }
            _ => {}
        }
        let limit = if obey_count {
            start + count
        } else {
            text.len()
        };
        let (value, end) = parse_number(text, start, limit.min(text.len()))?;
        match letter {
            'y' | 'Y' => {
                let two_digits = count <= 2
                    && end - start == 2
                    && text.get(start).is_some_and(char::is_ascii_digit);
                self.year = Some(if two_digits {
                    resolve_two_digit_year(value)
                } else {
                    value
                });
            }
            'M' | 'L' => self.month = Some(value),
            'd' => self.day = Some(value),
            'D' => self.day_of_year = Some(value),
            'H' => self.hour_of_day = Some(value),
            'k' => self.hour_of_day = Some(if value == 24 { 0 } else { value }),
            'K' => self.hour = Some(value),
            'h' => self.hour = Some(if value == 12 { 0 } else { value }),
            'm' => self.minute = value,
            's' => self.second = value,
            'S' => self.milli = value,
            _ => {}
        }
        Some(end)
    }

    fn millis(&self) -> Option<i64> {
        let mut year = self.year.unwrap_or(1970);
        if self.bc {
            year = 1 - year;
        }
        let days = match (self.day_of_year, self.month, self.day) {
            (Some(doy), None, None) => days_from_civil(year, 1, 1) + doy - 1,
            _ => days_from_civil(year, self.month.unwrap_or(1), 1) + self.day.unwrap_or(1) - 1,
        };
        let pm = if self.pm == Some(true) { 12 } else { 0 };
        let hour = match (self.hour_of_day, self.hour) {
            (Some(h), _) => h,
            (None, Some(h)) => h + pm,
            (None, None) => pm,
        };
        let total = i128::from(days) * i128::from(DAY_MS)
            + i128::from(hour) * 3_600_000
            + i128::from(self.minute) * 60_000
            + i128::from(self.second) * 1000
            + i128::from(self.milli)
            - i128::from(self.offset_ms);
        i64::try_from(total).ok()
    }
}

/// Java's two-digit year rule: within 80 years before and 20 years after now.
fn resolve_two_digit_year(value: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let (now_year, _, _) = civil_from_days(now.div_euclid(DAY_MS));
    let start = now_year - 80;
    let ambiguous = start % 100;
    value + (start / 100) * 100 + if value < ambiguous { 100 } else { 0 }
}

/// An optional minus sign and at least one digit, before `limit`.
fn parse_number(text: &[char], start: usize, limit: usize) -> Option<(i64, usize)> {
    let mut pos = start;
    let negative = text.get(pos) == Some(&'-') && pos < limit;
    if negative {
        pos += 1;
    }
    let digits_start = pos;
    let mut value: i64 = 0;
    while pos < limit {
        let Some(d) = text.get(pos).and_then(|c| c.to_digit(10)) else {
            break;
        };
        value = value.checked_mul(10)?.checked_add(i64::from(d))?;
        pos += 1;
    }
    if pos == digits_start {
        return None;
    }
    Some((if negative { -value } else { value }, pos))
}

/// The longest of the full and three-letter names matching at `start`, case-insensitively.
fn match_name(text: &[char], start: usize, names: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        for candidate in [*name, short(name)] {
            if let Some(end) = match_at(text, start, candidate)
                && best.is_none_or(|(_, e)| end > e)
            {
                best = Some((i, end));
            }
        }
    }
    best
}

fn match_any(text: &[char], start: usize, options: &[&str]) -> Option<(usize, usize)> {
    options
        .iter()
        .enumerate()
        .find_map(|(i, o)| match_at(text, start, o).map(|end| (i, end)))
}

fn match_at(text: &[char], start: usize, word: &str) -> Option<usize> {
    let mut pos = start;
    for w in word.chars() {
        let c = text.get(pos)?;
        if !c.eq_ignore_ascii_case(&w) {
            return None;
        }
        pos += 1;
    }
    Some(pos)
}

/// `Z`, `UTC`/`GMT` with an optional offset, or an offset `±hh`, `±hhmm`, `±hh:mm`.
fn parse_zone(text: &[char], start: usize) -> Option<(i64, usize)> {
    let mut pos = start;
    if let Some(end) = match_at(text, pos, "UTC").or_else(|| match_at(text, pos, "GMT")) {
        pos = end;
        if !matches!(text.get(pos), Some('+' | '-')) {
            return Some((0, pos));
        }
    } else if text.get(pos) == Some(&'Z') {
        return Some((0, pos + 1));
    }
    let sign = match text.get(pos)? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    pos += 1;
    let digit = |p: usize| text.get(p).and_then(|c| c.to_digit(10)).map(i64::from);
    let hours = digit(pos)? * 10 + digit(pos + 1)?;
    pos += 2;
    if text.get(pos) == Some(&':') {
        pos += 1;
    }
    let minutes = match (digit(pos), digit(pos + 1)) {
        (Some(a), Some(b)) => {
            pos += 2;
            a * 10 + b
        }
        _ => 0,
    };
    Some((sign * (hours * 3_600_000 + minutes * 60_000), pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(pattern: &str, millis: i64) -> String {
        DateFormat::new(pattern).unwrap().format(millis)
    }

    fn parse(pattern: &str, text: &str) -> Option<i64> {
        DateFormat::new(pattern).unwrap().parse(text)
    }

    // 2017-04-25T14:03:05.007Z, a Tuesday.
    const T: i64 = 1_493_128_985_007;

    #[test]
    fn formats_like_simple_date_format() {
        assert_eq!(fmt("yyyyMMdd", T), "20170425");
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSZ", T),
            "2017-04-25T14:03:05.007+0000"
        );
        assert_eq!(fmt("yy M d H m s S", T), "17 4 25 14 3 5 7");
        assert_eq!(
            fmt("EEE, d MMM yyyy hh:mm a z", T),
            "Tue, 25 Apr 2017 02:03 PM UTC"
        );
        assert_eq!(fmt("EEEE MMMM D u k K X", T), "Tuesday April 115 2 14 2 Z");
        assert_eq!(
            fmt("'week' w 'of' YYYY, W F G", T),
            "week 17 of 2017, 5 4 AD"
        );
        assert_eq!(fmt("''yyyy''", 0), "'1970'");
        // 2017-12-31 is a Sunday in the week that holds 2018-01-01.
        assert_eq!(fmt("YYYY-ww", 1_514_678_400_000), "2018-01");
        assert_eq!(fmt("yyyy-MM-dd HH:mm", -1), "1969-12-31 23:59");
    }

    #[test]
    fn rejects_bad_patterns() {
        assert_eq!(
            DateFormat::new("yyyy-bb").unwrap_err(),
            "Illegal pattern character 'b'"
        );
        assert_eq!(DateFormat::new("yyyy'T").unwrap_err(), "Unterminated quote");
    }

    #[test]
    fn parses_leniently() {
        assert_eq!(
            parse("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2017-04-25T14:03:05.007+0000"),
            Some(T)
        );
        assert_eq!(parse("yyyyMMddHHmmssSSS", "20170425140305007"), Some(T));
        assert_eq!(
            parse("yyyy-MM-dd", "2024-02-30"),
            parse("yyyy-MM-dd", "2024-03-01")
        );
        assert_eq!(
            parse("yyyy-MM-dd", "2017-04-25 trailing"),
            Some(T - 50_585_007)
        );
        assert_eq!(
            parse("dd MMM yyyy hh:mm a", "25 apr 2017 02:03 PM"),
            Some(T - 5_007)
        );
        assert_eq!(
            parse("yyyy-MM-dd HH:mm X", "2017-04-25 16:03 +02:00"),
            Some(T - 5_007)
        );
        assert_eq!(parse("yyyy-MM-dd", "2017/04/25"), None);
        assert_eq!(parse("yyyy-MM-dd", ""), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 17_281, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2024, 13, 1), days_from_civil(2025, 1, 1));
    }
}
