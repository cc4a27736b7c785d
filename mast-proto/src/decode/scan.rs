//! A byte-level JSON scanner for the fast decoders: whitespace, strings (borrowed when they
//! have no escapes), numbers with serde_json's exact typing, literals, and a structural skip
//! that finds where a value ends.
//!
//! It accepts a subset of what serde_json accepts and, on what it accepts, yields what
//! serde_json yields (`float_roundtrip`: correctly rounded floats). Anything else, malformed
//! or merely unusual, is a [`Bail`]: the caller then runs the serde path, which decides and
//! words the error.

use memchr::memchr2;

/// The fast path gives up on this input; the serde path must decide.
#[derive(Debug)]
pub(super) struct Bail;

/// A fast-path result.
pub(super) type Fast<T> = Result<T, Bail>;

/// Deeper nesting than this is left to serde_json (its recursion limit is 128, counted from
/// the outermost value).
const MAX_DEPTH: usize = 64;

/// A JSON number, typed as serde_json types it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Num {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// A cursor over JSON text.
pub(super) struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The index of the next byte to read.
    pub(super) pos: usize,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Scanner { text, bytes: text.as_bytes(), pos: 0 }
    }

    /// The whole text being scanned.
    pub(super) fn text(&self) -> &'a str {
        self.text
    }

    pub(super) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// `text[start..end]`, or a bail if that is not on character boundaries.
    #[inline]
    pub(super) fn slice(&self, start: usize, end: usize) -> Fast<&'a str> {
        self.text.get(start..end).ok_or(Bail)
    }

    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    #[inline]
    pub(super) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `b` if it is the next byte.
    #[inline]
    pub(super) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `b`, which must be the next byte.
    #[inline]
    pub(super) fn expect(&mut self, b: u8) -> Fast<()> {
        if self.eat(b) { Ok(()) } else { Err(Bail) }
    }

    /// Consumes the literal `word` (`null`, `true`, `false`).
    #[inline]
    pub(super) fn literal(&mut self, word: &[u8]) -> Fast<()> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Whether the string starting at `pos` (its opening quote) is exactly `key`, which holds
    /// no quote, backslash or control character; if so, consumes it.
    #[inline]
    pub(super) fn eat_plain_key(&mut self, key: &[u8]) -> bool {
        let start = self.pos + 1;
        let end = start + key.len();
        if self.bytes.get(end) == Some(&b'"') && bytes_eq(&self.bytes[start..end], key) {
            self.pos = end + 1;
            true
        } else {
            false
        }
    }

    /// Reads the string whose opening quote is at `pos`: borrowed from the text when it has no
    /// escapes, else unescaped into `scratch`. Control characters, bad escapes and lone
    /// surrogates bail (serde_json refuses them in strings it decodes).
    #[inline]
    pub(super) fn string<'s>(&mut self, scratch: &'s mut String) -> Fast<&'s str>
    where
        'a: 's,
    {
        let start = self.pos + 1;
        let end = find_special(self.bytes, start);
        match self.bytes.get(end) {
            Some(b'"') => {
                self.pos = end + 1;
                self.slice(start, end)
            }
            Some(b'\\') => {
                scratch.clear();
                scratch.push_str(self.slice(start, end)?);
                self.pos = end;
                self.unescape_rest(scratch)?;
                Ok(scratch.as_str())
            }
            _ => Err(Bail),
        }
    }

    /// Unescapes from the backslash at `pos` to the closing quote, appending to `out`.
    #[cold]
    fn unescape_rest(&mut self, out: &mut String) -> Fast<()> {
        let b = self.bytes;
        let mut i = self.pos;
        loop {
            // b[i] is a backslash.
            let c = *b.get(i + 1).ok_or(Bail)?;
            i += 2;
            match c {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let n = hex4(b, i)?;
                    i += 4;
                    let code = match n {
                        0xD800..=0xDBFF => {
                            // A leading surrogate must be followed by a trailing one.
                            if b.get(i..i + 2) != Some(b"\\u") {
                                return Err(Bail);
                            }
                            let n2 = hex4(b, i + 2)?;
                            if !(0xDC00..=0xDFFF).contains(&n2) {
                                return Err(Bail);
                            }
                            i += 6;
                            0x1_0000 + ((n - 0xD800) << 10) + (n2 - 0xDC00)
                        }
                        0xDC00..=0xDFFF => return Err(Bail),
                        _ => n,
                    };
                    out.push(char::from_u32(code).ok_or(Bail)?);
                }
                _ => return Err(Bail),
            }
            let end = find_special(b, i);
            out.push_str(self.slice(i, end)?);
            match b.get(end) {
                Some(b'"') => {
                    self.pos = end + 1;
                    return Ok(());
                }
                Some(b'\\') => i = end,
                _ => return Err(Bail),
            }
        }
    }

    /// Reads the number at `pos` (`-` or a digit), typed as serde_json types it: an integer
    /// is `U64` when positive and fits, `I64` when negative and fits (`-0` is the float
    /// `-0.0`), anything else `F64`, correctly rounded. Out-of-range floats bail (serde_json
    /// refuses them).
    #[inline]
    pub(super) fn number(&mut self) -> Fast<Num> {
        let b = self.bytes;
        let start = self.pos;
        let mut i = start;
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        // The integer part: exact while it fits in a u64.
        let mut int: u64 = 0;
        let mut int_overflow = false;
        // Significant digits so far, for the exact float path.
        let mut digits = 0usize;
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if matches!(b.get(i), Some(b'0'..=b'9')) {
                    return Err(Bail);
                }
            }
            Some(&c @ b'1'..=b'9') => {
                int = u64::from(c - b'0');
                i += 1;
                digits = 1;
                while let Some(&c) = b.get(i) {
                    if !c.is_ascii_digit() {
                        break;
                    }
                    match int.checked_mul(10).and_then(|x| x.checked_add(u64::from(c - b'0'))) {
                        Some(x) => int = x,
                        None => int_overflow = true,
                    }
                    digits += 1;
                    i += 1;
                }
            }
            _ => return Err(Bail),
        }
        let is_fraction = b.get(i) == Some(&b'.');
        let is_exponent = matches!(b.get(i), Some(b'e' | b'E'));
        if !is_fraction && !is_exponent && !int_overflow {
            self.pos = i;
            return Ok(if !negative {
                Num::U64(int)
            } else if int == 0 {
                Num::F64(-0.0)
            } else if int <= 1 << 63 {
                Num::I64((int as i64).wrapping_neg())
            } else {
                Num::F64(-(int as f64))
            });
        }
        // A float: significand `mant` (exact while `digits` <= 19) times 10^`exp10`.
        let mut mant = int;
        let mut exp10: i64 = 0;
        if is_fraction {
            i += 1;
            let frac_start = i;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                if digits > 0 || c != b'0' {
                    digits += 1;
                }
                if digits <= 19 {
                    mant = mant * 10 + u64::from(c - b'0');
                    exp10 -= 1;
                }
                i += 1;
            }
            if i == frac_start {
                return Err(Bail);
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let exp_negative = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let exp_start = i;
            let mut exp: i64 = 0;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                exp = (exp * 10 + i64::from(c - b'0')).min(1 << 40);
                i += 1;
            }
            if i == exp_start {
                return Err(Bail);
            }
            exp10 += if exp_negative { -exp } else { exp };
        }
        self.pos = i;
        let x = if digits <= 19 && !int_overflow && mant <= 1 << 53 && (-22..=22).contains(&exp10) {
            // Both operands are exact, so one IEEE operation is correctly rounded (Clinger).
            let m = mant as f64;
            let x = if exp10 < 0 { m / POW10[exp10.unsigned_abs() as usize] } else { m * POW10[exp10 as usize] };
            if negative { -x } else { x }
        } else {
            // Rust's parser is correctly rounded too; every JSON number is valid input to it.
            self.slice(start, i)?.parse::<f64>().map_err(|_| Bail)?
        };
        if x.is_infinite() {
            return Err(Bail);
        }
        Ok(Num::F64(x))
    }

    /// Moves past the value at `pos` by its structure alone (strings, nesting), without
    /// checking its syntax; bails on a value that does not end or nests too deep.
    pub(super) fn skip_value(&mut self) -> Fast<()> {
        match self.peek().ok_or(Bail)? {
            b'"' => self.skip_string(),
            b'[' | b'{' => {
                let mut depth = 0usize;
                loop {
                    match *self.bytes.get(self.pos).ok_or(Bail)? {
                        b'"' => {
                            self.skip_string()?;
                            continue;
                        }
                        b'[' | b'{' => {
                            depth += 1;
                            if depth > MAX_DEPTH {
                                return Err(Bail);
                            }
                        }
                        b']' | b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return Ok(());
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b':' | b']' | b'}' | b'[' | b'{' | b'"' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start { Err(Bail) } else { Ok(()) }
            }
        }
    }

    /// Moves past the string whose opening quote is at `pos`, by its quotes and backslashes.
    fn skip_string(&mut self) -> Fast<()> {
        let mut i = self.pos + 1;
        loop {
            let rest = self.bytes.get(i..).ok_or(Bail)?;
            let j = i + memchr2(b'"', b'\\', rest).ok_or(Bail)?;
            if self.bytes[j] == b'"' {
                self.pos = j + 1;
                return Ok(());
            }
            i = j + 2;
        }
    }
}

/// Powers of ten that are exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
];

/// The four hex digits at `b[i..i + 4]`.
fn hex4(b: &[u8], i: usize) -> Fast<u32> {
    let digits = b.get(i..i + 4).ok_or(Bail)?;
    let mut n = 0;
    for &d in digits {
        n = n * 16 + char::from(d).to_digit(16).ok_or(Bail)?;
    }
    Ok(n)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The index of the first `"`, `\` or control byte (< 0x20) at or after `i`, or `b.len()`.
/// Eight bytes at a time: each test below sets the high bit of every matching byte; it may
/// also set it in bytes above a match (borrows), never below, so the lowest set bit is exact.
#[inline]
fn find_special(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let x = u64::from_le_bytes(*chunk);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let hits = hits & HIGHS;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    b.len().max(i)
}

/// Byte equality for short keys: two overlapping 8-byte words when the length allows.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if (8..=16).contains(&n) {
        let word = |s: &[u8], at: usize| s.get(at..).and_then(<[u8]>::first_chunk::<8>).map(|c| u64::from_le_bytes(*c));
        word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Option<Num> {
        let mut sc = Scanner::new(s);
        let n = sc.number().ok()?;
        (sc.pos == s.len()).then_some(n)
    }

    /// What serde_json makes of the same number, typed the same way.
    fn serde_num(s: &str) -> Option<Num> {
        match serde_json::from_str::<serde_json::Value>(s).ok()? {
            serde_json::Value::Number(n) => Some(if let Some(u) = n.as_u64() {
                Num::U64(u)
            } else if let Some(i) = n.as_i64() {
                Num::I64(i)
            } else {
                Num::F64(n.as_f64()?)
            }),
            _ => None,
        }
    }

    fn same(a: Option<Num>, b: Option<Num>) -> bool {
        match (a, b) {
            (Some(Num::F64(x)), Some(Num::F64(y))) => x.to_bits() == y.to_bits(),
            (a, b) => a == b,
        }
    }

    #[test]
    fn numbers_match_serde_json() {
        let cases = [
            "0", "-0", "7", "-7", "0.0", "-0.0", "1500", "1500.0", "23.11817129395", "1e-05", "1E5", "1e+5", "2.5e-3",
            "9007199254740993", "9007199254740993.0", "18446744073709551615", "18446744073709551616",
            "-9223372036854775808", "-9223372036854775809", "-18446744073709551616", "1e308", "1.7976931348623157e308",
            "4.9e-324", "2.2250738585072014e-308", "1e-400", "-1e-400", "0e99999999999999999999",
            "1801.4185791015625", "362.0079924081925", "0.1", "0.30000000000000004", "123456789012345678901234567890",
            "0.000000000000000000000000000001", "1.00000000000000011102230246251565404236316680908203125",
            "9999999999999999999", "99999999999999999999.5", "1e22", "1e23", "12345e-22", "1234567890123456789e-5",
            "1e400", "-1e400", "01", "-", "1.", ".5", "1e", "1e+", "+1", "-a", "00", "1.5e", "2.e3",
        ];
        for c in cases {
            assert!(same(num(c), serde_num(c)), "{c}: {:?} vs serde {:?}", num(c), serde_num(c));
        }
    }

    #[test]
    fn random_floats_round_trip_exactly() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for k in 0..200_000 {
            let bits = next();
            let x = f64::from_bits(bits);
            let text = match k % 4 {
                0 if x.is_finite() => format!("{x}"),
                1 if x.is_finite() => format!("{x:e}"),
                2 => format!("{}.{:0width$}", next() % 100_000, next() % 1_000_000_000, width = (k % 17) + 1),
                _ => format!("{}e{}", next() % 10_000_000_000_000_000_000, (next() % 60) as i64 - 40),
            };
            assert!(same(num(&text), serde_num(&text)), "{text}: {:?} vs serde {:?}", num(&text), serde_num(&text));
        }
    }

    #[test]
    fn strings_unescape_as_serde_json() {
        let cases = [
            r#""plain""#,
            r#""""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\u20AC \ud83d\udd2d end""#,
            r#""é°🔭""#,
            r#""\u0000""#,
            r#""\ud83d""#,
            r#""\udd2d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\x""#,
            r#""\u12""#,
            "\"tab\there\"",
            r#""unterminated"#,
            r#""ends with backslash\"#,
        ];
        let mut scratch = String::new();
        for c in cases {
            let mut sc = Scanner::new(c);
            let ours = sc.string(&mut scratch).ok().filter(|_| sc.pos == c.len()).map(str::to_owned);
            let theirs = serde_json::from_str::<String>(c).ok();
            assert_eq!(ours, theirs, "{c}");
        }
    }

    #[test]
    fn find_special_is_exact() {
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x1f, 0x00] {
                    let mut v = vec![b'a'; len];
                    v.extend_from_slice(&[0xc3, 0xa9, b'!']);
                    if at < len {
                        v[at] = special;
                        if at + 1 < len {
                            v[at + 1] = b'"';
                        }
                    }
                    let expect = if at < len { at } else { v.len() };
                    assert_eq!(find_special(&v, 0), expect, "len {len} at {at} {special}");
                }
            }
        }
    }

    #[test]
    fn skip_value_finds_the_end() {
        for (text, end) in [
            (r#"[1, {"a": "]\"}"}, [[]]] tail"#, 29),
            (r#""x\\" tail"#, 5),
            ("123, tail", 3),
            ("null}", 4),
            ("{} ", 2),
        ] {
            let mut sc = Scanner::new(text);
            sc.skip_value().unwrap();
            assert_eq!(sc.pos, end, "{text}");
        }
        for text in ["[1, 2", r#""abc"#, "", ",", &format!("{}{}", "[".repeat(100), "]".repeat(100))] {
            assert!(Scanner::new(text).skip_value().is_err(), "{text}");
        }
    }
}
