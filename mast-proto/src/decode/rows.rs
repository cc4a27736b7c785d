//! Streaming row decoding: JSON rows go straight into typed column builders, one cell at a
//! time, with no intermediate `serde_json::Value` per row.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

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
        self.push_nested(&v);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.push_nested(&v);
        Ok(())
    }
}

impl CellSeed<'_> {
    /// Arrays and objects are not cell values MAST sends; keep their JSON text in a text
    /// column, and count them as unconvertible elsewhere.
    fn push_nested(self, v: &serde_json::Value) {
        if self.0.data_type() == crate::DataType::String {
            self.0.push_str(&v.to_string());
        } else {
            self.0.push_unconvertible();
        }
    }
}

use serde::Deserialize as _;
