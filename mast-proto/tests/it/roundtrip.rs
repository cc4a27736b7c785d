//! A random table encoded as MAST Portal JSON decodes back identical, both as our own
//! encoder writes it and in the shapes MAST really sends (data before fields, masked cells
//! as missing keys, escaped and non-ASCII names); its CSV reads back identical.

use mast_proto::{Column, DataType, Table, Value, decode};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Cell {
    Masked,
    Bool(bool),
    Int(i64),
    UInt8(u8),
    Float(f64),
    Str(String),
}

fn cell(dt: DataType) -> BoxedStrategy<Cell> {
    let value = match dt {
        DataType::Bool => any::<bool>().prop_map(Cell::Bool).boxed(),
        DataType::Int64 => any::<i64>().prop_map(Cell::Int).boxed(),
        DataType::UInt8 => any::<u8>().prop_map(Cell::UInt8).boxed(),
        DataType::Float64 => {
            prop_oneof![any::<f64>().prop_filter("finite", |x| x.is_finite()), (-1e6f64..1e6), Just(0.0), Just(-999.0),]
                .prop_map(Cell::Float)
                .boxed()
        }
        // Non-empty text (an empty string is a masked cell by definition), with quotes,
        // backslashes, control characters and non-ASCII.
        DataType::String => "[a-zA-Z0-9 _.:;/\"\\\\\u{1}\n\té°\u{1F52D}]{1,24}".prop_map(Cell::Str).boxed(),
    };
    prop_oneof![1 => Just(Cell::Masked), 6 => value].boxed()
}

fn data_type() -> impl Strategy<Value = DataType> {
    prop_oneof![
        Just(DataType::Bool),
        Just(DataType::Int64),
        Just(DataType::UInt8),
        Just(DataType::Float64),
        Just(DataType::String)
    ]
}

/// A column name: ASCII, quotes, backslashes, spaces and non-ASCII (made unique by its index).
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z_ /\"\\\\é°\u{1F52D}]{0,8}"
}

fn table() -> impl Strategy<Value = Table> {
    (prop::collection::vec((data_type(), name()), 1..8), 0usize..40).prop_flat_map(|(types, rows)| {
        let columns: Vec<_> = types.iter().map(|(dt, _)| prop::collection::vec(cell(*dt), rows)).collect();
        (Just(types), columns).prop_map(|(types, cells)| {
            let columns = types
                .iter()
                .zip(cells)
                .enumerate()
                .map(|(i, ((dt, name), cells))| {
                    let mut c = Column::new(format!("{name}{i}"), *dt);
                    for cell in &cells {
                        c.push(match cell {
                            Cell::Masked => Value::Masked,
                            Cell::Bool(b) => Value::Bool(*b),
                            Cell::Int(x) => Value::Int(*x),
                            Cell::UInt8(x) => Value::UInt8(*x),
                            Cell::Float(x) => Value::Float(*x),
                            Cell::Str(s) => Value::Str(s),
                        });
                    }
                    c
                })
                .collect();
            Table::new(columns).unwrap()
        })
    })
}

fn same(a: &Table, b: &Table) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.num_rows(), b.num_rows());
    prop_assert_eq!(a.column_names().collect::<Vec<_>>(), b.column_names().collect::<Vec<_>>());
    for (ca, cb) in a.columns().iter().zip(b.columns()) {
        prop_assert_eq!(ca.data_type(), cb.data_type());
        for i in 0..ca.len() {
            prop_assert_eq!(ca.get(i), cb.get(i), "column {} row {}", ca.name(), i);
        }
    }
    Ok(())
}

/// How MAST may shape a Portal answer that our own encoder never produces.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// `data` (and `fields`) before `status` and `msg`; each row's keys in reverse order.
    data_first: bool,
    /// Masked cells are left out of their row (a missing key) rather than sent as `null`.
    omit_masked: bool,
    /// Names and text in `fields` written with `\uXXXX` escapes for everything non-ASCII.
    escape_fields: bool,
    /// The same for the rows' keys and text cells.
    escape_data: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(data_first, omit_masked, escape_fields, escape_data)| Shape {
            data_first,
            omit_masked,
            escape_fields,
            escape_data,
        },
    )
}

/// A JSON string, either as serde_json writes it or with every non-ASCII, quote, backslash
/// and control character as a `\uXXXX` escape (surrogate pairs above the BMP).
fn json_str(s: &str, escape: bool) -> String {
    if !escape {
        return serde_json::to_string(s).unwrap();
    }
    let mut out = String::from('"');
    for ch in s.chars() {
        if ch.is_ascii() && !ch.is_ascii_control() && ch != '"' && ch != '\\' {
            out.push(ch);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04X}"));
            }
        }
    }
    out.push('"');
    out
}

fn type_name(dt: DataType) -> &'static str {
    match dt {
        DataType::Bool => "boolean",
        DataType::Int64 => "long",
        DataType::UInt8 => "unsignedByte",
        DataType::Float64 => "double",
        DataType::String => "string",
    }
}

/// `t` as a Portal answer in shape `shape`, written independently of `Table::to_portal_json`.
fn mast_json(t: &Table, shape: Shape) -> String {
    let fields: Vec<String> = t
        .columns()
        .iter()
        .map(|c| {
            format!(
                r#"{{"name": {}, "type": "{}"}}"#,
                json_str(c.name(), shape.escape_fields),
                type_name(c.data_type())
            )
        })
        .collect();
    let rows: Vec<String> = (0..t.num_rows())
        .map(|row| {
            let mut cells: Vec<String> = t
                .columns()
                .iter()
                .filter(|c| !(shape.omit_masked && c.is_masked(row)))
                .map(|c| {
                    let value = match c.get(row) {
                        Value::Masked => "null".to_owned(),
                        Value::Bool(b) => b.to_string(),
                        Value::Int(x) => x.to_string(),
                        Value::UInt8(x) => x.to_string(),
                        Value::Float(x) => serde_json::to_string(&x).unwrap(),
                        Value::Str(s) => json_str(s, shape.escape_data),
                    };
                    format!("{}: {value}", json_str(c.name(), shape.escape_data))
                })
                .collect();
            if shape.data_first {
                cells.reverse();
            }
            format!("{{{}}}", cells.join(", "))
        })
        .collect();
    let (fields, data) = (format!(r#""fields": [{}]"#, fields.join(", ")), format!(r#""data": [{}]"#, rows.join(", ")));
    if shape.data_first {
        format!(r#"{{{data}, {fields}, "msg": "", "status": "COMPLETE"}}"#)
    } else {
        format!(r#"{{"status": "COMPLETE", "msg": "", {fields}, {data}}}"#)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn portal_json_round_trip(t in table()) {
        let json = t.to_portal_json(None);
        let (back, paging) = decode::portal_table(json.as_bytes(), "Mast.Test", None).unwrap();
        same(&t, &back)?;
        prop_assert_eq!(paging.unwrap().rows, t.num_rows() as u64);
    }

    #[test]
    fn mast_shaped_portal_json_decodes_to_the_table(t in table(), shape in shape()) {
        let json = mast_json(&t, shape);
        let (back, paging) = decode::portal_table(json.as_bytes(), "Mast.Test", None)
            .map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
        same(&t, &back)?;
        prop_assert!(paging.is_none());
        prop_assert!(back.warnings().iter().all(|w| w.category != mast_proto::WarningCategory::BlankResponse), "{:?}", back.warnings());
    }

    #[test]
    fn pages_concatenate_to_the_whole(t in table(), cut in 0usize..40) {
        let cut = cut.min(t.num_rows());
        let mut first = t.slice(0..cut);
        first.append(&t.slice(cut..t.num_rows())).unwrap();
        same(&t, &first)?;
    }

    #[test]
    fn csv_has_one_line_per_row_and_reads_back_cell_by_cell(t in table()) {
        let csv = t.to_csv();
        // Strings may hold newlines, so count with a quote-aware scan.
        let mut lines = 0;
        let mut quoted = false;
        for ch in csv.chars() {
            match ch {
                '"' => quoted = !quoted,
                '\n' if !quoted => lines += 1,
                _ => {}
            }
        }
        prop_assert_eq!(lines, t.num_rows() + 2);
        // Read back with the CSV reader: same names, types, masks and values, cell by cell.
        let back = Table::from_csv(&csv).map_err(|e| TestCaseError::fail(format!("{e}: {csv}")))?;
        same(&t, &back)?;
    }
}
