//! Text read the way Python reads it, and the command line's list syntax: the one home of
//! every such parser in mast-rs ([`pyfmt`](crate::pyfmt) is the other direction, the text
//! Python writes).
//!
//! - [`parse_float`]: Python's `float(str)`, used for criteria bounds, product filters,
//!   numeric text in table cells and columns-config sentinels.
//! - [`split_list`]: a comma-separated list with backslash escapes (`\,` `\.` `\\`), the
//!   value syntax of `--criteria` and `--filter` ([`crate::criteria`], [`crate::products`]).
//! - [`split_key_value`]: `KEY=VALUE` at the first `=`, for `--criteria`, `--filter`, `-p`
//!   and `--property`.
//! - [`split_values`] and [`check_range`]: the value checks `--criteria` and `--filter` share
//!   (no empty value, no reversed `min..max` range).
//!
//! ```
//! use mast_proto::pyparse::{parse_float, split_key_value, split_list};
//!
//! assert_eq!(parse_float(" 1_000.5 "), Some(1000.5));
//! let (key, value) = split_key_value(r"proposal_pi=Osten\, R.,Smith", "criterion", "keyword=value")?;
//! assert_eq!(key, "proposal_pi");
//! let values: Vec<String> = split_list(value).into_iter().map(|v| v.into_string()).collect();
//! assert_eq!(values, ["Osten, R.", "Smith"]);
//! # Ok::<(), mast_proto::Error>(())
//! ```

use crate::{Error, Result};

/// Python's `float(text)` for a `str` argument, exactly (CPython's `PyFloat_FromString`):
/// `Some(x)` where Python returns `x`, `None` where it raises `ValueError`.
///
/// The rules, in CPython's order:
///
/// 1. Every non-ASCII character is mapped to ASCII first
///    (`_PyUnicode_TransformDecimalAndSpaceToASCII`): a Unicode space (`str.isspace()`:
///    U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000)
///    becomes a space; a Unicode decimal digit (category Nd: `١٢`, fullwidth `１２`,
///    mathematical `𝟎`, ...) becomes its ASCII digit; anything else makes the text invalid.
///    The digit table is Unicode 14.0's, as in Python 3.11 (the conformance oracle's);
///    Unicode 15 (Python 3.12+) adds the Kawi and Nag Mundari digits, not accepted here.
/// 2. Underscores (PEP 515) are allowed only between two digits, anywhere in the number
///    (`1_000.000_1`, `1e1_0`), and are then removed; `_1`, `1_`, `1__0`, `1_.5`, `1_e5`
///    are invalid.
/// 3. Leading and trailing ASCII whitespace is removed: space, `\t`, `\n`, `\v`, `\f`,
///    `\r` (not `\x1c`–`\x1f`, which `str.strip()` would remove but `float()` refuses).
/// 4. What is left must be, in full: an optional sign, then `inf`, `infinity` or `nan` in any
///    case, or decimal digits with at most one `.` and at least one digit (`5.`, `.5`),
///    optionally followed by `e`/`E`, an optional sign and at least one digit. No hex
///    (`0x10`), no second sign (`+-1`), no `nan(...)`, nothing empty.
/// 5. The value is correctly rounded; beyond the range of `f64` it is `±inf` (`1e400`), below
///    it `±0.0` (`1e-400`): `float()` of a string never raises `OverflowError`. `-nan` is a
///    NaN with the sign bit set, as in CPython.
///
/// Step 4 is exactly the grammar of Rust's `f64::from_str` (which accepts `inf`, `infinity`
/// and `nan` in any case), so after steps 1–3 the text is handed to it.
///
/// ```
/// use mast_proto::pyparse::parse_float;
/// assert_eq!(parse_float(" 1_000.5\n"), Some(1000.5));
/// assert_eq!(parse_float("-Infinity"), Some(f64::NEG_INFINITY));
/// assert!(parse_float("nan").is_some_and(f64::is_nan));
/// assert_eq!(parse_float("1e400"), Some(f64::INFINITY));
/// assert_eq!(parse_float("١٢.٥"), Some(12.5)); // Arabic-Indic digits
/// for bad in ["", "1_", "1__0", "0x10", "+-1", "1e", "nan(1)", "1 2"] {
///     assert_eq!(parse_float(bad), None, "{bad}");
/// }
/// ```
pub fn parse_float(text: &str) -> Option<f64> {
    if text.is_ascii() {
        return parse_ascii_float(text);
    }
    let mut ascii = String::with_capacity(text.len());
    for c in text.chars() {
        if (c as u32) < 127 {
            ascii.push(c);
        } else if is_unicode_space(c) {
            ascii.push(' ');
        } else {
            ascii.push(char::from(b'0' + decimal_digit(c)?));
        }
    }
    parse_ascii_float(&ascii)
}

/// Steps 2–4 of [`parse_float`] on ASCII text.
fn parse_ascii_float(text: &str) -> Option<f64> {
    let owned;
    let text = if text.contains('_') {
        owned = remove_underscores(text)?;
        owned.as_str()
    } else {
        text
    };
    text.trim_matches(is_ascii_space).parse().ok()
}

/// CPython's `_Py_string_to_number_with_underscores`, over the whole text (whitespace
/// included): every `_` follows a digit and precedes one.
fn remove_underscores(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let after_digit = i > 0 && bytes[i - 1].is_ascii_digit();
            let before_digit = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(after_digit && before_digit) {
                return None;
            }
        } else {
            out.push(char::from(b));
        }
    }
    Some(out)
}

/// `Py_ISSPACE`: the C locale's whitespace.
fn is_ascii_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Python's `str.isspace()` above U+007F (`_PyUnicode_IsWhitespace`).
fn is_unicode_space(c: char) -> bool {
    matches!(
        c,
        '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// The first code point (digit zero) of every run of ten Unicode decimal digits (category
/// Nd) above U+007F, Unicode 14.0 (Python 3.11's `unicodedata.decimal`). Every Nd run is ten
/// consecutive code points, zero to nine.
const DECIMAL_ZEROS: [u32; 65] = [
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50,
    0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50,
    0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136,
    0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0,
    0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// `unicodedata.decimal(c)` for a non-ASCII character.
fn decimal_digit(c: char) -> Option<u8> {
    let cp = c as u32;
    let run = DECIMAL_ZEROS.partition_point(|&zero| zero <= cp).checked_sub(1)?;
    let offset = cp - DECIMAL_ZEROS[run];
    u8::try_from(offset).ok().filter(|d| *d < 10)
}

/// One value of a list read by [`split_list`]: its text with the escapes resolved and
/// surrounding whitespace removed, and which of its characters were written escaped.
///
/// ```
/// use mast_proto::pyparse::split_list;
/// let items = split_list(r"a\.\.b, 1..2");
/// assert_eq!(items[0].as_str(), "a..b");
/// assert_eq!(items[0].find_unescaped(".."), None);
/// assert_eq!(items[1].find_unescaped(".."), Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    text: String,
    /// Byte offsets in `text` of the characters that were escaped, ascending.
    escaped: Vec<usize>,
}

impl ListItem {
    /// The text, escapes resolved.
    ///
    /// ```
    /// assert_eq!(mast_proto::pyparse::split_list(r"Osten\, R.")[0].as_str(), "Osten, R.");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, escapes resolved.
    ///
    /// ```
    /// assert_eq!(mast_proto::pyparse::split_list(r" C:\data\\ ")[0].clone().into_string(), r"C:\data\");
    /// ```
    pub fn into_string(self) -> String {
        self.text
    }

    /// Whether the character at byte offset `at` was written with a backslash.
    ///
    /// ```
    /// let item = &mast_proto::pyparse::split_list(r"a\,b")[0];
    /// assert!(item.is_escaped(1) && !item.is_escaped(0));
    /// ```
    pub fn is_escaped(&self, at: usize) -> bool {
        self.escaped.binary_search(&at).is_ok()
    }

    /// Byte offset of the first occurrence of `pattern` none of whose characters was escaped
    /// (occurrences may overlap: in `a\...b` the first unescaped `..` is at 2).
    ///
    /// ```
    /// let item = &mast_proto::pyparse::split_list(r"a\...b")[0];
    /// assert_eq!((item.as_str(), item.find_unescaped("..")), ("a...b", Some(2)));
    /// ```
    pub fn find_unescaped(&self, pattern: &str) -> Option<usize> {
        if pattern.is_empty() {
            return Some(0);
        }
        self.text.char_indices().map(|(at, _)| at).find(|&at| {
            self.text[at..].starts_with(pattern) && !self.escaped.iter().any(|&e| e >= at && e < at + pattern.len())
        })
    }

    /// Splits at the first unescaped `pattern` ([`ListItem::find_unescaped`]); both sides are
    /// trimmed of surrounding whitespace.
    ///
    /// ```
    /// let item = &mast_proto::pyparse::split_list("-1 .. 2")[0];
    /// let (lo, hi) = item.split_once_unescaped("..").unwrap();
    /// assert_eq!((lo.as_str(), hi.as_str()), ("-1", "2"));
    /// ```
    pub fn split_once_unescaped(&self, pattern: &str) -> Option<(ListItem, ListItem)> {
        let at = self.find_unescaped(pattern)?;
        Some((self.sub(0, at).trimmed(), self.sub(at + pattern.len(), self.text.len()).trimmed()))
    }

    /// Bytes `start..end` of this item, escapes kept.
    fn sub(&self, start: usize, end: usize) -> ListItem {
        ListItem {
            text: self.text[start..end].to_owned(),
            escaped: self.escaped.iter().filter(|&&e| e >= start && e < end).map(|e| e - start).collect(),
        }
    }

    /// Without surrounding whitespace (`str::trim`; whitespace is never escaped).
    fn trimmed(self) -> ListItem {
        let start = self.text.len() - self.text.trim_start().len();
        let end = start + self.text[start..].trim_end().len();
        if start == 0 && end == self.text.len() { self } else { self.sub(start, end) }
    }
}

/// Splits a command-line list on its unescaped commas: the value syntax of `--criteria`
/// ([`crate::criteria::CriterionValues::parse`]) and `--filter`
/// ([`crate::products::ProductFilter::parse_arg`]).
///
/// - Unescaped commas separate values; `a,,b` has an empty value in the middle and an empty
///   text is one empty value.
/// - A backslash escapes a comma, a dot or itself: `\,` `\.` `\\` are `,` `.` `\` inside a
///   value (a `\.` keeps a dot from forming a `..` range); any other backslash is kept as it
///   is (`C:\data` stays `C:\data`), as is a backslash at the very end.
/// - Whitespace around each value is removed (`str::trim`).
///
/// Escaped characters are remembered ([`ListItem::find_unescaped`]). This is the command
/// line's syntax, not Python's: a Python caller passes a list.
///
/// ```
/// use mast_proto::pyparse::split_list;
/// let texts = |s: &str| split_list(s).into_iter().map(|i| i.into_string()).collect::<Vec<_>>();
/// assert_eq!(texts(r"*UV, Kepler ,Osten\, R."), ["*UV", "Kepler", "Osten, R."]);
/// assert_eq!(texts(r"x\,y,z\\,w\q"), ["x,y", r"z\", r"w\q"]);
/// assert_eq!(texts(""), [""]);
/// assert_eq!(texts("a,,b"), ["a", "", "b"]);
/// ```
pub fn split_list(text: &str) -> Vec<ListItem> {
    let mut items = Vec::new();
    let mut current = ListItem { text: String::new(), escaped: Vec::new() };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next_if(|n| matches!(n, ',' | '.' | '\\')) {
                Some(escaped) => {
                    current.escaped.push(current.text.len());
                    current.text.push(escaped);
                }
                None => current.text.push('\\'),
            },
            ',' => items.push(std::mem::replace(&mut current, ListItem { text: String::new(), escaped: Vec::new() })),
            _ => current.text.push(c),
        }
    }
    items.push(current);
    items.into_iter().map(ListItem::trimmed).collect()
}

/// [`split_list`] for the values of `--criteria` and `--filter`, refusing an empty value:
/// nothing after the `=` (`productType=`), or an empty item (`a,,b`, `a,`). A value that is
/// meant to be empty has no command-line form; a Python caller passes a list.
///
/// The error is [`Error::InvalidQuery`] quoting the value text; callers prefix it with the
/// argument (`criterion 'obs_id': ...`, `product filter 'productType': ...`).
///
/// ```
/// use mast_proto::pyparse::split_values;
/// assert_eq!(split_values("NUV, FUV")?.len(), 2);
/// assert_eq!(split_values("").unwrap_err().to_string(), "no value after '='; give one or more values separated by commas");
/// assert!(split_values("a,,b").unwrap_err().to_string().starts_with("'a,,b' has an empty value"));
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn split_values(text: &str) -> Result<Vec<ListItem>> {
    let items = split_list(text);
    if items.iter().any(|i| i.as_str().is_empty()) {
        let message = if text.trim().is_empty() {
            "no value after '='; give one or more values separated by commas".to_owned()
        } else {
            format!(
                "'{text}' has an empty value (two commas in a row, or one at an end); give every value, or write \\, for a comma inside a value"
            )
        };
        return Err(Error::InvalidQuery { message });
    }
    Ok(items)
}

/// Refuses a reversed range `lo..hi` of `--criteria` and `--filter`: both bounds read as
/// numbers ([`parse_float`]) and the minimum is greater than the maximum. Such a range
/// matches nothing, so it is always a mistake. Bounds that are not numbers are left to the
/// caller (a column decides what it accepts).
///
/// ```
/// use mast_proto::pyparse::check_range;
/// assert!(check_range("5", "10").is_ok());
/// assert!(check_range("x", "1").is_ok());
/// assert_eq!(
///     check_range("10", "5").unwrap_err().to_string(),
///     "the range 10..5 is reversed: its minimum 10 is greater than its maximum 5; write it as min..max"
/// );
/// ```
pub fn check_range(lo: &str, hi: &str) -> Result<()> {
    match (parse_float(lo), parse_float(hi)) {
        (Some(min), Some(max)) if min > max => Err(Error::InvalidQuery {
            message: format!(
                "the range {lo}..{hi} is reversed: its minimum {} is greater than its maximum {}; write it as min..max",
                lo.trim(),
                hi.trim()
            ),
        }),
        _ => Ok(()),
    }
}

/// Splits `KEY=VALUE` at the first `=`: the key trimmed of surrounding whitespace, the value
/// as it is (it may hold further `=`, and surrounding whitespace is the value's business).
///
/// Errors are [`Error::InvalidQuery`] naming the input: without `=`, `<what> '<arg>' is not of
/// the form <form>`; with nothing but whitespace before it, `<what> '<arg>' has no key before
/// '='`. `what` says what the argument is (`criterion`, `product filter`, `--param`) and `form`
/// shows the expected form, with examples if useful.
///
/// ```
/// use mast_proto::pyparse::split_key_value;
/// assert_eq!(split_key_value(" size =>=1000", "product filter", "column=value")?, ("size", ">=1000"));
/// assert_eq!(split_key_value("x=", "--param", "KEY=VALUE")?, ("x", ""));
/// let err = split_key_value("image", "criterion", "keyword=value (e.g. dataproduct_type=image)").unwrap_err();
/// assert_eq!(err.to_string(), "criterion 'image' is not of the form keyword=value (e.g. dataproduct_type=image)");
/// assert_eq!(err.class_name(), "InvalidQueryError");
/// let err = split_key_value(" =x", "--param", "KEY=VALUE").unwrap_err();
/// assert_eq!(err.to_string(), "--param ' =x' has no key before '='");
/// # Ok::<(), mast_proto::Error>(())
/// ```
pub fn split_key_value<'a>(arg: &'a str, what: &str, form: &str) -> Result<(&'a str, &'a str)> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(Error::InvalidQuery { message: format!("{what} '{arg}' is not of the form {form}") });
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::InvalidQuery { message: format!("{what} '{arg}' has no key before '='") });
    }
    Ok((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `repr(float(text))` from CPython 3.11 (`None`: `ValueError`), compared bit for bit
    /// (NaN by NaN-ness and sign).
    #[test]
    fn float_matches_cpython() {
        let nan = f64::NAN;
        let cases: &[(&str, Option<f64>)] = &[
            ("1", Some(1.0)),
            (" 1_000.5 ", Some(1000.5)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("+.5", Some(0.5)),
            ("1.e5", Some(1e5)),
            ("-1E-3", Some(-0.001)),
            ("1e+5", Some(1e5)),
            ("1e0005", Some(1e5)),
            ("00", Some(0.0)),
            ("-0", Some(-0.0)),
            ("0_0", Some(0.0)),
            ("1e1_0", Some(1e10)),
            ("1_0.0_1", Some(10.01)),
            ("1e400", Some(f64::INFINITY)),
            ("-1e400", Some(f64::NEG_INFINITY)),
            ("1e-400", Some(0.0)),
            ("0.1", Some(0.1)),
            ("2.2250738585072011e-308", Some(2.225073858507201e-308)),
            ("9007199254740993", Some(9007199254740992.0)),
            ("inf", Some(f64::INFINITY)),
            ("+inf", Some(f64::INFINITY)),
            ("iNfInItY", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("nan", Some(nan)),
            ("+NaN", Some(nan)),
            ("-nan", Some(-nan)),
            ("\t\n\x0b\x0c\r 1 \r\n", Some(1.0)),
            ("\u{85}1", Some(1.0)),
            ("\u{a0}1\u{3000}", Some(1.0)),
            ("\u{2000}1\u{2029}", Some(1.0)),
            ("١٢", Some(12.0)),
            ("1_١", Some(11.0)),
            ("٣.٢٥", Some(3.25)),
            ("\u{1d7ce}", Some(0.0)),
            ("１２", Some(12.0)),
            ("-１e\u{0967}", Some(-10.0)),
            ("", None),
            (" ", None),
            (".", None),
            ("-.e5", None),
            ("e5", None),
            ("1e", None),
            ("1e5.0", None),
            ("infin", None),
            ("infinityy", None),
            ("inf_", None),
            ("nan(1)", None),
            ("0x10", None),
            ("+-1", None),
            ("--inf", None),
            ("+-inf", None),
            ("1 2", None),
            ("_1", None),
            ("1_", None),
            ("1__0", None),
            ("1_.5", None),
            ("1._5", None),
            ("1_e5", None),
            ("1E+_5", None),
            (" _1", None),
            ("1_ ", None),
            ("abc", None),
            ("\x1c1", None),
            ("1\x1c", None),
            ("\x7f1", None),
            ("1\u{200b}", None),
            ("١٫٥", None),
            ("1,5", None),
        ];
        for (text, expected) in cases {
            let got = parse_float(text);
            match (got, expected) {
                (Some(g), Some(e)) if e.is_nan() => {
                    assert!(g.is_nan() && g.is_sign_negative() == e.is_sign_negative(), "{text:?}: {g}")
                }
                (Some(g), Some(e)) => assert_eq!(g.to_bits(), e.to_bits(), "{text:?}: {g} vs {e}"),
                (g, e) => assert_eq!(g, *e, "{text:?}"),
            }
        }
    }

    #[test]
    fn decimal_digit_table() {
        assert_eq!(decimal_digit('٠'), Some(0));
        assert_eq!(decimal_digit('٩'), Some(9));
        assert_eq!(decimal_digit('\u{66a}'), None); // ARABIC PERCENT SIGN, right after ٩
        assert_eq!(decimal_digit('\u{65f}'), None);
        assert_eq!(decimal_digit('\u{1fbf9}'), Some(9));
        assert_eq!(decimal_digit('\u{1fbfa}'), None);
        assert_eq!(decimal_digit('é'), None);
        assert!(DECIMAL_ZEROS.windows(2).all(|w| w[1] >= w[0] + 10));
    }

    /// The three parsers this module replaces, as they were, for the comparisons below.
    mod old {
        /// criteria.rs `python_float`.
        pub fn criteria_float(text: &str) -> Option<f64> {
            let t = text.trim();
            if t.contains('_') {
                let bytes = t.as_bytes();
                let ok = bytes.iter().enumerate().all(|(i, b)| {
                    *b != b'_'
                        || (i > 0
                            && bytes[i - 1].is_ascii_digit()
                            && bytes.get(i + 1).is_some_and(|n| n.is_ascii_digit()))
                });
                if !ok {
                    return None;
                }
                return t.replace('_', "").parse().ok();
            }
            t.parse().ok()
        }

        /// table/column.rs `parse_python_float`, after the caller's `trim`.
        pub fn column_float(t: &str) -> Option<f64> {
            let t = t.trim();
            let lower = t.to_ascii_lowercase();
            match lower.trim_start_matches(['+', '-']) {
                "nan" => Some(f64::NAN),
                "inf" | "infinity" => Some(if lower.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY }),
                _ => t.parse::<f64>().ok(),
            }
        }

        /// criteria.rs `split_escaped` + `trim_item` + `collect_item`: text and escape flags.
        pub fn criteria_split(text: &str) -> Vec<Vec<(char, bool)>> {
            let mut items = vec![Vec::new()];
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if matches!(chars.peek(), Some(',' | '.' | '\\')) => {
                        let next = chars.next().unwrap_or('\\');
                        items.last_mut().unwrap().push((next, true));
                    }
                    ',' => items.push(Vec::new()),
                    _ => items.last_mut().unwrap().push((c, false)),
                }
            }
            items
                .into_iter()
                .map(|item| {
                    let start = item.iter().position(|(c, esc)| *esc || !c.is_whitespace()).unwrap_or(item.len());
                    let end = item.iter().rposition(|(c, esc)| *esc || !c.is_whitespace()).map_or(start, |e| e + 1);
                    item[start..end.max(start)].to_vec()
                })
                .collect()
        }

        /// products.rs `split_values`.
        pub fn products_split(text: &str) -> Vec<String> {
            let mut items = vec![String::new()];
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                let current = items.last_mut().unwrap();
                match c {
                    '\\' if matches!(chars.peek(), Some(',' | '\\')) => current.push(chars.next().unwrap_or('\\')),
                    ',' => items.push(String::new()),
                    _ => current.push(c),
                }
            }
            items.into_iter().map(|s| s.trim().to_owned()).collect()
        }
    }

    fn same(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(x), Some(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
            (a, b) => a == b,
        }
    }

    /// Text made of the characters that matter to `float()`.
    fn float_like() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                8 => proptest::char::range('0', '9'),
                1 => Just('.'),
                1 => Just('e'),
                1 => Just('E'),
                1 => Just('+'),
                1 => Just('-'),
                1 => Just('_'),
                1 => Just(' '),
                1 => Just('\t'),
                1 => Just('i'),
                1 => Just('n'),
                1 => Just('f'),
                1 => Just('a'),
                1 => Just('N'),
                1 => Just('I'),
            ],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        /// The criteria variant was right on ASCII text except for one sign: it trimmed with
        /// `str::trim`, which also strips `\x1c`–`\x1f` where Python refuses them (none are
        /// generated here).
        #[test]
        fn float_keeps_the_criteria_variant(text in float_like()) {
            prop_assert!(same(parse_float(&text), old::criteria_float(&text)), "{:?}", text);
        }

        /// The table-conversion variant was right except with underscores (it refused them)
        /// and with several signs before inf/nan (it accepted `+-inf`).
        #[test]
        fn float_keeps_the_column_variant(text in float_like()) {
            let t = text.trim();
            let signs = t.len() - t.trim_start_matches(['+', '-']).len();
            prop_assume!(!text.contains('_') && signs <= 1);
            prop_assert!(same(parse_float(&text), old::column_float(&text)), "{:?}", text);
        }

        #[test]
        fn float_never_panics(text in "\\PC{0,16}") {
            let _ = parse_float(&text);
        }

        /// The list splitter is the criteria one (text and escapes), and the products one
        /// wherever the text has no `\.` (which products kept as two characters).
        #[test]
        fn list_keeps_the_old_splitters(text in "[a-c ,.\\\\\t]{0,16}") {
            let new = split_list(&text);
            let criteria = old::criteria_split(&text);
            prop_assert_eq!(new.len(), criteria.len());
            for (n, c) in new.iter().zip(&criteria) {
                let text: String = c.iter().map(|(ch, _)| *ch).collect();
                prop_assert_eq!(n.as_str(), text.as_str());
                let escaped: Vec<bool> = n.as_str().char_indices().map(|(at, _)| n.is_escaped(at)).collect();
                prop_assert_eq!(escaped, c.iter().map(|(_, e)| *e).collect::<Vec<_>>());
            }
            if !text.contains("\\.") {
                let texts: Vec<String> = new.into_iter().map(ListItem::into_string).collect();
                prop_assert_eq!(texts, old::products_split(&text));
            }
        }
    }

    #[test]
    fn list_edge_cases() {
        let texts = |s: &str| split_list(s).into_iter().map(ListItem::into_string).collect::<Vec<_>>();
        assert_eq!(texts(""), [""]);
        assert_eq!(texts(","), ["", ""]);
        assert_eq!(texts(" a , b "), ["a", "b"]);
        assert_eq!(texts(r"a\"), [r"a\"]);
        assert_eq!(texts(r"\\\,"), [r"\,"]);
        assert_eq!(texts(r"a\.\.b"), ["a..b"]);
        assert_eq!(texts(r"a\q,\n"), [r"a\q", r"\n"]);
        assert_eq!(texts("é,ü\\,ß"), ["é", "ü,ß"]);
        // Whitespace inside a value stays; around it goes (Unicode whitespace too).
        assert_eq!(texts("\u{3000}Osten R.\t"), ["Osten R."]);
        // Escapes are remembered after trimming and splitting.
        let item = &split_list(r" 1\..2 .. 3 ")[0];
        assert_eq!(item.as_str(), "1..2 .. 3");
        assert_eq!(item.find_unescaped(".."), Some(5));
        let (lo, hi) = item.split_once_unescaped("..").unwrap();
        assert_eq!((lo.as_str(), hi.as_str()), ("1..2", "3"));
        assert!(lo.is_escaped(1) && !lo.is_escaped(2));
        assert_eq!(lo.find_unescaped(".."), None);
        let item = &split_list(r"a\.\.b")[0];
        assert!(item.split_once_unescaped("..").is_none());
        assert_eq!(item.find_unescaped(""), Some(0));
        // Multi-byte text before an escape keeps the offsets right.
        let item = &split_list(r"é\..x..")[0];
        assert_eq!(item.as_str(), "é..x..");
        assert_eq!(item.find_unescaped(".."), Some(5));
        assert!(item.is_escaped(2));
    }

    #[test]
    fn key_value_edge_cases() {
        let kv = |s| split_key_value(s, "x", "k=v");
        assert_eq!(kv("a=b").unwrap(), ("a", "b"));
        assert_eq!(kv("a=b=c").unwrap(), ("a", "b=c"));
        assert_eq!(kv(" a b = c ").unwrap(), ("a b", " c "));
        assert_eq!(kv("size=>=1000").unwrap(), ("size", ">=1000"));
        assert_eq!(kv("é=ü").unwrap(), ("é", "ü"));
        for (bad, message) in [
            ("", "x '' is not of the form k=v"),
            ("ab", "x 'ab' is not of the form k=v"),
            ("=b", "x '=b' has no key before '='"),
            ("\t=b", "x '\t=b' has no key before '='"),
        ] {
            match kv(bad) {
                Err(Error::InvalidQuery { message: m }) => assert_eq!(m, message),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
