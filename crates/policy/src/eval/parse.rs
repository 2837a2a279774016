//! Parsing typed values from policy and request text: numbers, booleans,
//! dates (ISO 8601 or epoch seconds) and ARNs. Nothing here allocates.

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

/// A finite number (`"10"`, `"-1.5"`, `"1e3"`); `None` for anything else.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `true` / `false`, in any letter case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// True when `text` has the six colon-separated components of an ARN
/// (`arn:partition:service:region:account:resource`).
pub(crate) fn is_arn(text: &str) -> bool {
    text.starts_with("arn:") && text.splitn(6, ':').count() == 6
}

/// The account component of an ARN, or the text itself when it is a bare
/// 12-digit account id.
pub(crate) fn account_of(principal: &str) -> Option<&str> {
    if is_account_id(principal) {
        return Some(principal);
    }
    if !principal.starts_with("arn:") {
        return None;
    }
    principal.split(':').nth(4).filter(|account| !account.is_empty())
}

/// A 12-digit AWS account id.
pub(crate) fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A date as nanoseconds since the Unix epoch (UTC).
///
/// Accepts epoch seconds (`"1700000000"`, `"1700000000.5"`) and the W3C
/// profile of ISO 8601: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
/// `YYYY-MM-DDThh:mm[:ss[.s…]]` followed by `Z` or `±hh:mm` (a missing zone
/// means UTC). A plain run of digits is always read as epoch seconds.
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    let text = text.trim();
    if is_epoch(text) {
        return epoch_nanos(text);
    }
    parse_iso8601(text)
}

fn is_epoch(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn epoch_nanos(text: &str) -> Option<i128> {
    if text.contains('.') {
        let seconds = parse_number(text)?;
        // Seconds beyond ±10^12 are far outside any date AWS accepts.
        if seconds.abs() > 1e12 {
            return None;
        }
        Some((seconds * 1e9).round() as i128)
    } else {
        let seconds: i64 = text.parse().ok()?;
        Some(i128::from(seconds) * 1_000_000_000)
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn number(&mut self, width: usize) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + width)?;
        let mut value = 0u32;
        for &digit in digits {
            if !digit.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(digit - b'0');
        }
        self.at += width;
        Some(value)
    }

    /// Fractional seconds as nanoseconds (extra digits are truncated).
    fn fraction(&mut self) -> Option<u32> {
        let start = self.at;
        let mut nanos = 0u32;
        let mut scale = 100_000_000u32;
        while let Some(digit) = self.peek().filter(u8::is_ascii_digit) {
            nanos += u32::from(digit - b'0') * scale;
            scale /= 10;
            self.at += 1;
        }
        (self.at > start).then_some(nanos)
    }
}

fn parse_iso8601(text: &str) -> Option<i128> {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = cursor.number(4)?;
    let (mut month, mut day) = (1, 1);
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0);
    let mut offset_seconds: i32 = 0;
    if cursor.eat(b'-') {
        month = cursor.number(2)?;
        if cursor.eat(b'-') {
            day = cursor.number(2)?;
            if matches!(cursor.peek(), Some(b'T' | b't' | b' ')) {
                cursor.at += 1;
                hour = cursor.number(2)?;
                if !cursor.eat(b':') {
                    return None;
                }
                minute = cursor.number(2)?;
                if cursor.eat(b':') {
                    second = cursor.number(2)?;
                    if cursor.eat(b'.') || cursor.eat(b',') {
                        nanos = cursor.fraction()?;
                    }
                }
                match cursor.peek() {
                    None => {}
                    Some(b'Z' | b'z') => cursor.at += 1,
                    Some(sign @ (b'+' | b'-')) => {
                        cursor.at += 1;
                        let hours = cursor.number(2)?;
                        cursor.eat(b':');
                        let minutes = cursor.number(2)?;
                        let magnitude = i32::try_from(hours * 3600 + minutes * 60).ok()?;
                        offset_seconds = if sign == b'-' { -magnitude } else { magnitude };
                    }
                    Some(_) => return None,
                }
            }
        }
    }
    if !cursor.done() {
        return None;
    }
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    let offset = UtcOffset::from_whole_seconds(offset_seconds).ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .unix_timestamp_nanos(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SECOND: i128 = 1_000_000_000;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number(" -1.5 "), Some(-1.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("ten"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }

    #[test]
    fn arns_and_accounts() {
        assert!(is_arn("arn:aws:iam::123456789012:role/a:b"));
        assert!(!is_arn("arn:aws:iam::123456789012"));
        assert!(!is_arn("role/x"));
        assert_eq!(account_of("arn:aws:iam::123456789012:role/x"), Some("123456789012"));
        assert_eq!(account_of("123456789012"), Some("123456789012"));
        assert_eq!(account_of("sagemaker.amazonaws.com"), None);
        assert_eq!(account_of("arn:aws:s3:::bucket"), None);
    }

    #[test]
    fn epoch_seconds() {
        assert_eq!(parse_date("0"), Some(0));
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800 * SECOND));
        assert_eq!(parse_date("1.5"), Some(SECOND + SECOND / 2));
        assert_eq!(parse_date("-1"), Some(-SECOND));
    }

    #[test]
    fn iso8601_forms() {
        let new_year_2020 = 1_577_836_800 * SECOND;
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(new_year_2020));
        assert_eq!(parse_date("2020-01-01T00:00:01Z"), Some(new_year_2020 + SECOND));
        assert_eq!(parse_date("2020-01-01"), Some(new_year_2020));
        assert_eq!(parse_date("2020-01"), Some(new_year_2020));
        assert_eq!(parse_date("2020-01-01T00:00Z"), Some(new_year_2020));
        assert_eq!(parse_date("2020-01-01T01:00:00+01:00"), Some(new_year_2020));
        assert_eq!(parse_date("2019-12-31T23:00:00-01:00"), Some(new_year_2020));
        assert_eq!(parse_date("2020-01-01T00:00:00.25Z"), Some(new_year_2020 + SECOND / 4));
        assert_eq!(parse_date("2020-01-01T00:00:00"), Some(new_year_2020));
    }

    #[test]
    fn bad_dates() {
        for text in [
            "",
            "yesterday",
            "2020-13-01",
            "2020-02-30",
            "2020-01-01T25:00Z",
            "2020-01-01T00:00:00Q",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
