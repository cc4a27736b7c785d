//! Streaming row decoding: JSON rows go straight into typed column builders, one cell at a
//! time, with no intermediate `serde_json::Value` per row.
//!
//! Two decoders fill the same [`RowSink`]: a hand-written one over the bytes
//! ([`RowSink::decode_fast`], keys matched against the expected next column before any hash
//! lookup, strings copied straight from the input), and the serde `DeserializeSeed` chain
//! ([`RowSink::decode`]), which runs only when the fast one gives up (malformed or unusual
//! input) and so words every error.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::scan::{Bail, Fast, KeyPattern, Num, Scanner};
use crate::table::Column;

/// Column builders plus the name → column lookup for keyed rows.
pub(crate) struct RowSink<'n> {
    pub(crate) columns: Vec<Column>,
    names: Vec<&'n str>,
    index: HashMap<&'n str, usize>,
    /// Per column: whether at least one row carried a value (even null) for it.
    pub(crate) carried: Vec<bool>,
    pub(crate) rows: usize,
}

impl<'n> RowSink<'n> {
    /// `names[i]` is the JSON key of `columns[i]`.
    pub(crate) fn new(columns: Vec<Column>, names: Vec<&'n str>) -> Self {
        let mut index = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            index.entry(*n).or_insert(i);
        }
        let carried = vec![false; columns.len()];
        RowSink { columns, names, index, carried, rows: 0 }
    }

    /// Decodes a JSON array of rows (objects keyed by name, or arrays in column order).
    pub(crate) fn decode(&mut self, json: &str) -> serde_json::Result<()> {
        let mut de = serde_json::Deserializer::from_str(json);
        RowsSeed(self).deserialize(&mut de)?;
        de.end()
    }

    fn finish_row(&mut self) {
        self.rows += 1;
        for c in &mut self.columns {
            if c.len() < self.rows {
                c.push_masked();
            }
        }
    }

    fn lookup(&self, key: &str, expected: usize) -> Option<usize> {
        if self.names.get(expected) == Some(&key) {
            return Some(expected);
        }
        self.index.get(key).copied()
    }

    /// The fast decoder: the array of rows at the scanner's position, same results as
    /// [`RowSink::decode`]. `keys` are the names of every `fields` entry in order (dropped
    /// ones included): rows nearly always list their keys in that order. On [`Bail`] the sink
    /// is left half-filled and must be dropped.
    pub(super) fn decode_fast(&mut self, sc: &mut Scanner<'_>, keys: &[&str]) -> Fast<()> {
        let slots: Vec<Slot<'_>> = keys
            .iter()
            .map(|k| Slot {
                pattern: KeyPattern::new(k),
                key: k.as_bytes(),
                plain: !k.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20),
                column: self.index.get(k).copied(),
            })
            .collect();
        // Where to resume the expected order after a key found by lookup.
        let mut resume = vec![0; self.columns.len()];
        for (i, s) in slots.iter().enumerate().rev() {
            if let Some(c) = s.column {
                resume[c] = i + 1;
            }
        }
        let mut scratch = String::new();
        sc.skip_ws();
        let start = sc.pos;
        sc.expect(b'[')?;
        sc.skip_ws();
        if sc.eat(b']') {
            return Ok(());
        }
        loop {
            sc.skip_ws();
            let filled = match sc.peek() {
                Some(b'{') => self.object_row(sc, &slots, &resume, &mut scratch)?,
                Some(b'[') => self.array_row(sc, &mut scratch)?,
                _ => return Err(Bail),
            };
            self.rows += 1;
            if self.rows == PROBE_ROWS {
                // Size the text columns for the rest of the input from the rows so far, so
                // that they grow once, not by doubling. In all, that is about the size of the
                // rest of the input, whatever the rows so far were like.
                let (done, rest) = (sc.pos - start, sc.text().len() - sc.pos);
                let more = (self.rows as u128 * rest as u128 / done.max(1) as u128) as usize;
                for c in &mut self.columns {
                    c.reserve_text(more.saturating_add(more / 10));
                }
            }
            if filled < self.columns.len() {
                for c in &mut self.columns {
                    if c.len() < self.rows {
                        c.push_masked();
                    }
                }
            }
            sc.skip_ws();
            match sc.peek() {
                Some(b',') => sc.pos += 1,
                Some(b']') => {
                    sc.pos += 1;
                    return Ok(());
                }
                _ => return Err(Bail),
            }
        }
    }

    /// One `{...}` row; returns how many columns it filled.
    #[inline]
    fn object_row(
        &mut self,
        sc: &mut Scanner<'_>,
        slots: &[Slot<'_>],
        resume: &[usize],
        scratch: &mut String,
    ) -> Fast<usize> {
        sc.pos += 1;
        sc.skip_ws();
        if sc.eat(b'}') {
            return Ok(0);
        }
        let row = self.rows;
        let mut expected = 0;
        let mut filled = 0;
        loop {
            sc.skip_ws();
            if sc.peek() != Some(b'"') {
                return Err(Bail);
            }
            let slot = slots.get(expected);
            let column = match slot {
                Some(slot) if slot.pattern.as_ref().is_some_and(|p| sc.eat_key(p)) => {
                    expected += 1;
                    slot.column
                }
                _ => {
                    let column = match slot {
                        Some(slot) if slot.plain && sc.eat_plain_key(slot.key) => {
                            expected += 1;
                            slot.column
                        }
                        _ => {
                            let column = self.index.get(sc.string(scratch)?).copied();
                            if let Some(c) = column {
                                expected = resume[c];
                            }
                            column
                        }
                    };
                    sc.skip_ws();
                    sc.expect(b':')?;
                    column
                }
            };
            sc.skip_ws();
            match column {
                Some(i) if self.columns[i].len() == row => {
                    self.carried[i] = true;
                    filled += 1;
                    cell(sc, &mut self.columns[i], scratch)?;
                }
                _ => ignore(sc, scratch)?,
            }
            sc.skip_ws();
            match sc.peek() {
                Some(b',') => sc.pos += 1,
                Some(b'}') => {
                    sc.pos += 1;
                    return Ok(filled);
                }
                _ => return Err(Bail),
            }
        }
    }

    /// One `[...]` row, cells in column order; returns how many columns it filled.
    fn array_row(&mut self, sc: &mut Scanner<'_>, scratch: &mut String) -> Fast<usize> {
        sc.pos += 1;
        sc.skip_ws();
        if sc.eat(b']') {
            return Ok(0);
        }
        let mut i = 0;
        loop {
            sc.skip_ws();
            if let Some(column) = self.columns.get_mut(i) {
                cell(sc, column, scratch)?;
                self.carried[i] = true;
            } else {
                ignore(sc, scratch)?;
            }
            i += 1;
            sc.skip_ws();
            match sc.peek() {
                Some(b',') => sc.pos += 1,
                Some(b']') => {
                    sc.pos += 1;
                    return Ok(i.min(self.columns.len()));
                }
                _ => return Err(Bail),
            }
        }
    }
}

/// After this many rows the fast decoder sizes the columns for the rest of the input.
const PROBE_ROWS: usize = 256;

/// One `fields` entry as the fast decoder matches it.
struct Slot<'k> {
    /// The key as `name":`, when that can be compared with the input in words.
    pattern: Option<KeyPattern>,
    key: &'k [u8],
    /// The key has no character JSON must escape, so its raw bytes can be compared.
    plain: bool,
    column: Option<usize>,
}

/// Pushes the JSON value at the scanner's position into `column`, as [`CellSeed`] does.
#[inline(always)]
fn cell(sc: &mut Scanner<'_>, column: &mut Column, scratch: &mut String) -> Fast<()> {
    match sc.peek() {
        Some(b'"') => column.push_str(sc.string(scratch)?),
        Some(b'-' | b'0'..=b'9') => match sc.number()? {
            Num::U64(u) => column.push_u64(u),
            Num::I64(i) => column.push_i64(i),
            Num::F64(x) => column.push_f64(x),
        },
        Some(b'n') => {
            sc.literal(b"null")?;
            column.push_masked();
        }
        Some(b't') => {
            sc.literal(b"true")?;
            column.push_bool(true);
        }
        Some(b'f') => {
            sc.literal(b"false")?;
            column.push_bool(false);
        }
        Some(b'[' | b'{') => {
            let start = sc.pos;
            sc.skip_value()?;
            let v: serde_json::Value = serde_json::from_str(sc.slice(start, sc.pos)?).map_err(|_| Bail)?;
            push_nested(column, &v);
        }
        _ => return Err(Bail),
    }
    Ok(())
}

/// Checks and skips a value no column takes.
fn ignore(sc: &mut Scanner<'_>, scratch: &mut String) -> Fast<()> {
    match sc.peek() {
        Some(b'"') => sc.string(scratch).map(drop),
        Some(b'-' | b'0'..=b'9') => sc.number().map(drop),
        Some(b'n') => sc.literal(b"null"),
        Some(b't') => sc.literal(b"true"),
        Some(b'f') => sc.literal(b"false"),
        Some(b'[' | b'{') => {
            let start = sc.pos;
            sc.skip_value()?;
            serde_json::from_str::<IgnoredAny>(sc.slice(start, sc.pos)?).map(drop).map_err(|_| Bail)
        }
        _ => Err(Bail),
    }
}

/// Arrays and objects are not cell values MAST sends; keep their JSON text in a text column,
/// and count them as unconvertible elsewhere.
fn push_nested(column: &mut Column, v: &serde_json::Value) {
    if column.data_type() == crate::DataType::String {
        column.push_str(&v.to_string());
    } else {
        column.push_unconvertible();
    }
}

struct RowsSeed<'a, 'n>(&'a mut RowSink<'n>);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RowSeed(&mut *self.0))?.is_some() {
            self.0.finish_row();
        }
        Ok(())
    }
}

struct RowSeed<'a, 'n>(&'a mut RowSink<'n>);

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row (object or array)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let sink = self.0;
        let row = sink.rows;
        let mut expected = 0;
        while let Some(slot) = map.next_key_seed(KeySeed { sink: &*sink, expected })? {
            match slot {
                Some(i) if sink.columns[i].len() == row => {
                    sink.carried[i] = true;
                    map.next_value_seed(CellSeed(&mut sink.columns[i]))?;
                    expected = i + 1;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let sink = self.0;
        let mut i = 0;
        loop {
            if i < sink.columns.len() {
                if seq.next_element_seed(CellSeed(&mut sink.columns[i]))?.is_none() {
                    break;
                }
                sink.carried[i] = true;
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            i += 1;
        }
        Ok(())
    }
}

struct KeySeed<'a, 'n> {
    sink: &'a RowSink<'n>,
    expected: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = Option<usize>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.sink.lookup(key, self.expected))
    }
}

/// Pushes one JSON value into a column, converting as [`Column::push`] does.
struct CellSeed<'a>(&'a mut Column);

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cell value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.0.push_bool(v);
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.0.push_i64(v);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.0.push_u64(v);
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.push_f64(v);
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push_str(v);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push_masked();
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.0.push_masked();
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        push_nested(self.0, &v);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        push_nested(self.0, &v);
        Ok(())
    }
}

use serde::Deserialize as _;
