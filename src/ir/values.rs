//! Scalar argument parsing with HAProxy's rules and HAProxy's error wording: times with units,
//! sizes, integers (strict and `atoi`-lenient, since HAProxy uses both), and on/off words.

use thiserror::Error;

/// Largest timer HAProxy accepts, in milliseconds (INT_MAX).
pub const TIME_MAX_MS: u64 = 2_147_483_647;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Us,
    Ms,
    S,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    #[error("empty")]
    Empty,
    #[error("unexpected character '{0}'")]
    Unexpected(char),
    #[error("timer overflow")]
    Overflow,
    #[error("timer underflow")]
    Underflow,
}

/// Parse `<digits>[us|ms|s|m|h|d]` into the given default unit's scale, returned in that unit.
/// Mirrors HAProxy: digits first, then an optional unit suffix, nothing after it.
pub fn parse_time(text: &str, unit: TimeUnit) -> Result<u64, TimeError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(TimeError::Empty);
    }
    let mut i = 0;
    let mut value: u64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        value = value.saturating_mul(10).saturating_add(u64::from(bytes[i] - b'0'));
        i += 1;
    }
    if i == 0 {
        return Err(TimeError::Unexpected(bytes[0] as char));
    }
    // Scale of the suffix, in microseconds.
    let rest = &text[i..];
    let mult_us: u64 = if rest.starts_with("us") {
        1
    } else if rest.starts_with("ms") {
        1_000
    } else if rest.starts_with('s') {
        1_000_000
    } else if rest.starts_with('m') {
        60_000_000
    } else if rest.starts_with('h') {
        3_600_000_000
    } else if rest.starts_with('d') {
        86_400_000_000
    } else if rest.is_empty() {
        match unit {
            TimeUnit::Us => 1,
            TimeUnit::Ms => 1_000,
            TimeUnit::S => 1_000_000,
        }
    } else {
        return Err(TimeError::Unexpected(rest.chars().next().unwrap_or('?')));
    };
    // Characters after a valid unit are ignored with a warning (see `time_trailing_warning`).
    let unit_us: u64 = match unit {
        TimeUnit::Us => 1,
        TimeUnit::Ms => 1_000,
        TimeUnit::S => 1_000_000,
    };
    let total_us = value.checked_mul(mult_us).ok_or(TimeError::Overflow)?;
    // HAProxy rounds up to the next unit so that a non-zero value never becomes zero.
    let result = total_us.div_ceil(unit_us);
    if result > TIME_MAX_MS {
        return Err(TimeError::Overflow);
    }
    if value != 0 && result == 0 {
        return Err(TimeError::Underflow);
    }
    Ok(result)
}

/// HAProxy accepts characters after a valid time unit (`30sec`) but warns, without location.
pub fn time_trailing_warning(text: &str) -> Option<String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = &text[digits..];
    let unit = ["us", "ms", "s", "m", "h", "d"].iter().find(|u| rest.starts_with(*u))?;
    let c = rest[unit.len()..].chars().next()?;
    Some(format!(
        "unexpected character '{c}' after the timer value '{text}', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions."
    ))
}

/// Parse a time in milliseconds (the unit of every timeout).
pub fn parse_ms(text: &str) -> Result<u32, TimeError> {
    parse_time(text, TimeUnit::Ms).map(|v| v as u32)
}

/// C `atoi`: optional blanks and sign, then digits; anything else stops the number. HAProxy
/// uses it for many arguments, so `weight abc` is 0 there and must be 0 here.
pub fn atoi(text: &str) -> i64 {
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    let v = if neg { -v } else { v };
    // atoi returns an int: wrap like a 32-bit C int would for typical overflows.
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}

/// C `strtol`-style strict parse: the whole text must be an integer.
pub fn strict_int(text: &str) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    text.parse::<i64>().ok()
}

/// Parse a size with an optional k/m/g suffix (case-insensitive), as `parse_size_err` does.
pub fn parse_size(text: &str) -> Result<u64, char> {
    let digits_end = text.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(text.len());
    if digits_end == 0 {
        return Err(text.chars().next().unwrap_or('\0'));
    }
    let value: u64 = text[..digits_end].parse().map_err(|_| '?')?;
    let rest = &text[digits_end..];
    let mult = match rest {
        "" => 1,
        "k" | "K" => 1024,
        "m" | "M" => 1024 * 1024,
        "g" | "G" => 1024 * 1024 * 1024,
        _ => {
            let c = rest.chars().next().unwrap_or('?');
            return Err(if matches!(c, 'k' | 'K' | 'm' | 'M' | 'g' | 'G') {
                rest.chars().nth(1).unwrap_or('?')
            } else {
                c
            });
        }
    };
    Ok(value.saturating_mul(mult))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_ms("5"), Ok(5));
        assert_eq!(parse_ms("5s"), Ok(5000));
        assert_eq!(parse_ms("1m"), Ok(60_000));
        assert_eq!(parse_ms("1d"), Ok(86_400_000));
        assert_eq!(parse_ms("10us"), Ok(1));
        assert_eq!(parse_ms("5x"), Err(TimeError::Unexpected('x')));
        assert_eq!(parse_ms("abc"), Err(TimeError::Unexpected('a')));
        assert_eq!(parse_ms("-1"), Err(TimeError::Unexpected('-')));
        assert_eq!(parse_ms("1.5s"), Err(TimeError::Unexpected('.')));
        assert_eq!(parse_ms("30sec"), Ok(30_000));
        assert_eq!(parse_ms("10ux"), Err(TimeError::Unexpected('u')));
        assert!(time_trailing_warning("30sec")
            .unwrap()
            .starts_with("unexpected character 'e' after the timer value '30sec'"));
        assert_eq!(time_trailing_warning("30s"), None);
        assert_eq!(parse_ms("99999999999"), Err(TimeError::Overflow));
        assert_eq!(parse_ms("3000000s"), Err(TimeError::Overflow));
        assert_eq!(parse_ms(""), Err(TimeError::Empty));
        assert_eq!(parse_time("2s", TimeUnit::S), Ok(2));
    }

    #[test]
    fn atoi_is_lenient() {
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi("10x"), 10);
        assert_eq!(atoi("-1"), -1);
        assert_eq!(atoi(""), 0);
        assert_eq!(atoi("  42"), 42);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("1k"), Ok(1024));
        assert_eq!(parse_size("2m"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_size("x"), Err('x'));
    }
}
