//! CAOM criteria queries: `Mast.Caom.Filtered` and `Mast.Caom.Filtered.Position` over the
//! generated [`sky`] (spec §3.4, §3.6).
//!
//! # Filters
//!
//! `params.filters` is a list of `{"paramName", "separator"?, "values", "freeText"?}`
//! objects, as astroquery's `build_filter_set` and `Mast.mast_query` write them:
//!
//! - Filters are **ANDed**. An empty list selects everything.
//! - `paramName` names a column case-insensitively: a generated CAOM column or any key of
//!   the CAOM columns config (see [`Col`] for the values of the columns the generated rows
//!   do not carry). Any other name is an error, answered `status: ERROR` with
//!   `msg: "Invalid column name '<paramName>'."` (SQL Server's wording, as MAST passes it on).
//! - `values` (a list; a scalar counts as a one-item list) are **ORed**:
//!   - a string matches a text cell equal to it, compared **case-insensitively**; a numeric
//!     cell when the string reads as a number equal to the cell (`"3"` matches
//!     `calib_level` 3, `"2003738726"` matches that obsid); a boolean cell when it reads
//!     `true`/`false`/`1`/`0`;
//!   - a number matches a numeric cell numerically, or a text cell that reads as that number;
//!   - `{"min": a, "max": b}` matches `a <= cell <= b` (**inclusive**; numbers or numeric
//!     strings; a missing or null bound is open) for numeric cells and text cells that read
//!     as numbers.
//! - For a column with a separator (`obs_collection`, `project`, `filters`,
//!   `wavelength_region`, `target_classification`: `;` in the columns config; a filter's own
//!   `separator` overrides it) a text cell matches when the whole text **or any of its
//!   separated parts** (trimmed) matches: `filters="F200W"` matches `CLEAR;F200W`.
//! - `freeText` is a SQL `LIKE` pattern (`%` any run of characters, `_` exactly one,
//!   case-insensitive), matched against the cell's text (numbers as their digits) and, with a
//!   separator, against each part; it is **ORed** with `values`.
//! - A null cell matches nothing. A filter with no values and no (or an empty) `freeText`
//!   constrains nothing.
//!
//! Other parameters are ignored, except `columns`: `"*"` (all columns), `"COUNT_BIG(*)"`
//! (a one-row count table, field `Column1` declared `string` holding a JSON number), or a
//! comma-separated list of column names (those columns, in that order; unknown names are
//! errors as above).
//!
//! # What is searched
//!
//! With a `position` (`"<ra>, <dec>, <radius>"` in degrees; `.Position`) the criteria are
//! applied to the rows of the same cone searched by `Mast.Caom.Cone` (the whole generated
//! sky; at most the nearest 100,000), and rows come **sorted by distance** (ties by obsid)
//! with `objID1` and `distance` (arcseconds) columns. So `filters: []` with a position
//! counts exactly the cone's rows.
//!
//! Without a position the generated sky (about 28 million observations) is not scanned:
//! criteria are evaluated over a fixed **archive index**, the observations within
//! [`ARCHIVE_FIELD_RADIUS`]° of [`ARCHIVE_FIELDS`] field centres ([`archive_centers`]: four
//! well-known targets, then points spread evenly over the sphere). For the default seed 42
//! it holds 73,971 observations, of which `dataproduct_type=image` selects 36,663 and
//! `dataproduct_type=image, obs_collection=HST` 16,885 (other seeds: similar numbers); it is
//! built once per seed and process (about 0.3 s in a debug build) and kept. Rows come **sorted
//! by obsid** (that is, by sky cell, south to north), and are ordinary sky observations:
//! their obsids rebuild through [`sky::observation`] and they appear in cone searches too.

use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use mast_proto::{Table, Value as Cell};
use serde_json::Value;

use crate::sky::{self, Col, Observation};

/// The number of fields of the archive index ([`archive_centers`]).
pub const ARCHIVE_FIELDS: usize = 128;
/// The radius of each archive field, in degrees.
pub const ARCHIVE_FIELD_RADIUS: f64 = 0.5;

/// Well-known targets that lead the archive fields: astroquery's documented cone, M31, M101
/// and the Crab (M1).
const NAMED_FIELDS: [(f64, f64); 4] =
    [(322.49324, 12.16683), (10.684708, 41.26875), (210.802429, 54.34875), (83.633083, 22.0145)];

/// The centres (ra, dec in degrees) of the archive index's fields: the four named targets,
/// then a Fibonacci lattice of `ARCHIVE_FIELDS - 4` points (rounded to 1e-4°).
///
/// ```
/// let c = mast_emulator::filtered::archive_centers();
/// assert_eq!(c.len(), mast_emulator::filtered::ARCHIVE_FIELDS);
/// assert_eq!(c[0], (322.49324, 12.16683));
/// ```
pub fn archive_centers() -> Vec<(f64, f64)> {
    let n = ARCHIVE_FIELDS - NAMED_FIELDS.len();
    let golden = 180.0 * (3.0 - 5f64.sqrt());
    let round = |x: f64| (x * 1e4).round() / 1e4;
    let lattice = (0..n).map(|i| {
        let z = 1.0 - (2.0 * i as f64 + 1.0) / n as f64;
        (round((i as f64 * golden).rem_euclid(360.0)), round(z.asin().to_degrees()))
    });
    NAMED_FIELDS.into_iter().chain(lattice).collect()
}

/// The archive index of one seed: the observations of the archive fields, sorted by obsid.
pub struct Archive {
    observations: Vec<Observation>,
}

impl Archive {
    /// The observations, sorted by obsid.
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.observations.len()
    }

    /// Whether the index is empty (never, in practice).
    pub fn is_empty(&self) -> bool {
        self.observations.is_empty()
    }
}

type ArchiveCell = Arc<OnceLock<Arc<Archive>>>;

/// The archive index for a seed, built on first use and kept for the process (the last few
/// seeds).
pub fn archive(seed: u64) -> Arc<Archive> {
    static ARCHIVES: LazyLock<Mutex<Vec<(u64, ArchiveCell)>>> = LazyLock::new(Mutex::default);
    let cell = {
        let mut list = crate::stats::lock(&ARCHIVES);
        match list.iter().find(|(s, _)| *s == seed) {
            Some((_, c)) => Arc::clone(c),
            None => {
                let c: ArchiveCell = Arc::default();
                list.push((seed, Arc::clone(&c)));
                if list.len() > 4 {
                    list.remove(0);
                }
                c
            }
        }
    };
    Arc::clone(cell.get_or_init(|| Arc::new(build_archive(seed))))
}

fn build_archive(seed: u64) -> Archive {
    let mut obsids: Vec<i64> = Vec::new();
    for (ra, dec) in archive_centers() {
        if let Ok(cone) = sky::search(ra, dec, ARCHIVE_FIELD_RADIUS, None, seed) {
            obsids.extend(cone.obsids());
        }
    }
    obsids.sort_unstable();
    obsids.dedup();
    let observations = obsids.into_iter().filter_map(|id| sky::observation(id, seed)).collect();
    Archive { observations }
}

/// The parsed `filters` of a criteria query.
#[derive(Debug, Clone, Default)]
pub struct Filters(Vec<Filter>);

#[derive(Debug, Clone)]
struct Filter {
    col: Col,
    separator: Option<String>,
    values: Vec<Wanted>,
    like: Option<Vec<LikeToken>>,
}

#[derive(Debug, Clone)]
enum Wanted {
    /// Lower-cased text, and the number it reads as.
    Text(String, Option<f64>),
    Number(f64),
    Bool(bool),
    Range(Option<f64>, Option<f64>),
}

#[derive(Debug, Clone, PartialEq)]
enum LikeToken {
    Any,
    One,
    Char(char),
}

impl Filters {
    /// Parses `params.filters` (absent or null: no filters). Errors are the `msg` of a
    /// `status: ERROR` answer.
    ///
    /// ```
    /// use mast_emulator::filtered::Filters;
    /// let f = Filters::parse(Some(&serde_json::json!([{"paramName": "FOO", "values": ["x"]}])));
    /// assert_eq!(f.unwrap_err(), "Invalid column name 'FOO'.");
    /// ```
    pub fn parse(filters: Option<&Value>) -> Result<Filters, String> {
        let list = match filters {
            None | Some(Value::Null) => return Ok(Filters::default()),
            Some(Value::Array(list)) => list,
            Some(other) => {
                return Err(format!("'filters' must be a list of {{\"paramName\", \"values\"}} objects, got {other}."));
            }
        };
        let mut out = Vec::with_capacity(list.len());
        for (i, f) in list.iter().enumerate() {
            let Value::Object(f) = f else {
                return Err(format!("filter {i} must be an object with \"paramName\" and \"values\", got {f}."));
            };
            let name = match f.get("paramName") {
                Some(Value::String(s)) => s.as_str(),
                _ => return Err(format!("filter {i} has no \"paramName\" (the column to filter on).")),
            };
            let col = Col::from_name(name).ok_or_else(|| format!("Invalid column name '{name}'."))?;
            let separator = match f.get("separator") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => sky::config_separator(name).map(str::to_owned),
            };
            let raw_values: &[Value] = match f.get("values") {
                None | Some(Value::Null) => &[],
                Some(Value::Array(v)) => v,
                Some(v) => std::slice::from_ref(v),
            };
            let mut values = Vec::with_capacity(raw_values.len());
            for v in raw_values {
                values.push(match v {
                    Value::Null => continue,
                    Value::String(s) => Wanted::Text(s.to_lowercase(), read_number(s)),
                    Value::Number(n) => Wanted::Number(n.as_f64().unwrap_or(f64::NAN)),
                    Value::Bool(b) => Wanted::Bool(*b),
                    Value::Object(range) => {
                        let bound = |key: &str| -> Result<Option<f64>, String> {
                            match range.get(key) {
                                None | Some(Value::Null) => Ok(None),
                                Some(Value::Number(n)) => Ok(n.as_f64()),
                                Some(Value::String(s)) => read_number(s).map(Some).ok_or_else(|| {
                                    format!("filter '{name}': range bound {key} must be a number, got {s:?}.")
                                }),
                                Some(other) => {
                                    Err(format!("filter '{name}': range bound {key} must be a number, got {other}."))
                                }
                            }
                        };
                        if !range.contains_key("min") && !range.contains_key("max") {
                            return Err(format!(
                                "filter '{name}': a range value must be {{\"min\": .., \"max\": ..}}, got {v}."
                            ));
                        }
                        Wanted::Range(bound("min")?, bound("max")?)
                    }
                    Value::Array(_) => {
                        return Err(format!("filter '{name}': values must be scalars or {{min, max}}, got {v}."));
                    }
                });
            }
            let like = match f.get("freeText") {
                Some(Value::String(s)) if !s.is_empty() => Some(like_pattern(s)),
                _ => None,
            };
            if values.is_empty() && like.is_none() {
                continue;
            }
            out.push(Filter { col, separator, values, like });
        }
        Ok(Filters(out))
    }

    /// Whether an observation at `distance` arcseconds (`None`: no cone) passes every filter.
    pub fn matches(&self, obs: &Observation, distance: Option<f64>) -> bool {
        self.0.iter().all(|f| f.matches(f.col.get(obs, distance)))
    }

    /// Whether there are no (effective) filters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Filter {
    fn matches(&self, cell: Cell<'_>) -> bool {
        match cell {
            Cell::Masked => false,
            Cell::Str(s) => {
                let whole = std::iter::once(s);
                let parts = self
                    .separator
                    .as_deref()
                    .filter(|sep| s.contains(*sep))
                    .into_iter()
                    .flat_map(|sep| s.split(sep).map(str::trim));
                whole.chain(parts).any(|t| self.text_matches(t))
            }
            Cell::Int(i) => self.number_matches(i as f64, &i.to_string()),
            Cell::UInt8(u) => self.number_matches(f64::from(u), &u.to_string()),
            Cell::Float(x) => self.number_matches(x, &mast_proto::pyfmt::float_repr(x)),
            Cell::Bool(b) => {
                self.values.iter().any(|w| match w {
                    Wanted::Bool(v) => *v == b,
                    Wanted::Text(t, n) => {
                        t == if b { "true" } else { "false" } || n.is_some_and(|n| n == f64::from(u8::from(b)))
                    }
                    Wanted::Number(n) => *n == f64::from(u8::from(b)),
                    Wanted::Range(..) => false,
                }) || self.like_matches(if b { "true" } else { "false" })
            }
        }
    }

    fn text_matches(&self, text: &str) -> bool {
        let number = || read_number(text);
        self.values.iter().any(|w| match w {
            Wanted::Text(t, _) => eq_ci(text, t),
            Wanted::Number(n) => number() == Some(*n),
            Wanted::Bool(b) => eq_ci(text, if *b { "true" } else { "false" }),
            Wanted::Range(lo, hi) => number().is_some_and(|x| in_range(x, *lo, *hi)),
        }) || self.like_matches(text)
    }

    fn number_matches(&self, x: f64, text: &str) -> bool {
        self.values.iter().any(|w| match w {
            Wanted::Text(_, n) => *n == Some(x),
            Wanted::Number(n) => *n == x,
            Wanted::Bool(_) => false,
            Wanted::Range(lo, hi) => in_range(x, *lo, *hi),
        }) || self.like_matches(text)
    }

    fn like_matches(&self, text: &str) -> bool {
        self.like.as_deref().is_some_and(|p| like(p, text))
    }
}

fn in_range(x: f64, lo: Option<f64>, hi: Option<f64>) -> bool {
    lo.is_none_or(|lo| lo <= x) && hi.is_none_or(|hi| x <= hi)
}

/// Case-insensitive equality with an already lower-cased `lower`.
fn eq_ci(text: &str, lower: &str) -> bool {
    if text.is_ascii() && lower.is_ascii() { text.eq_ignore_ascii_case(lower) } else { text.to_lowercase() == lower }
}

fn read_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

fn like_pattern(p: &str) -> Vec<LikeToken> {
    let mut out: Vec<LikeToken> = Vec::with_capacity(p.len());
    for c in p.chars() {
        match c {
            '%' if out.last() == Some(&LikeToken::Any) => {}
            '%' => out.push(LikeToken::Any),
            '_' => out.push(LikeToken::One),
            c => out.extend(c.to_lowercase().map(LikeToken::Char)),
        }
    }
    out
}

/// SQL `LIKE` (case-insensitive), with the usual greedy-star backtracking.
fn like(pattern: &[LikeToken], text: &str) -> bool {
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(LikeToken::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikeToken::One) => {
                p += 1;
                t += 1;
            }
            Some(LikeToken::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|x| *x == LikeToken::Any)
}

/// The rows a criteria query selects: obsids, with their distances for `.Position`.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    entries: Vec<(i64, f64)>,
    positional: bool,
    seed: u64,
}

impl Selection {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no row was selected.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The obsids in row order.
    pub fn obsids(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        self.entries.iter().map(|e| e.0)
    }

    /// The answer's fields: [`sky::FILTERED_POSITION_FIELDS`] with a position,
    /// [`sky::FILTERED_FIELDS`] without.
    pub fn fields(&self) -> &'static [(&'static str, &'static str)] {
        if self.positional { &sky::FILTERED_POSITION_FIELDS } else { &sky::FILTERED_FIELDS }
    }

    /// Rows `range` (clamped) as a table with [`Selection::fields`].
    pub fn table(&self, range: std::ops::Range<usize>) -> Table {
        let end = range.end.min(self.entries.len());
        let start = range.start.min(end);
        let rows = self.entries[start..end].iter().map(|&(obsid, d)| {
            let obs = sky::observation(obsid, self.seed).expect("selected obsids are generated");
            (obs, self.positional.then_some(d))
        });
        sky::layout_table(self.fields(), rows)
    }
}

/// Runs a criteria query: over the cone (`position` = ra, dec, radius in degrees) or, without
/// one, over the [`archive`] index (module docs).
///
/// ```
/// use mast_emulator::filtered::{Filters, query};
/// let image_hst = Filters::parse(Some(&serde_json::json!([
///     {"paramName": "dataproduct_type", "values": ["IMAGE"]},
///     {"paramName": "obs_collection", "separator": ";", "values": ["HST"]},
/// ])))?;
/// let rows = query(&image_hst, None, 42)?;
/// assert!(rows.len() > 5_000);
/// let cone = query(&Filters::default(), Some((322.49324, 12.16683, 0.2)), 42)?;
/// assert_eq!(cone.len(), mast_emulator::sky::search(322.49324, 12.16683, 0.2, None, 42).unwrap().len());
/// # Ok::<(), String>(())
/// ```
pub fn query(filters: &Filters, position: Option<(f64, f64, f64)>, seed: u64) -> Result<Selection, String> {
    let entries = match position {
        Some((ra, dec, radius)) => {
            let cone = sky::search(ra, dec, radius, None, seed).map_err(|e| e.to_string())?;
            let distances = cone.distances();
            cone.obsids()
                .zip(distances)
                .filter(|&(id, d)| {
                    filters.is_empty() || sky::observation(id, seed).is_some_and(|o| filters.matches(&o, Some(d)))
                })
                .collect()
        }
        None => {
            let archive = archive(seed);
            archive.observations().iter().filter(|o| filters.matches(o, None)).map(|o| (o.obsid, 0.0)).collect()
        }
    };
    Ok(Selection { entries, positional: position.is_some(), seed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn like_str(p: &str, t: &str) -> bool {
        like(&like_pattern(p), t)
    }

    #[test]
    fn documented_archive_sizes() {
        let a = archive(42);
        assert_eq!(a.len(), 73_971);
        let images = a.observations().iter().filter(|o| o.dataproduct_type == "image");
        assert_eq!(images.clone().count(), 36_663);
        assert_eq!(images.filter(|o| o.obs_collection == "HST").count(), 16_885);
        assert!(a.observations().windows(2).all(|w| w[0].obsid < w[1].obsid));
    }

    #[test]
    fn like_follows_sql() {
        assert!(like_str("Ost%", "Osten, Rachel A."));
        assert!(like_str("ost%", "OSTEN"));
        assert!(like_str("%ten%", "Osten"));
        assert!(like_str("O_ten", "Osten"));
        assert!(!like_str("O_ten", "Oten"));
        assert!(like_str("%", ""));
        assert!(!like_str("_", ""));
        assert!(like_str("a%b%c", "aXXbYYbc"));
        assert!(!like_str("a%b%c", "aXXbYYbcd"));
        assert!(like_str("%%x", "yyx"));
        assert!(!like_str("abc", "abcd"));
    }

    fn obs() -> Observation {
        let cone = sky::search(83.63, 22.01, 0.3, None, 42).unwrap();
        let mut found = None;
        for id in cone.obsids() {
            let o = sky::observation(id, 42).unwrap();
            if o.obs_collection == "JWST" && o.filters.contains(';') && o.target_classification.is_some() {
                found = Some(o);
                break;
            }
        }
        found
            .or_else(|| sky::observation(sky::find_nearest(83.63, 22.01, 42, |o| o.filters == "CLEAR;F200W")?, 42))
            .unwrap()
    }

    fn matches(filters: serde_json::Value, o: &Observation) -> bool {
        Filters::parse(Some(&filters)).unwrap().matches(o, Some(12.5))
    }

    #[test]
    fn values_ranges_separators() {
        let o = obs();
        let part = o.filters.split(';').nth(1).unwrap().to_lowercase();
        assert!(matches(json!([{"paramName": "filters", "values": [part]}]), &o));
        assert!(matches(json!([{"paramName": "filters", "values": [o.filters]}]), &o));
        assert!(!matches(json!([{"paramName": "filters", "separator": ",", "values": [part]}]), &o));
        assert!(matches(json!([{"paramName": "obs_collection", "values": ["x", "jwst"]}]), &o));
        assert!(!matches(
            json!([{"paramName": "obs_collection", "values": ["jwst"]}, {"paramName": "calib_level", "values": [99]}]),
            &o
        ));
        let cl = o.calib_level;
        assert!(matches(json!([{"paramName": "calib_level", "values": [cl.to_string()]}]), &o));
        assert!(matches(json!([{"paramName": "calib_level", "values": [{"min": cl, "max": cl}]}]), &o));
        assert!(!matches(json!([{"paramName": "calib_level", "values": [{"min": cl + 1, "max": 9}]}]), &o));
        assert!(matches(json!([{"paramName": "obsid", "values": [], "freeText": "1%"}]), &o));
        assert!(matches(json!([{"paramName": "distance", "values": [{"min": 12.5, "max": 12.5}]}]), &o));
        assert!(matches(json!([{"paramName": "mtFlag", "values": ["False"]}]), &o));
        assert!(!matches(json!([{"paramName": "srcDen", "values": ["1"]}]), &o));
        assert!(matches(json!([{"paramName": "srcDen", "values": []}]), &o));
        assert!(!Filters::parse(Some(&json!([{"paramName": "distance", "values": [1]}]))).unwrap().matches(&o, None));
        assert!(Filters::parse(Some(&json!([{"paramName": "s_ra", "values": [{"min": "x"}]}]))).is_err());
        assert!(Filters::parse(Some(&json!([{"values": ["x"]}]))).is_err());
    }
}
