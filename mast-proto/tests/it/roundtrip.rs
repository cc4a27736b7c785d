//! A random table encoded as MAST Portal JSON decodes back identical.

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

fn table() -> impl Strategy<Value = Table> {
    (prop::collection::vec(data_type(), 1..8), 0usize..40).prop_flat_map(|(types, rows)| {
        let columns: Vec<_> = types.iter().map(|dt| prop::collection::vec(cell(*dt), rows)).collect();
        (Just(types), columns).prop_map(|(types, cells)| {
            let columns = types
                .iter()
                .zip(cells)
                .enumerate()
                .map(|(i, (dt, cells))| {
                    let mut c = Column::new(format!("col_{i}"), *dt);
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
    fn pages_concatenate_to_the_whole(t in table(), cut in 0usize..40) {
        let cut = cut.min(t.num_rows());
        let mut first = t.slice(0..cut);
        first.append(&t.slice(cut..t.num_rows())).unwrap();
        same(&t, &first)?;
    }

    #[test]
    fn canonical_csv_reads_back_identical(t in table()) {
        let back = Table::from_csv(&t.to_csv()).unwrap();
        same(&t, &back)?;
    }

    #[test]
    fn csv_has_one_line_per_row_and_reads_back(t in table()) {
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
        for c in t.columns() {
            for i in 0..c.len() {
                if let Value::Float(x) = c.get(i) {
                    prop_assert!(csv.contains(&mast_proto::pyfmt::float_repr(x)));
                }
            }
        }
    }
}
