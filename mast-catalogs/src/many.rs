//! Many targets in one call: one cone per target, run concurrently within the client's
//! limits, stacked in input order with the target each row came from.
//!
//! astroquery answers one cone per call, so a list of targets is a Python loop, one
//! request after another. Here every cone is a [`Catalogs::query_region`] of its own (same
//! validation, same warnings, same paging), at most
//! [`mast_proto::MastConfig::page_concurrency`] targets are in flight at once (the client's
//! own bound on requests holds across them too), and a target that fails is reported with
//! its index instead of failing the batch.

use futures::StreamExt as _;
use mast_proto::{Column, DataType, Position, Table, Value, Warning};

use crate::catalog::{CatalogKind, cone_plan};
use crate::{Catalogs, Error, QueryOptions, Result};

/// One target of a many-target query: a sky position, or a name to resolve first.
///
/// ```
/// use mast_catalogs::Target;
/// let targets = vec![Target::from("M101"), Target::from(mast_proto::Position::new(10.0, -5.0)?)];
/// assert_eq!(targets[0].to_string(), "M101");
/// assert_eq!(targets[1].to_string(), "10 -5");
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A position (ICRS degrees).
    Position(Position),
    /// An object name, resolved as [`Catalogs::query_object`] resolves it.
    Name(String),
}

impl From<Position> for Target {
    fn from(position: Position) -> Target {
        Target::Position(position)
    }
}

impl From<&str> for Target {
    fn from(name: &str) -> Target {
        Target::Name(name.to_owned())
    }
}

impl From<String> for Target {
    fn from(name: String) -> Target {
        Target::Name(name)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Position(p) => write!(f, "{} {}", p.ra(), p.dec()),
            Target::Name(name) => f.write_str(name),
        }
    }
}

/// A target whose query failed: its index in the input, the target, and the error.
#[derive(Debug)]
pub struct TargetError {
    /// The target's index in the input (the `_target` value its rows would have had).
    pub index: usize,
    /// The target.
    pub target: Target,
    /// Why its query failed.
    pub error: Error,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "target {} ({}): {}", self.index, self.target, self.error)
    }
}

/// The answer of a many-target query: the rows of every target that answered, stacked in
/// input order, and the targets that failed.
///
/// The table starts with four columns naming the target of each row: `_target` (its index
/// in the input), `_target_name` (the name as given; masked for positions), `_target_ra` and
/// `_target_dec` (the position queried, in degrees: the resolved one for names). A target's
/// warnings are kept on the table, prefixed with `target <index>: `.
#[derive(Debug)]
pub struct ManyResult {
    /// The stacked rows (no rows and no columns when no target answered any row).
    pub table: Table,
    /// The targets that failed, in input order.
    pub errors: Vec<TargetError>,
}

/// The columns naming the target of each row, first in a [`ManyResult`]'s table.
pub const TARGET_COLUMNS: [&str; 4] = ["_target", "_target_name", "_target_ra", "_target_dec"];

impl Catalogs {
    /// One cone per position ([`Catalogs::query_region`] with `options`), concurrently,
    /// stacked in input order ([`ManyResult`]).
    ///
    /// The options, and a Portal catalog's criteria or PanSTARRS' columns (one
    /// `metadata.json`), are checked once before anything else is sent: an invalid query is
    /// an error for the whole call. After that a failing target is a [`TargetError`] and the
    /// others go on.
    ///
    /// ```no_run
    /// use mast_catalogs::{Catalogs, QueryOptions};
    /// use mast_proto::{MastClient, Position, Radius};
    /// # async fn run() -> mast_catalogs::Result<()> {
    /// let catalogs = Catalogs::new(MastClient::from_env()?);
    /// let positions = [Position::new(322.49324, 12.16683)?, Position::new(23.34086, 60.658)?];
    /// let options = QueryOptions::new().catalog("Gaia").radius(Radius::from_arcsec(30.0)?);
    /// let found = catalogs.query_region_many(&positions, &options).await?;
    /// println!("{} sources, {} targets failed", found.table.num_rows(), found.errors.len());
    /// # Ok(()) }
    /// ```
    pub async fn query_region_many(&self, positions: &[Position], options: &QueryOptions) -> Result<ManyResult> {
        let targets: Vec<Target> = positions.iter().copied().map(Target::Position).collect();
        self.query_many(&targets, options).await
    }

    /// One cone per object name (resolved first, as [`Catalogs::query_object`] does),
    /// concurrently, stacked in input order; as [`Catalogs::query_region_many`]. A name
    /// that does not resolve is that target's error.
    pub async fn query_object_many<S: AsRef<str>>(&self, names: &[S], options: &QueryOptions) -> Result<ManyResult> {
        let targets: Vec<Target> = names.iter().map(|n| Target::Name(n.as_ref().to_owned())).collect();
        self.query_many(&targets, options).await
    }

    /// One cone per target, positions and names mixed; see [`Catalogs::query_region_many`].
    pub async fn query_many(&self, targets: &[Target], options: &QueryOptions) -> Result<ManyResult> {
        options.check()?;
        if CatalogKind::of(options.catalog_name()) == CatalogKind::PanStarrs {
            // Checks the columns and fetches the metadata once, before the targets share it.
            self.panstarrs_criteria(options).await?;
        } else {
            cone_plan(options.catalog_name(), options.version, &options.criteria)?;
        }
        let in_flight = self.client().config().page_concurrency().max(1);
        let mut answers = futures::stream::iter(targets.iter().enumerate())
            .map(|(index, target)| async move { (index, target, self.one_target(target, options).await) })
            .buffered(in_flight);
        let mut table = Table::empty();
        let mut errors = Vec::new();
        while let Some((index, target, answer)) = answers.next().await {
            let stacked = answer.and_then(|(position, rows)| {
                let rows = with_target_columns(index, target, position, rows)?;
                if rows.num_columns() == 0 {
                    // No rows and no columns (nothing found): only its warnings.
                    rows.warnings().iter().for_each(|w| table.push_warning(w.clone()));
                    return Ok(());
                }
                table.append(&rows).map_err(Error::from)
            });
            if let Err(error) = stacked {
                errors.push(TargetError { index, target: target.clone(), error });
            }
        }
        Ok(ManyResult { table, errors })
    }

    /// One target's position and rows.
    async fn one_target(&self, target: &Target, options: &QueryOptions) -> Result<(Position, Table)> {
        let (position, warnings) = match target {
            Target::Position(p) => (*p, Vec::new()),
            Target::Name(name) => {
                mast_proto::check_object_name(name)?;
                self.resolve(name, options).await?
            }
        };
        let mut table = self.query_region(position, options).await?;
        for w in warnings.into_iter().rev() {
            table.insert_warning(w);
        }
        Ok((position, table))
    }
}

/// `rows` with the four target columns first and its warnings prefixed with the target's
/// index.
fn with_target_columns(index: usize, target: &Target, position: Position, rows: Table) -> Result<Table> {
    let n = rows.num_rows();
    let name = match target {
        Target::Name(name) => Value::Str(name),
        Target::Position(_) => Value::Masked,
    };
    let label = index;
    let index = i64::try_from(index).unwrap_or(i64::MAX);
    let mut columns = vec![
        Column::from_values(TARGET_COLUMNS[0], DataType::Int64, std::iter::repeat_n(Value::Int(index), n)),
        Column::from_values(TARGET_COLUMNS[1], DataType::String, std::iter::repeat_n(name, n)),
        Column::from_values(TARGET_COLUMNS[2], DataType::Float64, std::iter::repeat_n(Value::Float(position.ra()), n)),
        Column::from_values(TARGET_COLUMNS[3], DataType::Float64, std::iter::repeat_n(Value::Float(position.dec()), n)),
    ];
    columns.extend(rows.columns().iter().cloned());
    let mut table = if rows.num_columns() == 0 { Table::empty() } else { Table::new(columns)? };
    for w in rows.warnings() {
        table.push_warning(Warning::new(w.category, format!("target {label}: {}", w.message)));
    }
    Ok(table)
}
