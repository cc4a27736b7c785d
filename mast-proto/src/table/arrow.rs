//! Arrow export (feature `arrow`).

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt8Array};
use arrow_schema::{DataType as ArrowType, Field, Schema};

use super::column::Values;
use super::{DataType, Table};
use crate::Result;

impl Table {
    /// The table as an Arrow [`RecordBatch`]: one array per column, with validity bitmaps
    /// taken from the masks, and each column's unit and description in the field metadata
    /// (`unit`, `description`). For Polars, DataFusion and Parquet users.
    ///
    /// ```
    /// use mast_proto::{Column, DataType, Table, Value};
    /// let t = Table::new(vec![Column::from_values("n", DataType::Int64, [Value::Int(1), Value::Masked])])?;
    /// let batch = t.to_record_batch()?;
    /// assert_eq!(batch.num_rows(), 2);
    /// assert_eq!(batch.column(0).null_count(), 1);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        let mut fields = Vec::with_capacity(self.num_columns());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.num_columns());
        for c in self.columns() {
            let valid = |i: usize| c.valid[i];
            let (dt, array): (ArrowType, ArrayRef) = match &c.values {
                Values::Bool(v) => (
                    ArrowType::Boolean,
                    Arc::new(v.iter().enumerate().map(|(i, x)| valid(i).then_some(*x)).collect::<BooleanArray>()),
                ),
                Values::Int64(v) => (
                    ArrowType::Int64,
                    Arc::new(v.iter().enumerate().map(|(i, x)| valid(i).then_some(*x)).collect::<Int64Array>()),
                ),
                Values::UInt8(v) => (
                    ArrowType::UInt8,
                    Arc::new(v.iter().enumerate().map(|(i, x)| valid(i).then_some(*x)).collect::<UInt8Array>()),
                ),
                Values::Float64(v) => (
                    ArrowType::Float64,
                    Arc::new(v.iter().enumerate().map(|(i, x)| valid(i).then_some(*x)).collect::<Float64Array>()),
                ),
                Values::String(v) => (
                    ArrowType::Utf8,
                    Arc::new((0..c.len()).map(|i| valid(i).then(|| v.get(i))).collect::<StringArray>()),
                ),
            };
            debug_assert!(matches!(
                (c.data_type(), &dt),
                (DataType::Bool, ArrowType::Boolean)
                    | (DataType::Int64, ArrowType::Int64)
                    | (DataType::UInt8, ArrowType::UInt8)
                    | (DataType::Float64, ArrowType::Float64)
                    | (DataType::String, ArrowType::Utf8)
            ));
            let mut metadata = std::collections::HashMap::new();
            if let Some(u) = &c.meta().unit {
                metadata.insert("unit".to_owned(), u.clone());
            }
            if let Some(d) = &c.meta().description {
                metadata.insert("description".to_owned(), d.clone());
            }
            fields.push(Field::new(c.name(), dt, true).with_metadata(metadata));
            arrays.push(array);
        }
        let schema = Arc::new(Schema::new(fields));
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(self.num_rows()));
        Ok(RecordBatch::try_new_with_options(schema, arrays, &options)?)
    }
}
