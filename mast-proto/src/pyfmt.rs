//! Python-compatible text forms of values (spec §1.4): what astroquery puts on the wire.
//!
//! MAST requests are built by Python, so numbers in request bodies are Python `repr`s and
//! JSON is `json.dumps` output. These helpers reproduce both byte for byte.

use std::fmt::Write as _;

/// Writes `x` as Python's `repr(float)` does: the shortest text that reads back to the same
/// double, positional for `1e-4 <= |x| < 1e16` (always with a digit after the point),
/// scientific otherwise (`1e-05`, `5.555555555555556e-07`, `1e+16`); `nan`, `inf`, `-inf`.
///
/// ```
/// use mast_proto::pyfmt::float_repr;
/// assert_eq!(float_repr(0.2), "0.2");
/// assert_eq!(float_repr(-70.0), "-70.0");
/// assert_eq!(float_repr(1e-5), "1e-05");
/// assert_eq!(float_repr(1e16), "1e+16");
/// ```
pub fn float_repr(x: f64) -> String {
    let mut s = String::with_capacity(24);
    write_float_repr(&mut s, x);
    s
}

/// Appends [`float_repr`]`(x)` to `out`.
pub fn write_float_repr(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde<exp>". Format into a stack
    // buffer: this runs for every float cell the emulator encodes.
    let mut buf = StackBuf::default();
    let _ = write!(buf, "{:e}", x.abs());
    let sci = buf.as_str();
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (int_digit, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let n = 1 + frac_digits.len() as i32;
    let digit = |i: i32| -> char {
        if i == 0 { int_digit.as_bytes()[0] as char } else { frac_digits.as_bytes()[(i - 1) as usize] as char }
    };
    if x < 0.0 {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            (0..n).for_each(|i| out.push(digit(i)));
        } else if exp + 1 >= n {
            (0..n).for_each(|i| out.push(digit(i)));
            for _ in 0..(exp + 1 - n) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            (0..=exp).for_each(|i| out.push(digit(i)));
            out.push('.');
            (exp + 1..n).for_each(|i| out.push(digit(i)));
        }
    } else {
        out.push_str(mantissa);
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// A fixed buffer for one formatted float (`{:e}` of an f64 is at most 24 bytes).
#[derive(Default)]
struct StackBuf {
    bytes: [u8; 32],
    len: usize,
}

impl StackBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("0e0")
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes `value` as Python's `json.dumps(value)` does with default settings: `", "` and
/// `": "` separators, keys in the map's order, non-ASCII escaped as `\uXXXX`, floats as
/// [`float_repr`] (`NaN`, `Infinity` for the non-finite ones).
///
/// ```
/// use mast_proto::pyfmt::json_dumps;
/// let v = serde_json::json!({"ra": 322.49324, "radius": 1.0, "name": "Barnard’s"});
/// assert_eq!(json_dumps(&v), r#"{"ra": 322.49324, "radius": 1.0, "name": "Barnard\u2019s"}"#);
/// ```
pub fn json_dumps(value: &serde_json::Value) -> String {
    let mut out = String::with_capacity(128);
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.is_nan() {
                    out.push_str("NaN");
                } else if f.is_infinite() {
                    out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
                } else {
                    write_float_repr(out, f);
                }
            }
        }
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_string(out, k);
                out.push_str(": ");
                write_json(out, v);
            }
            out.push('}');
        }
    }
}

/// Appends `s` as a JSON string literal escaped like Python's `json.dumps` (ASCII only).
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Percent-encodes `s` as Python's `urllib.parse.quote(s, safe=safe)` does: every byte
/// except ASCII letters, digits, `_ . - ~` and the bytes in `safe` becomes `%XX` (upper-case).
///
/// ```
/// use mast_proto::pyfmt::quote;
/// assert_eq!(quote("{\"a\": 1}", "/"), "%7B%22a%22%3A%201%7D");
/// assert_eq!(quote("mast:HST/product/x.fits", ":/"), "mast:HST/product/x.fits");
/// ```
pub fn quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) || (b.is_ascii() && safe.as_bytes().contains(&b)) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Encodes one `application/x-www-form-urlencoded` value as Python `requests` does (space →
/// `+`, every byte outside `A–Z a–z 0–9 _ . - ~` as upper-case `%XX`).
///
/// ```
/// use mast_proto::pyfmt::form_encode;
/// assert_eq!(form_encode("Barnard's Star"), "Barnard%27s+Star");
/// ```
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        if b == b' ' {
            out.push('+');
        } else if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Builds a form body or query string from key/value pairs with [`form_encode`]
/// (`k1=v1&k2=v2`, repeated keys kept in order).
pub fn form_urlencoded<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&form_encode(k));
        out.push('=');
        out.push_str(&form_encode(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        let cases: &[(f64, &str)] = &[
            (0.2, "0.2"),
            (1.0, "1.0"),
            (-70.0, "-70.0"),
            (0.016666666666666666, "0.016666666666666666"),
            (1e-5, "1e-05"),
            (5.555555555555556e-07, "5.555555555555556e-07"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (322.49324, "322.49324"),
            (123456789.0, "123456789.0"),
            (1e300, "1e+300"),
            (-2.5e-10, "-2.5e-10"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(float_repr(*x), *want, "repr of {x:e}");
        }
    }

    #[test]
    fn float_repr_round_trips() {
        let mut x = 1.234_567_890_123e-12_f64;
        for _ in 0..400 {
            let s = float_repr(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
            x *= -1.37;
        }
    }

    #[test]
    fn json_dumps_non_finite_and_nesting() {
        let v = serde_json::json!({"a": [1, 2.5, null, true], "b": {"min": 43.5, "max": 45.5}, "c": "é\n"});
        assert_eq!(json_dumps(&v), r#"{"a": [1, 2.5, null, true], "b": {"min": 43.5, "max": 45.5}, "c": "\u00e9\n"}"#);
    }

    #[test]
    fn quote_leaves_no_plus() {
        assert_eq!(quote("a+b c/d", "/"), "a%2Bb%20c/d");
        assert_eq!(form_urlencoded([("name", "TIC 307210830"), ("x", "a:b/c")]), "name=TIC+307210830&x=a%3Ab%2Fc");
    }
}
