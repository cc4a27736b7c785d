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

    /// Consumes `name":` after the opening quote at `pos` if the input holds exactly that.
    #[inline(always)]
    pub(super) fn eat_key(&mut self, key: &KeyPattern) -> bool {
        let at = self.pos + 1;
        let Some(w) = self.bytes.get(at..at + 24) else { return false };
        let word = |k: usize| u64::from_le_bytes(w[8 * k..8 * k + 8].try_into().unwrap_or_default());
        let diff = ((word(0) & key.masks[0]) ^ key.words[0])
            | ((word(1) & key.masks[1]) ^ key.words[1])
            | ((word(2) & key.masks[2]) ^ key.words[2]);
        if diff == 0 {
            self.pos = at + key.len;
            true
        } else {
            false
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
    #[inline(always)]
    pub(super) fn number(&mut self) -> Fast<Num> {
        match self.short_number() {
            Some(n) => Ok(n),
            None => self.long_number(),
        }
    }

    /// [`Scanner::number`] for the usual case, without branching on every digit: an integer
    /// part and a fraction of at most 15 digits each, no exponent. `None` for anything else.
    /// Inlined: a returned `Num` would make a round trip through memory.
    #[inline(always)]
    fn short_number(&mut self) -> Option<Num> {
        let b = self.bytes;
        let start = self.pos;
        let negative = *b.get(start)? == b'-';
        let int_start = start + usize::from(negative);
        let (int, int_len, after) = digits16(b, int_start)?;
        if int_len == 0 || (int_len > 1 && b[int_start] == b'0') || after | 0x20 == b'e' {
            return None;
        }
        if after != b'.' {
            self.pos = int_start + int_len;
            return Some(integer(negative, int));
        }
        let frac_start = int_start + int_len + 1;
        let (frac, frac_len, after) = digits16(b, frac_start)?;
        if frac_len == 0 || after | 0x20 == b'e' || int_len + frac_len > 19 {
            return None;
        }
        let end = frac_start + frac_len;
        let mant = int * POW10_U64[frac_len] + frac;
        if mant > 1 << 53 {
            // Rust's parser is correctly rounded; this is valid input to it and finite.
            let x = self.text.get(start..end)?.parse::<f64>().ok()?;
            self.pos = end;
            return Some(Num::F64(x));
        }
        // Both operands are exact, so one IEEE division is correctly rounded (Clinger).
        let x = mant as f64 / POW10[frac_len];
        self.pos = end;
        Some(Num::F64(if negative { -x } else { x }))
    }

    /// [`Scanner::number`] for any JSON number.
    #[cold]
    fn long_number(&mut self) -> Fast<Num> {
        let b = self.bytes;
        let start = self.pos;
        let negative = b.get(start) == Some(&b'-');
        let int_start = start + usize::from(negative);
        let int_len = digit_run(b, int_start);
        if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
            return Err(Bail);
        }
        let mut i = int_start + int_len;
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            let n = digit_run(b, i + 1);
            if n == 0 {
                return Err(Bail);
            }
            i += 1 + n;
            float = true;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'-' | b'+')) {
                i += 1;
            }
            let n = digit_run(b, i);
            if n == 0 {
                return Err(Bail);
            }
            i += n;
            float = true;
        }
        self.pos = i;
        if !float {
            // serde_json keeps an integer exact while it fits in a u64.
            let digits = &b[int_start..int_start + int_len];
            let int = digits.iter().try_fold(0u64, |acc, &d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0')));
            if let Some(int) = int {
                return Ok(integer(negative, int));
            }
        }
        // Rust's parser is correctly rounded too; every JSON number is valid input to it.
        let x = self.slice(start, i)?.parse::<f64>().map_err(|_| Bail)?;
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

/// An object key followed by its closing quote and the colon (`name":`), as masked words to
/// compare with the input at once.
pub(super) struct KeyPattern {
    words: [u64; 3],
    masks: [u64; 3],
    len: usize,
}

impl KeyPattern {
    /// `None` for a key JSON must escape, or longer than 22 bytes.
    pub(super) fn new(key: &str) -> Option<KeyPattern> {
        let key = key.as_bytes();
        let len = key.len() + 2;
        if len > 24 || key.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20) {
            return None;
        }
        let mut bytes = [0u8; 24];
        let mut mask = [0u8; 24];
        bytes[..key.len()].copy_from_slice(key);
        bytes[key.len()..len].copy_from_slice(b"\":");
        mask[..len].fill(0xFF);
        let word = |a: &[u8; 24], k: usize| u64::from_le_bytes(a[8 * k..8 * k + 8].try_into().unwrap_or_default());
        Some(KeyPattern {
            words: [word(&bytes, 0), word(&bytes, 1), word(&bytes, 2)],
            masks: [word(&mask, 0), word(&mask, 1), word(&mask, 2)],
            len,
        })
    }
}

/// A JSON integer of magnitude `int` as serde_json types it: `U64` when positive, `I64` when
/// negative and in range, else (`-0` included) `F64`.
#[inline(always)]
fn integer(negative: bool, int: u64) -> Num {
    if !negative {
        Num::U64(int)
    } else if int == 0 {
        Num::F64(-0.0)
    } else if int <= 1 << 63 {
        Num::I64((int as i64).wrapping_neg())
    } else {
        Num::F64(-(int as f64))
    }
}

/// Powers of ten that are exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
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

/// The index of the first `"`, `\` or control byte (< 0x20) at or after `i`, or `b.len()`;
/// eight bytes at a time.
#[inline]
fn find_special(b: &[u8], mut i: usize) -> usize {
    while let Some(w) = word::<8>(b, i) {
        let hits = special_bytes(u64::from_le_bytes(*w));
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

/// The high bit of each byte of `x` that is `"`, `\` or a control character (< 0x20). Each
/// test may also flag bytes above a match (borrows), never below, so the lowest flagged byte
/// is exact.
#[inline(always)]
fn special_bytes(x: u64) -> u64 {
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (x.wrapping_sub(ONES * 0x20) & !x))
        & HIGHS
}

/// Byte equality for short keys, by overlapping words.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0..4 => a == b,
        4..8 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        _ => {
            let mut i = 0;
            while i + 8 < n {
                if word::<8>(a, i) != word::<8>(b, i) {
                    return false;
                }
                i += 8;
            }
            word::<8>(a, n - 8) == word::<8>(b, n - 8)
        }
    }
}

/// The `N` bytes of `s` at `at`, if there are that many.
#[inline]
fn word<const N: usize>(s: &[u8], at: usize) -> Option<&[u8; N]> {
    s.get(at..).and_then(<[u8]>::first_chunk::<N>)
}

/// How many ASCII digits there are from `b[i]` on, eight bytes at a time.
#[inline]
fn digit_run(b: &[u8], i: usize) -> usize {
    let mut n = 0;
    while let Some(chunk) = word::<8>(b, i + n) {
        let k = first_non_digit(u64::from_le_bytes(*chunk));
        if k < 8 {
            return n + k;
        }
        n += 8;
    }
    while b.get(i + n).is_some_and(u8::is_ascii_digit) {
        n += 1;
    }
    n
}

/// Up to 15 ASCII digits at `b[at..]`: their value, how many there are, and the byte after
/// them. `None` when there are more, or fewer than 16 bytes are left to read.
#[inline(always)]
fn digits16(b: &[u8], at: usize) -> Option<(u64, usize, u8)> {
    let lo = u64::from_le_bytes(*word::<8>(b, at)?);
    let hi = u64::from_le_bytes(*word::<8>(b, at + 8)?);
    let n = first_non_digit(lo);
    if n < 8 {
        return Some((eight_digits(left_digits(lo, n)), n, (lo >> (n * 8)) as u8));
    }
    let m = first_non_digit(hi);
    if m == 8 {
        return None;
    }
    Some((eight_digits(lo) * POW10_U64[m] + eight_digits(left_digits(hi, m)), 8 + m, (hi >> (m * 8)) as u8))
}

/// The index of the first byte of `x` (little-endian) that is not an ASCII digit, or 8.
#[inline(always)]
fn first_non_digit(x: u64) -> usize {
    // Per byte, zero for a digit: high nibble 3, and still 3 after adding 6. A carry out of a
    // byte only comes from a non-digit, so the lowest flagged byte is exact.
    let y = ((x & 0xF0F0_F0F0_F0F0_F0F0) ^ (ONES * 0x30))
        | ((x.wrapping_add(ONES * 0x06) & 0xF0F0_F0F0_F0F0_F0F0) ^ (ONES * 0x30));
    let not_digit = (((y & !HIGHS).wrapping_add(!HIGHS)) | y) & HIGHS;
    (not_digit.trailing_zeros() / 8) as usize
}

/// The word of eight bytes whose first `n` (0..=8) are digits, as eight digits with the
/// number in the last `n` (leading `0`s).
#[inline(always)]
fn left_digits(w: u64, n: usize) -> u64 {
    let shift = (8 - n as u32) * 8;
    ((u128::from(w) << shift) as u64) | ((u128::from(ONES * 0x30) >> (n * 8)) as u64)
}

/// Powers of ten in a u64.
const POW10_U64: [u64; 20] = {
    let mut p = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// The value of eight ASCII digits, the first the most significant (fast_float's SWAR).
#[inline]
fn eight_digits(w: u64) -> u64 {
    let mut x = w.wrapping_sub(ONES * 0x30);
    x = x.wrapping_mul(10).wrapping_add(x >> 8);
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    ((x & MASK).wrapping_mul(100 + (1_000_000 << 32)).wrapping_add(((x >> 16) & MASK).wrapping_mul(1 + (10_000 << 32))))
        >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short path itself (not only its agreement with the general one): it takes the
    /// usual numbers, so that a regression to the slow path is seen, and leaves the rest.
    #[test]
    fn the_short_path_takes_the_usual_numbers() {
        let short = |s: &str| Scanner::new(&format!("{s},{}", " ".repeat(40))).short_number();
        assert_eq!(short("0"), Some(Num::U64(0)));
        assert_eq!(short("12345"), Some(Num::U64(12345)));
        assert_eq!(short("-7"), Some(Num::I64(-7)));
        assert_eq!(short("184.25"), Some(Num::F64(184.25)));
        assert_eq!(short("-54.5"), Some(Num::F64(-54.5)));
        for long in ["1e5", "1.5E-3", "01", "-", "1.", "12345678901234567890"] {
            assert_eq!(short(long), None, "{long} is for the general path");
        }
    }

    #[test]
    fn keys_are_matched_a_word_at_a_time() {
        let key = KeyPattern::new("obs_id").unwrap();
        let text = format!("\"obs_id\":1{}", " ".repeat(30));
        let mut sc = Scanner::new(&text);
        assert!(sc.eat_key(&key));
        assert_eq!(sc.peek(), Some(b'1'), "the key, its closing quote and the colon consumed");
        for other in ["\"obs_ic\":1", "\"obs_idx\":1", "\"Obs_id\":1", "\"obs_id\" :1"] {
            let text = format!("{other}{}", " ".repeat(30));
            let mut sc = Scanner::new(&text);
            assert!(!sc.eat_key(&key), "{other}");
            assert_eq!(sc.pos, 0, "{other}: nothing consumed");
        }
    }

    /// The number `s`, read both at the end of the input (the general path) and followed by
    /// more input (the short path where it applies); both must agree.
    fn num(s: &str) -> Option<Num> {
        let mut sc = Scanner::new(s);
        let at_end = sc.number().ok().filter(|_| sc.pos == s.len());
        let padded = format!("{s},{}", " ".repeat(40));
        let mut sc = Scanner::new(&padded);
        let inside = sc.number().ok().filter(|_| sc.pos == s.len());
        assert!(same(at_end, inside), "{s}: {at_end:?} at the end, {inside:?} inside");
        at_end
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
            "0",
            "-0",
            "7",
            "-7",
            "0.0",
            "-0.0",
            "1500",
            "1500.0",
            "23.11817129395",
            "1e-05",
            "1E5",
            "1e+5",
            "2.5e-3",
            "9007199254740993",
            "9007199254740993.0",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "-18446744073709551616",
            "1e308",
            "1.7976931348623157e308",
            "4.9e-324",
            "2.2250738585072014e-308",
            "1e-400",
            "-1e-400",
            "0e99999999999999999999",
            "1801.4185791015625",
            "362.0079924081925",
            "0.1",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "0.000000000000000000000000000001",
            "1.00000000000000011102230246251565404236316680908203125",
            "9999999999999999999",
            "99999999999999999999.5",
            "1e22",
            "1e23",
            "12345e-22",
            "1234567890123456789e-5",
            "1e400",
            "-1e400",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "-a",
            "00",
            "1.5e",
            "2.e3",
            "123456789012345",
            "1234567890123456",
            "-123456789012345",
            "123456789012345.123456789012345",
            "1234.123456789012345",
            "9007199254740992.5",
            "12345678.12345678",
            "1.0000000000000002",
            "0.5e1",
            "7E-1",
            "-0.000001",
            "00.5",
            "-01.5",
            "0.",
            "-.5",
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
    fn digit_helpers() {
        for text in ["", "1", "12345678", "123456789", "0000000000000000001x", "98765432109876543210", "12a4"] {
            let b = text.as_bytes();
            let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
            assert_eq!(digit_run(b, 0), n, "{text}");
            let padded = format!("{text}xxxxxxxxxxxxxxxx");
            let short = digits16(padded.as_bytes(), 0);
            if n < 16 {
                let value = if n == 0 { 0 } else { text[..n].parse().unwrap() };
                assert_eq!(short, Some((value, n, if n < text.len() { b[n] } else { b'x' })), "{text}");
            } else {
                assert_eq!(short, None, "{text}");
            }
        }
        for (a, b, eq) in
            [("abc", "abc", true), ("abcdef", "abcdeg", false), ("abcdefghijklmnopq", "abcdefghijklmnopq", true)]
        {
            assert_eq!(bytes_eq(a.as_bytes(), b.as_bytes()), eq, "{a} {b}");
        }
        for n in 0..30 {
            let a: Vec<u8> = (0..n).map(|i| b'a' + i as u8).collect();
            for k in 0..n {
                let mut b = a.clone();
                b[k] = b'#';
                assert!(!bytes_eq(&a, &b), "{n} {k}");
            }
            assert!(bytes_eq(&a, &a.clone()));
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
        for (text, end) in
            [(r#"[1, {"a": "]\"}"}, [[]]] tail"#, 24), (r#""x\\" tail"#, 5), ("123, tail", 3), ("null}", 4), ("{} ", 2)]
        {
            let mut sc = Scanner::new(text);
            sc.skip_value().unwrap();
            assert_eq!(sc.pos, end, "{text}");
        }
        for text in ["[1, 2", r#""abc"#, "", ",", &format!("{}{}", "[".repeat(100), "]".repeat(100))] {
            assert!(Scanner::new(text).skip_value().is_err(), "{text}");
        }
    }
}
