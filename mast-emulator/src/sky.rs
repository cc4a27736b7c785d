//! The generated sky: a deterministic, seeded catalogue of CAOM observations covering the
//! whole celestial sphere, from which `Mast.Caom.Cone` (and `Mast.Caom.Filtered[.Position]`,
//! `Mast.Caom.Products`) answer.
//!
//! # Cells
//!
//! The sky is cut into declination bands 0.1° high (1800 bands). Band `b` holds
//! `max(1, floor(3600 · cos δ_center))` cells of equal width in right ascension, so every cell
//! is about 0.1° × 0.1° (0.01 deg²); there are about 4.1 million cells, numbered band by band
//! from the south pole. A cell's *natural* number of observations is drawn from a seeded
//! hash of the cell, uniform in `0..=2m`, where the mean `m` (2 to 12) is itself drawn per
//! 1°-region, so that some regions are rich and some sparse. A cone of radius 0.2° therefore
//! holds about 90 observations on average (typically 25 to 150).
//!
//! # Observations and obsids
//!
//! Observation `k` of cell `c` exists for every `k < 2^24` (not only for `k` below the
//! natural count: see "Forced sizes"). Its obsid is
//!
//! ```text
//! obsid = 100_000_000_000_000 + c · 2^24 + k        (15 decimal digits, < 2^53)
//! ```
//!
//! so the observation can be rebuilt from the obsid alone ([`observation`]). Its position is
//! uniform (by area) inside the cell, drawn from a hash of `(seed, c, k)`, rounded to 1e-10
//! degree; every other column is drawn from a generator seeded by `(seed, obsid)`. `objID` is
//! `obsid + 100_000_000_000_000`.
//!
//! # Cone results
//!
//! A cone returns the observations whose position is within `radius` of the centre, **sorted
//! by distance** from the centre (ascending, ties by obsid), with `distance` in arcseconds.
//! The same cone therefore always gives the same rows in the same order, and two overlapping
//! cones agree on the observations they share. Without a forced size at most
//! [`DEFAULT_MAX_ROWS`] rows are returned (the nearest ones).
//!
//! # Forced sizes
//!
//! [`search`] (and the emulator's non-MAST `emulator_rows` parameter) can ask for exactly `N`
//! rows. If the cone naturally holds at least `N`, the nearest `N` are returned. Otherwise
//! "deep" observations are added level by level: level `L` adds observation `L` of every
//! intersecting cell whose natural count is at most `L`, until the cone holds `N`; then the
//! nearest `N` are kept. Deep observations are ordinary observations of their cells (their
//! obsids rebuild them), they are simply not part of the natural sky.
//!
//! # Full-frame images
//!
//! [`FFI_PERCENT`]% of the TESS observations are full-frame images (about 0.5% of all
//! observations): `obs_collection` `TESS`, `dataproduct_type` `image`, `target_name`
//! exactly [`TESS_FFI`] (`"TESS FFI"`, 2 in 3) or [`TICA_FFI`] (`"TICA FFI"`), `obs_id`
//! `tess-sSSSS-C-D` or `hlsp_tica_tess_ffi_sSSSS-camC-ccdD`. [`find_ffi`] and
//! [`find_tica_ffi`] give the one nearest to [`FFI_SEARCH_CENTER`]; a cone around its
//! `s_ra`/`s_dec` contains it (for seed 42: obsid 142080713834496, `tess-s0026-4-4` at
//! 322.515844655, 12.4259620842, 0.26° from astroquery's documented cone centre).
//!
//! # Criteria queries and products
//!
//! `Mast.Caom.Filtered[.Position]` answers come from [`crate::filtered`] (with
//! [`FILTERED_FIELDS`] / [`FILTERED_POSITION_FIELDS`]), product lists from
//! [`crate::products`].

use std::cmp::Ordering;
use std::fmt;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::LazyLock;

use mast_proto::{Column, DataType, Table, Value};

/// The smallest generated obsid; obsids below it (such as the recorded fixtures' ten-digit
/// ones) are not from the generated sky.
pub const OBSID_BASE: i64 = 100_000_000_000_000;
/// What is added to an obsid to make its `objID`.
pub const OBJID_OFFSET: i64 = 100_000_000_000_000;
/// Observations per cell that obsids can address (`2^24`).
pub const MAX_PER_CELL: u64 = 1 << INDEX_BITS;
/// The most rows a cone returns when no size is forced (the nearest ones are kept).
pub const DEFAULT_MAX_ROWS: usize = 100_000;
/// The largest size [`search`] accepts for a forced cone.
pub const MAX_FORCED_ROWS: usize = 20_000_000;

const INDEX_BITS: u32 = 24;
const BANDS: usize = 1800;
const BAND_DEG: f64 = 0.1;

/// The CAOM observation fields, in MAST's order, with their declared MAST types (as in the
/// recorded `caom.json`, including the always-null `_selected_` portal field).
pub const CAOM_FIELDS: [(&str, &str); 28] = [
    ("dataproduct_type", "string"),
    ("obs_collection", "string"),
    ("instrument_name", "string"),
    ("project", "string"),
    ("filters", "string"),
    ("wavelength_region", "string"),
    ("target_name", "string"),
    ("target_classification", "string"),
    ("obs_id", "string"),
    ("s_ra", "float"),
    ("s_dec", "float"),
    ("proposal_id", "string"),
    ("proposal_pi", "string"),
    ("calib_level", "int"),
    ("t_min", "float"),
    ("t_max", "float"),
    ("t_exptime", "float"),
    ("em_min", "float"),
    ("em_max", "float"),
    ("obs_title", "string"),
    ("t_obs_release", "float"),
    ("s_region", "string"),
    ("jpegURL", "string"),
    ("dataURL", "string"),
    ("obsid", "string"),
    ("objID", "string"),
    ("distance", "float"),
    ("_selected_", "boolean"),
];

/// The fields of a `Mast.Caom.Filtered` answer, in MAST's order (as in the recorded
/// `advSearch.json`: no `distance`, no `_selected_`).
pub const FILTERED_FIELDS: [(&str, &str); 26] = [
    ("dataproduct_type", "string"),
    ("calib_level", "int"),
    ("obs_collection", "string"),
    ("obs_id", "string"),
    ("target_name", "string"),
    ("s_ra", "float"),
    ("s_dec", "float"),
    ("t_min", "float"),
    ("t_max", "float"),
    ("t_exptime", "float"),
    ("wavelength_region", "string"),
    ("filters", "string"),
    ("em_min", "float"),
    ("em_max", "float"),
    ("target_classification", "string"),
    ("obs_title", "string"),
    ("t_obs_release", "float"),
    ("instrument_name", "string"),
    ("proposal_pi", "string"),
    ("proposal_id", "string"),
    ("project", "string"),
    ("s_region", "string"),
    ("jpegURL", "string"),
    ("dataURL", "string"),
    ("obsid", "string"),
    ("objID", "string"),
];

/// The fields of a `Mast.Caom.Filtered.Position` answer (as in the recorded
/// `advSearchPos.json`): [`FILTERED_FIELDS`], then `objID1` (= `objID`) and `distance`
/// (arcseconds).
pub const FILTERED_POSITION_FIELDS: [(&str, &str); 28] = {
    let mut out = [("", ""); 28];
    let mut i = 0;
    while i < 26 {
        out[i] = FILTERED_FIELDS[i];
        i += 1;
    }
    out[26] = ("objID1", "string");
    out[27] = ("distance", "float");
    out
};

/// Why a cone could not be generated.
#[derive(Debug, Clone, PartialEq)]
pub enum SkyError {
    /// A coordinate or the radius is not a finite number in range.
    BadCone(String),
    /// The forced size cannot be reached (too many rows, or too small a cone for them).
    TooManyRows(String),
}

impl fmt::Display for SkyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkyError::BadCone(m) | SkyError::TooManyRows(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for SkyError {}

/// One generated CAOM observation: the columns of a `Mast.Caom.Cone` row except `distance`
/// (which depends on the cone) and `_selected_` (always null).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// `obsid`: the generated sky's identifier (see the module docs).
    pub obsid: i64,
    /// `dataproduct_type`: `image`, `spectrum`, `cube` or `timeseries`.
    pub dataproduct_type: &'static str,
    /// `obs_collection`: `HST`, `JWST`, `TESS`, `GALEX`, `SWIFT`, `K2`, `IUE`, `FUSE`.
    pub obs_collection: &'static str,
    /// `instrument_name`, consistent with the collection.
    pub instrument_name: &'static str,
    /// `project`.
    pub project: &'static str,
    /// `filters`.
    pub filters: &'static str,
    /// `wavelength_region`.
    pub wavelength_region: &'static str,
    /// `target_name`.
    pub target_name: String,
    /// `target_classification` (null for about 10%).
    pub target_classification: Option<&'static str>,
    /// `obs_id`, in the collection's naming style.
    pub obs_id: String,
    /// `s_ra`, degrees.
    pub s_ra: f64,
    /// `s_dec`, degrees.
    pub s_dec: f64,
    /// `proposal_id`.
    pub proposal_id: String,
    /// `proposal_pi` (null for about 10%).
    pub proposal_pi: Option<&'static str>,
    /// `calib_level`.
    pub calib_level: i64,
    /// `t_min`, MJD.
    pub t_min: f64,
    /// `t_max`, MJD.
    pub t_max: f64,
    /// `t_exptime`, seconds.
    pub t_exptime: f64,
    /// `em_min`, nm (null for about 10%, together with `em_max`).
    pub em_min: Option<f64>,
    /// `em_max`, nm.
    pub em_max: Option<f64>,
    /// `obs_title` (null for about 10%).
    pub obs_title: Option<String>,
    /// `t_obs_release`, MJD.
    pub t_obs_release: f64,
    /// `s_region`: a `POLYGON ICRS` footprint for images and cubes, a `CIRCLE ICRS` otherwise.
    pub s_region: String,
    /// `jpegURL` (a `mast:` URI; null for about 10%).
    pub jpeg_url: Option<String>,
    /// `dataURL` (a `mast:` URI; null for about 10%).
    pub data_url: Option<String>,
    /// `objID` (`obsid + OBJID_OFFSET`).
    pub obj_id: i64,
}

/// The result of a cone search: the matching obsids with their distances, sorted. Rows are
/// materialised on demand ([`ConeResult::table`]), so a huge result costs 16 bytes per row
/// until a page of it is built.
#[derive(Debug, Clone, PartialEq)]
pub struct ConeResult {
    entries: Vec<(i64, f64)>,
    seed: u64,
}

impl ConeResult {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cone is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The obsids in row order.
    pub fn obsids(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        self.entries.iter().map(|e| e.0)
    }

    /// The distances (arcseconds) in row order.
    pub fn distances(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.entries.iter().map(|e| e.1)
    }

    /// Rows `range` (clamped) as a CAOM table with [`CAOM_FIELDS`]' 28 columns.
    pub fn table(&self, range: Range<usize>) -> Table {
        let end = range.end.min(self.entries.len());
        let start = range.start.min(end);
        let rows = self.entries[start..end].iter().map(|&(obsid, distance)| {
            let obs = observation(obsid, self.seed).expect("cone entries are generated obsids");
            (obs, Some(distance))
        });
        observations_table(rows)
    }
}

/// The observations within `radius` degrees of (`ra`, `dec`) (ICRS degrees), as a CAOM table
/// sorted by distance; `rows_override` forces exactly that many rows (module docs).
///
/// ```
/// let t = mast_emulator::sky::cone(322.49324, 12.16683, 0.2, None, 42)?;
/// assert_eq!(t.num_columns(), 28);
/// assert_eq!(t, mast_emulator::sky::cone(322.49324, 12.16683, 0.2, None, 42)?);
/// let forced = mast_emulator::sky::cone(322.49324, 12.16683, 0.2, Some(1234), 42)?;
/// assert_eq!(forced.num_rows(), 1234);
/// # Ok::<(), mast_emulator::sky::SkyError>(())
/// ```
pub fn cone(ra: f64, dec: f64, radius: f64, rows_override: Option<usize>, seed: u64) -> Result<Table, SkyError> {
    let result = search(ra, dec, radius, rows_override, seed)?;
    Ok(result.table(0..result.len()))
}

/// The cone search behind [`cone`], without building the rows.
pub fn search(ra: f64, dec: f64, radius: f64, rows_override: Option<usize>, seed: u64) -> Result<ConeResult, SkyError> {
    if !(ra.is_finite() && (0.0..=360.0).contains(&ra)) {
        return Err(SkyError::BadCone(format!("ra must be a number of degrees in [0, 360], got {ra}")));
    }
    if !(dec.is_finite() && (-90.0..=90.0).contains(&dec)) {
        return Err(SkyError::BadCone(format!("dec must be a number of degrees in [-90, 90], got {dec}")));
    }
    if !(radius.is_finite() && radius > 0.0 && radius <= 180.0) {
        return Err(SkyError::BadCone(format!("radius must be a number of degrees in (0, 180], got {radius}")));
    }
    if let Some(n) = rows_override
        && n > MAX_FORCED_ROWS
    {
        return Err(SkyError::TooManyRows(format!("at most {MAX_FORCED_ROWS} rows can be forced, {n} asked")));
    }
    let probe = Probe::new(ra, dec, radius);
    let cells: Vec<CellGeo> = cone_cells(ra, dec, radius).into_iter().map(geometry).collect();
    let mut entries: Vec<(i64, f64)> = Vec::new();
    let cap = rows_override.unwrap_or(DEFAULT_MAX_ROWS);
    let mut counts = Vec::with_capacity(cells.len());
    for g in &cells {
        let n = natural_count(g.cell, seed);
        counts.push(n);
        for k in 0..u64::from(n) {
            if let Some(d) = probe.distance_if_inside(position_in(g, k, seed)) {
                entries.push((obsid_of(g.cell, k), d));
            }
            if rows_override.is_none() && entries.len() > 2 * cap.max(1) {
                keep_nearest(&mut entries, cap);
            }
        }
    }
    if let Some(n) = rows_override
        && entries.len() < n
    {
        // Each level adds about (cone area / cell area) observations: refuse at once what
        // 2^24 levels cannot reach.
        let cone_area =
            2.0 * std::f64::consts::PI * (1.0 - radius.to_radians().cos()) * (180.0 / std::f64::consts::PI).powi(2);
        let per_level = cone_area / (BAND_DEG * BAND_DEG);
        if (n - entries.len()) as f64 > 0.9 * per_level * MAX_PER_CELL as f64 {
            return Err(SkyError::TooManyRows(format!(
                "a cone of radius {radius} degrees holds at most about {} observations, {n} asked: use a larger radius",
                (per_level * MAX_PER_CELL as f64) as u64
            )));
        }
        let mut level: u32 = 0;
        while entries.len() < n {
            if u64::from(level) >= MAX_PER_CELL {
                return Err(SkyError::TooManyRows(format!(
                    "the cone holds at most {} observations, {n} asked: use a larger radius",
                    entries.len()
                )));
            }
            for (g, &natural) in cells.iter().zip(&counts) {
                if natural <= level
                    && let Some(d) = probe.distance_if_inside(position_in(g, u64::from(level), seed))
                {
                    entries.push((obsid_of(g.cell, u64::from(level)), d));
                }
            }
            level += 1;
        }
    }
    keep_nearest(&mut entries, cap);
    entries.sort_unstable_by(cmp_entry);
    Ok(ConeResult { entries, seed })
}

/// The observation with this obsid, or `None` if the obsid is not from the generated sky.
///
/// ```
/// use mast_emulator::sky;
/// let t = sky::cone(10.68, 41.27, 0.2, None, 42)?;
/// let obsid: i64 = t.column("obsid").unwrap().get_i64(0).unwrap();
/// let obs = sky::observation(obsid, 42).unwrap();
/// assert_eq!(t.column("s_ra").unwrap().get_f64(0), Some(obs.s_ra));
/// assert!(sky::observation(2003585980, 42).is_none()); // a recorded, real obsid
/// # Ok::<(), sky::SkyError>(())
/// ```
pub fn observation(obsid: i64, seed: u64) -> Option<Observation> {
    let (cell, k) = split_obsid(obsid)?;
    let (s_ra, s_dec) = position(cell, k, seed);
    Some(generate(obsid, s_ra, s_dec, seed))
}

/// The `target_name` of TESS full-frame-image observations.
pub const TESS_FFI: &str = "TESS FFI";
/// The `target_name` of TICA (TESS Image CAlibrator) full-frame-image observations; their
/// `obs_collection` is `TESS` too.
pub const TICA_FFI: &str = "TICA FFI";
/// The share of TESS observations (about 11% of the sky) that are full-frame images, in
/// percent: about 0.5% of all observations, so a 0.2° cone holds one FFI about every other
/// time.
pub const FFI_PERCENT: u64 = 5;
/// Where [`find_ffi`] and [`find_tica_ffi`] start looking: the centre of astroquery's
/// documented cone (`322.49324 12.16683`).
pub const FFI_SEARCH_CENTER: (f64, f64) = (322.49324, 12.16683);

/// The obsid of the `TESS FFI` observation nearest to [`FFI_SEARCH_CENTER`] (ties by obsid).
/// A cone around the observation's `s_ra`/`s_dec` contains it, so clients can test that
/// product lists drop FFIs.
///
/// ```
/// use mast_emulator::sky;
/// let obsid = sky::find_ffi(42);
/// let obs = sky::observation(obsid, 42).unwrap();
/// assert_eq!((obs.obs_collection, obs.target_name.as_str(), obs.dataproduct_type), ("TESS", "TESS FFI", "image"));
/// let cone = sky::search(obs.s_ra, obs.s_dec, 0.2, None, 42)?;
/// assert_eq!(cone.obsids().next(), Some(obsid)); // at distance 0
/// # Ok::<(), sky::SkyError>(())
/// ```
pub fn find_ffi(seed: u64) -> i64 {
    find_nearest(FFI_SEARCH_CENTER.0, FFI_SEARCH_CENTER.1, seed, |o| o.target_name == TESS_FFI)
        .expect("the sky holds TESS FFIs")
}

/// The obsid of the `TICA FFI` observation nearest to [`FFI_SEARCH_CENTER`], as [`find_ffi`].
pub fn find_tica_ffi(seed: u64) -> i64 {
    find_nearest(FFI_SEARCH_CENTER.0, FFI_SEARCH_CENTER.1, seed, |o| o.target_name == TICA_FFI)
        .expect("the sky holds TICA FFIs")
}

/// The obsid of the (natural) observation nearest to (`ra`, `dec`) that satisfies `pred`,
/// searching cones of growing radius (0.2° doubling up to 51.2°).
pub fn find_nearest(ra: f64, dec: f64, seed: u64, pred: impl Fn(&Observation) -> bool) -> Option<i64> {
    let mut radius = 0.2;
    while radius <= 51.2 {
        let cone = search(ra, dec, radius, None, seed).ok()?;
        let found = cone.obsids().find(|&id| observation(id, seed).is_some_and(|o| pred(&o)));
        if found.is_some() {
            return found;
        }
        radius *= 2.0;
    }
    None
}

/// A CAOM table (the 28 [`CAOM_FIELDS`]) from observations and their distances in arcseconds
/// (`None`: a null `distance`).
pub fn observations_table(rows: impl IntoIterator<Item = (Observation, Option<f64>)>) -> Table {
    layout_table(&CAOM_FIELDS, rows)
}

/// A table of observations with the columns of `fields` (names from [`CAOM_FIELDS`],
/// [`FILTERED_FIELDS`] or [`FILTERED_POSITION_FIELDS`]), and their distances in arcseconds.
/// `obsid`, `objID` and `objID1` are integer columns here ([`portal_json`] declares them
/// `string`, as MAST does).
///
/// # Panics
///
/// If a name is not a CAOM column (see [`caom_column_names`]).
pub fn layout_table(fields: &[(&str, &str)], rows: impl IntoIterator<Item = (Observation, Option<f64>)>) -> Table {
    let cols: Vec<Col> = fields
        .iter()
        .map(|(name, _)| Col::from_name(name).unwrap_or_else(|| panic!("{name} is not a CAOM column")))
        .collect();
    let mut columns: Vec<Column> =
        fields.iter().zip(&cols).map(|(&(name, _), col)| Column::new(name, col.data_type())).collect();
    for (o, distance) in rows {
        for (c, col) in columns.iter_mut().zip(&cols) {
            c.push(col.get(&o, distance));
        }
    }
    Table::new(columns).expect("CAOM columns have equal lengths and unique names")
}

/// Every column name a CAOM filter may name (compared case-insensitively): the columns of
/// the generated observations, `objID1`, `distance`, `_selected_`, and every other key of the
/// recorded columns config (`columnsconfig.json`). See [`Col`] for their values.
pub fn caom_column_names() -> impl Iterator<Item = &'static str> {
    COL_NAMES.iter().map(|(n, _)| *n).chain(CONFIG_KEYS.iter().map(String::as_str)).filter({
        let mut seen = std::collections::HashSet::new();
        move |n| seen.insert(n.to_ascii_lowercase())
    })
}

/// A CAOM column of the generated sky, for tables and for filters.
///
/// Besides the [`Observation`] fields, the columns config (`columnsconfig.json`) lists
/// columns that generated rows do not carry; filters on them are accepted with these values:
/// `intentType` is `"science"`, `dataRights` `"PUBLIC"` and `mtFlag` `false` for every
/// observation, `objID1` equals `objID`, `distance` is the cone distance (null without a
/// position), and every other config column (`srcDen`, `s_fov`, `obs_creator_name`, ...) is
/// null, so that a filter on it with values matches no row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// `dataproduct_type`.
    DataproductType,
    /// `obs_collection`.
    ObsCollection,
    /// `instrument_name`.
    InstrumentName,
    /// `project`.
    Project,
    /// `filters`.
    Filters,
    /// `wavelength_region`.
    WavelengthRegion,
    /// `target_name`.
    TargetName,
    /// `target_classification`.
    TargetClassification,
    /// `obs_id`.
    ObsId,
    /// `s_ra`.
    SRa,
    /// `s_dec`.
    SDec,
    /// `proposal_id`.
    ProposalId,
    /// `proposal_pi`.
    ProposalPi,
    /// `calib_level`.
    CalibLevel,
    /// `t_min`.
    TMin,
    /// `t_max`.
    TMax,
    /// `t_exptime`.
    TExptime,
    /// `em_min`.
    EmMin,
    /// `em_max`.
    EmMax,
    /// `obs_title`.
    ObsTitle,
    /// `t_obs_release`.
    TObsRelease,
    /// `s_region`.
    SRegion,
    /// `jpegURL`.
    JpegUrl,
    /// `dataURL`.
    DataUrl,
    /// `obsid`.
    Obsid,
    /// `objID`.
    ObjId,
    /// `objID1` (= `objID`).
    ObjId1,
    /// `distance` (arcseconds from the cone's centre).
    Distance,
    /// `_selected_` (always null).
    Selected,
    /// `intentType` (`"science"`).
    IntentType,
    /// `dataRights` (`"PUBLIC"`).
    DataRights,
    /// `mtFlag` (`false`).
    MtFlag,
    /// Any other columns-config column (always null).
    Null,
}

const COL_NAMES: [(&str, Col); 32] = [
    ("dataproduct_type", Col::DataproductType),
    ("obs_collection", Col::ObsCollection),
    ("instrument_name", Col::InstrumentName),
    ("project", Col::Project),
    ("filters", Col::Filters),
    ("wavelength_region", Col::WavelengthRegion),
    ("target_name", Col::TargetName),
    ("target_classification", Col::TargetClassification),
    ("obs_id", Col::ObsId),
    ("s_ra", Col::SRa),
    ("s_dec", Col::SDec),
    ("proposal_id", Col::ProposalId),
    ("proposal_pi", Col::ProposalPi),
    ("calib_level", Col::CalibLevel),
    ("t_min", Col::TMin),
    ("t_max", Col::TMax),
    ("t_exptime", Col::TExptime),
    ("em_min", Col::EmMin),
    ("em_max", Col::EmMax),
    ("obs_title", Col::ObsTitle),
    ("t_obs_release", Col::TObsRelease),
    ("s_region", Col::SRegion),
    ("jpegURL", Col::JpegUrl),
    ("dataURL", Col::DataUrl),
    ("obsid", Col::Obsid),
    ("objID", Col::ObjId),
    ("objID1", Col::ObjId1),
    ("distance", Col::Distance),
    ("_selected_", Col::Selected),
    ("intentType", Col::IntentType),
    ("dataRights", Col::DataRights),
    ("mtFlag", Col::MtFlag),
];

/// The keys of the recorded CAOM columns config.
static CONFIG_KEYS: LazyLock<Vec<String>> = LazyLock::new(|| {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(crate::fixtures::COLUMNS_CONFIG.bytes)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
});

/// The `separator` the recorded CAOM columns config gives a column (`;` for
/// `obs_collection`, `project`, `filters`, `wavelength_region`, `target_classification`).
pub fn config_separator(name: &str) -> Option<&'static str> {
    static SEPARATORS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(crate::fixtures::COLUMNS_CONFIG.bytes)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.get("separator")?.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    });
    let lower = name.to_ascii_lowercase();
    SEPARATORS.iter().find(|(k, _)| *k == lower).map(|(_, s)| s.as_str())
}

impl Col {
    /// The column named `name`, compared case-insensitively ([`caom_column_names`]).
    ///
    /// ```
    /// use mast_emulator::sky::Col;
    /// assert_eq!(Col::from_name("OBS_COLLECTION"), Some(Col::ObsCollection));
    /// assert_eq!(Col::from_name("srcDen"), Some(Col::Null));
    /// assert_eq!(Col::from_name("no_such_column"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Col> {
        if let Some((_, c)) = COL_NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Some(*c);
        }
        CONFIG_KEYS.iter().any(|k| k.eq_ignore_ascii_case(name)).then_some(Col::Null)
    }

    /// The cell type in tables built here.
    pub fn data_type(self) -> DataType {
        match self {
            Col::SRa
            | Col::SDec
            | Col::TMin
            | Col::TMax
            | Col::TExptime
            | Col::EmMin
            | Col::EmMax
            | Col::TObsRelease
            | Col::Distance => DataType::Float64,
            Col::CalibLevel | Col::Obsid | Col::ObjId | Col::ObjId1 => DataType::Int64,
            Col::Selected | Col::MtFlag => DataType::Bool,
            _ => DataType::String,
        }
    }

    /// This column's cell for an observation at `distance` arcseconds (`None`: no cone).
    pub fn get(self, o: &Observation, distance: Option<f64>) -> Value<'_> {
        match self {
            Col::DataproductType => Value::Str(o.dataproduct_type),
            Col::ObsCollection => Value::Str(o.obs_collection),
            Col::InstrumentName => Value::Str(o.instrument_name),
            Col::Project => Value::Str(o.project),
            Col::Filters => Value::Str(o.filters),
            Col::WavelengthRegion => Value::Str(o.wavelength_region),
            Col::TargetName => Value::Str(&o.target_name),
            Col::TargetClassification => opt_str(o.target_classification),
            Col::ObsId => Value::Str(&o.obs_id),
            Col::SRa => Value::Float(o.s_ra),
            Col::SDec => Value::Float(o.s_dec),
            Col::ProposalId => Value::Str(&o.proposal_id),
            Col::ProposalPi => opt_str(o.proposal_pi),
            Col::CalibLevel => Value::Int(o.calib_level),
            Col::TMin => Value::Float(o.t_min),
            Col::TMax => Value::Float(o.t_max),
            Col::TExptime => Value::Float(o.t_exptime),
            Col::EmMin => opt_f64(o.em_min),
            Col::EmMax => opt_f64(o.em_max),
            Col::ObsTitle => opt_str(o.obs_title.as_deref()),
            Col::TObsRelease => Value::Float(o.t_obs_release),
            Col::SRegion => Value::Str(&o.s_region),
            Col::JpegUrl => opt_str(o.jpeg_url.as_deref()),
            Col::DataUrl => opt_str(o.data_url.as_deref()),
            Col::Obsid => Value::Int(o.obsid),
            Col::ObjId | Col::ObjId1 => Value::Int(o.obj_id),
            Col::Distance => opt_f64(distance),
            Col::IntentType => Value::Str("science"),
            Col::DataRights => Value::Str("PUBLIC"),
            Col::MtFlag => Value::Bool(false),
            Col::Selected | Col::Null => Value::Masked,
        }
    }
}

/// Encodes a CAOM table built here as a Portal `format=json` envelope, exactly as
/// [`Table::to_portal_json`] does, except that `obsid`, `objID` and `objID1` are declared
/// `string` while their cells stay JSON integers, as MAST sends them.
pub fn portal_json(table: &Table, paging: Option<(u64, u64, u64, u64)>) -> String {
    portal_json_with_string_ids(table, paging, &["obsid", "objID", "objID1"])
}

/// [`Table::to_portal_json`], with the integer columns named in `ids` declared `string`
/// (their cells stay JSON integers), as MAST declares its identifier columns.
pub fn portal_json_with_string_ids(table: &Table, paging: Option<(u64, u64, u64, u64)>, ids: &[&str]) -> String {
    let mut out = table.to_portal_json(paging);
    let header_end = out.find("\"data\": [").unwrap_or(out.len());
    let mut header = out[..header_end].to_owned();
    for name in ids {
        let from = format!("{{\"name\": \"{name}\", \"type\": \"int\"}}");
        let to = format!("{{\"name\": \"{name}\", \"type\": \"string\"}}");
        header = header.replacen(&from, &to, 1);
    }
    out.replace_range(..header_end, &header);
    out
}

fn opt_str(s: Option<&str>) -> Value<'_> {
    s.map_or(Value::Masked, Value::Str)
}

fn opt_f64(x: Option<f64>) -> Value<'static> {
    x.map_or(Value::Masked, Value::Float)
}

// ---- cells --------------------------------------------------------------------------------

struct Grid {
    /// First cell id of each band; `offsets[BANDS]` is the number of cells.
    offsets: Vec<u64>,
}

static GRID: LazyLock<Grid> = LazyLock::new(|| {
    let mut offsets = Vec::with_capacity(BANDS + 1);
    let mut total = 0u64;
    for b in 0..BANDS {
        offsets.push(total);
        total += u64::from(cells_in_band(b));
    }
    offsets.push(total);
    debug_assert!(total < 1 << 22);
    Grid { offsets }
});

fn cells_in_band(band: usize) -> u32 {
    let center = -90.0 + (band as f64 + 0.5) * BAND_DEG;
    ((3600.0 * center.to_radians().cos()).floor() as u32).max(1)
}

fn band_of_cell(cell: u64) -> Option<usize> {
    let offsets = &GRID.offsets;
    if cell >= offsets[BANDS] {
        return None;
    }
    // The last band whose first cell is <= cell.
    Some(offsets.partition_point(|&o| o <= cell) - 1)
}

fn obsid_of(cell: u64, k: u64) -> i64 {
    OBSID_BASE + ((cell << INDEX_BITS) | k) as i64
}

fn split_obsid(obsid: i64) -> Option<(u64, u64)> {
    let rel = u64::try_from(obsid.checked_sub(OBSID_BASE)?).ok()?;
    let cell = rel >> INDEX_BITS;
    band_of_cell(cell)?;
    Some((cell, rel & (MAX_PER_CELL - 1)))
}

/// The natural number of observations of a cell.
fn natural_count(cell: u64, seed: u64) -> u32 {
    let band = band_of_cell(cell).expect("valid cell");
    let idx = cell - GRID.offsets[band];
    let width = 360.0 / f64::from(cells_in_band(band));
    let region = ((band / 10) as u64) << 16 | ((idx as f64 * width).floor() as u64);
    let mean = 2 + hash3(seed, 0x5245_4749_4f4e, region) % 11;
    (hash3(seed, 0x0043_4f55_4e54, cell) % (2 * mean + 1)) as u32
}

/// Where a cell is, for placing its observations.
struct CellGeo {
    cell: u64,
    z_lo: f64,
    z_hi: f64,
    ra_lo: f64,
    width: f64,
}

fn geometry(cell: u64) -> CellGeo {
    let band = band_of_cell(cell).expect("valid cell");
    let n = cells_in_band(band);
    let idx = cell - GRID.offsets[band];
    let dec_lo = -90.0 + band as f64 * BAND_DEG;
    let width = 360.0 / f64::from(n);
    CellGeo {
        cell,
        z_lo: dec_lo.to_radians().sin(),
        z_hi: (dec_lo + BAND_DEG).to_radians().sin(),
        ra_lo: idx as f64 * width,
        width,
    }
}

/// Position (ra, dec) of observation `k` of `cell`, rounded to 1e-10 degree.
fn position(cell: u64, k: u64, seed: u64) -> (f64, f64) {
    position_in(&geometry(cell), k, seed)
}

fn position_in(g: &CellGeo, k: u64, seed: u64) -> (f64, f64) {
    let h = hash3(seed, g.cell, k);
    let u1 = unit(h);
    let u2 = unit(mix(h ^ 0xA5A5_A5A5_A5A5_A5A5));
    let dec = (g.z_lo + u1 * (g.z_hi - g.z_lo)).clamp(-1.0, 1.0).asin().to_degrees();
    let mut ra = g.ra_lo + u2 * g.width;
    if ra >= 360.0 {
        ra -= 360.0;
    }
    (round_to(ra, 1e10), round_to(dec, 1e10))
}

fn round_to(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

/// Cells that may intersect the cone (a superset: the exact test is per observation).
fn cone_cells(ra: f64, dec: f64, radius: f64) -> Vec<u64> {
    let band_lo = (((dec - radius + 90.0) / BAND_DEG).floor().max(0.0) as usize).min(BANDS - 1);
    let band_hi = (((dec + radius + 90.0) / BAND_DEG).floor().max(0.0) as usize).min(BANDS - 1);
    let half_width = if dec.abs() + radius >= 89.999 {
        180.0
    } else {
        (radius.to_radians().sin() / dec.to_radians().cos()).clamp(-1.0, 1.0).asin().to_degrees()
    };
    let mut cells = Vec::new();
    for band in band_lo..=band_hi {
        let n = u64::from(cells_in_band(band));
        let first = GRID.offsets[band];
        let width = 360.0 / n as f64;
        let lo = ((ra - half_width) / width).floor() as i64 - 1;
        let hi = ((ra + half_width) / width).floor() as i64 + 1;
        if half_width >= 180.0 || (hi - lo + 1) as u64 >= n {
            cells.extend(first..first + n);
            continue;
        }
        for i in lo..=hi {
            cells.push(first + i.rem_euclid(n as i64) as u64);
        }
    }
    cells
}

/// Exact in-cone test and distance (arcseconds) with unit vectors.
struct Probe {
    center: [f64; 3],
    max_chord2: f64,
}

impl Probe {
    fn new(ra: f64, dec: f64, radius: f64) -> Self {
        let chord = 2.0 * (radius.to_radians() / 2.0).sin();
        Probe { center: unit_vector(ra, dec), max_chord2: if radius >= 180.0 { 4.0 } else { chord * chord } }
    }

    fn distance_if_inside(&self, (ra, dec): (f64, f64)) -> Option<f64> {
        let v = unit_vector(ra, dec);
        let d2 = (v[0] - self.center[0]).powi(2) + (v[1] - self.center[1]).powi(2) + (v[2] - self.center[2]).powi(2);
        (d2 <= self.max_chord2).then(|| (2.0 * (d2.sqrt() / 2.0).min(1.0).asin()).to_degrees() * 3600.0)
    }
}

fn unit_vector(ra: f64, dec: f64) -> [f64; 3] {
    let (sa, ca) = ra.to_radians().sin_cos();
    let (sd, cd) = dec.to_radians().sin_cos();
    [cd * ca, cd * sa, sd]
}

fn cmp_entry(a: &(i64, f64), b: &(i64, f64)) -> Ordering {
    a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))
}

fn keep_nearest(entries: &mut Vec<(i64, f64)>, n: usize) {
    if entries.len() > n {
        if n > 0 {
            entries.select_nth_unstable_by(n - 1, cmp_entry);
        }
        entries.truncate(n);
    }
}

// ---- hashing ------------------------------------------------------------------------------

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash3(seed: u64, a: u64, b: u64) -> u64 {
    mix(mix(mix(seed ^ 0x6D61_7374_2D73_6B79).wrapping_add(a)).wrapping_add(b))
}

fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// SplitMix64: the per-observation generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    fn f64(&mut self) -> f64 {
        unit(self.next())
    }
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
}

// ---- observation contents -----------------------------------------------------------------

struct Instrument {
    name: &'static str,
    product: &'static str,
    /// (filters, wavelength_region, em_min nm, em_max nm)
    filters: &'static [(&'static str, &'static str, f64, f64)],
    exptime: (f64, f64),
    /// Half size of the footprint in degrees.
    fov: f64,
    /// obs_id code used by some collections (HST instrument letter, JWST instrument name).
    code: &'static str,
}

struct Mission {
    collection: &'static str,
    projects: &'static [&'static str],
    weight: u32,
    mjd: (f64, f64),
    release_days: f64,
    calib: &'static [i64],
    instruments: &'static [Instrument],
}

const HST_UVIS: &[(&str, &str, f64, f64)] = &[
    ("F275W", "UV", 240.0, 310.0),
    ("F336W", "UV", 310.0, 360.0),
    ("F606W", "OPTICAL", 470.0, 720.0),
    ("F814W", "OPTICAL", 700.0, 960.0),
];

const MISSIONS: &[Mission] = &[
    Mission {
        collection: "HST",
        projects: &["HST"],
        weight: 34,
        mjd: (48_000.0, 60_800.0),
        release_days: 365.0,
        calib: &[1, 2, 3, 3, 3],
        instruments: &[
            Instrument {
                name: "WFC3/UVIS",
                product: "image",
                filters: HST_UVIS,
                exptime: (30.0, 2800.0),
                fov: 0.0225,
                code: "i",
            },
            Instrument {
                name: "WFC3/IR",
                product: "image",
                filters: &[("F110W", "INFRARED", 900.0, 1400.0), ("F160W", "INFRARED", 1400.0, 1700.0)],
                exptime: (100.0, 2700.0),
                fov: 0.0190,
                code: "i",
            },
            Instrument {
                name: "ACS/WFC",
                product: "image",
                filters: &[
                    ("F435W", "OPTICAL", 360.0, 490.0),
                    ("F606W", "OPTICAL", 470.0, 720.0),
                    ("F814W", "OPTICAL", 700.0, 960.0),
                ],
                exptime: (50.0, 2500.0),
                fov: 0.0283,
                code: "j",
            },
            Instrument {
                name: "STIS/CCD",
                product: "spectrum",
                filters: &[("G430L", "OPTICAL", 290.0, 570.0), ("G750L", "OPTICAL", 524.0, 1027.0)],
                exptime: (60.0, 3000.0),
                fov: 0.0007,
                code: "o",
            },
            Instrument {
                name: "COS/FUV",
                product: "spectrum",
                filters: &[("G130M", "UV", 90.0, 145.0), ("G160M", "UV", 140.0, 180.0)],
                exptime: (300.0, 5000.0),
                fov: 0.0003,
                code: "l",
            },
            Instrument {
                name: "WFPC2/WFC",
                product: "image",
                filters: &[("F555W", "OPTICAL", 460.0, 620.0), ("F814W", "OPTICAL", 700.0, 960.0)],
                exptime: (40.0, 2000.0),
                fov: 0.0222,
                code: "u",
            },
        ],
    },
    Mission {
        collection: "JWST",
        projects: &["JWST"],
        weight: 12,
        mjd: (59_750.0, 60_900.0),
        release_days: 365.0,
        calib: &[1, 2, 3],
        instruments: &[
            Instrument {
                name: "NIRCAM/IMAGE",
                product: "image",
                filters: &[("CLEAR;F200W", "INFRARED", 1755.0, 2226.0), ("F444W", "INFRARED", 3880.0, 4986.0)],
                exptime: (200.0, 3000.0),
                fov: 0.0180,
                code: "nircam",
            },
            Instrument {
                name: "MIRI/IMAGE",
                product: "image",
                filters: &[("F770W", "INFRARED", 6580.0, 8800.0), ("F1500W", "INFRARED", 13_500.0, 16_500.0)],
                exptime: (100.0, 2000.0),
                fov: 0.0104,
                code: "miri",
            },
            Instrument {
                name: "NIRSPEC/IFU",
                product: "cube",
                filters: &[("G235H;F170LP", "INFRARED", 1660.0, 3170.0)],
                exptime: (500.0, 4000.0),
                fov: 0.0004,
                code: "nirspec",
            },
            Instrument {
                name: "NIRISS/SOSS",
                product: "timeseries",
                filters: &[("CLEAR;GR700XD", "INFRARED", 600.0, 2800.0)],
                exptime: (10_000.0, 40_000.0),
                fov: 0.0003,
                code: "niriss",
            },
        ],
    },
    Mission {
        collection: "TESS",
        projects: &["TESS"],
        weight: 12,
        mjd: (58_325.0, 60_900.0),
        release_days: 0.0,
        calib: &[3],
        instruments: &[Instrument {
            name: "Photometer",
            product: "timeseries",
            filters: &[("TESS", "OPTICAL", 600.0, 1000.0)],
            exptime: (1_700_000.0, 2_300_000.0),
            fov: 0.0058,
            code: "",
        }],
    },
    Mission {
        collection: "GALEX",
        projects: &["AIS", "MIS", "DIS", "GII"],
        weight: 10,
        mjd: (52_730.0, 55_950.0),
        release_days: 0.0,
        calib: &[2],
        instruments: &[Instrument {
            name: "GALEX",
            product: "image",
            filters: &[("NUV", "UV", 169.3, 300.8), ("FUV", "UV", 134.4, 178.6)],
            exptime: (100.0, 30_000.0),
            fov: 0.6,
            code: "",
        }],
    },
    Mission {
        collection: "SWIFT",
        projects: &["SWIFT"],
        weight: 10,
        mjd: (53_400.0, 60_900.0),
        release_days: 7.0,
        calib: &[1, 2],
        instruments: &[
            Instrument {
                name: "UVOT",
                product: "image",
                filters: &[("UVW1", "UV", 226.0, 330.0), ("UVM2", "UV", 199.0, 254.0), ("V", "OPTICAL", 510.0, 600.0)],
                exptime: (50.0, 2000.0),
                fov: 0.1417,
                code: "",
            },
            Instrument {
                name: "XRT",
                product: "image",
                filters: &[("XRT", "X-RAY", 0.04, 6.2)],
                exptime: (500.0, 20_000.0),
                fov: 0.1950,
                code: "",
            },
        ],
    },
    Mission {
        collection: "K2",
        projects: &["K2"],
        weight: 8,
        mjd: (56_725.0, 58_420.0),
        release_days: 0.0,
        calib: &[2, 3],
        instruments: &[Instrument {
            name: "Kepler",
            product: "timeseries",
            filters: &[("KEPLER", "OPTICAL", 420.0, 900.0)],
            exptime: (5_000_000.0, 7_000_000.0),
            fov: 0.0011,
            code: "",
        }],
    },
    Mission {
        collection: "IUE",
        projects: &["IUE"],
        weight: 8,
        mjd: (43_530.0, 50_080.0),
        release_days: 180.0,
        calib: &[2],
        instruments: &[
            Instrument {
                name: "SWP",
                product: "spectrum",
                filters: &[("LOW DISP", "UV", 115.0, 198.0), ("HIGH DISP", "UV", 115.0, 198.0)],
                exptime: (60.0, 20_000.0),
                fov: 0.0028,
                code: "swp",
            },
            Instrument {
                name: "LWP",
                product: "spectrum",
                filters: &[("LOW DISP", "UV", 185.0, 335.0), ("HIGH DISP", "UV", 185.0, 335.0)],
                exptime: (60.0, 15_000.0),
                fov: 0.0028,
                code: "lwp",
            },
        ],
    },
    Mission {
        collection: "FUSE",
        projects: &["FUSE"],
        weight: 6,
        mjd: (51_360.0, 54_390.0),
        release_days: 365.0,
        calib: &[2],
        instruments: &[Instrument {
            name: "FUSE",
            product: "spectrum",
            filters: &[("LWRS", "UV", 90.5, 118.7), ("MDRS", "UV", 90.5, 118.7)],
            exptime: (500.0, 40_000.0),
            fov: 0.0083,
            code: "",
        }],
    },
];

const CLASSIFICATIONS: &[&str] = &[
    "STAR",
    "STAR;BINARY",
    "STAR;VARIABLE",
    "GALAXY;SPIRAL",
    "GALAXY;ELLIPTICAL",
    "ACTIVE GALAXIES;GALAXIES;STARS",
    "NEBULA;PLANETARY NEBULA",
    "STAR;EXTRASOLAR PLANET",
    "CLUSTER OF STARS;GLOBULAR CLUSTER",
    "ISM;MOLECULAR CLOUD",
];

const PIS: &[&str] = &[
    "Abbott, Mary",
    "Barros, Luis",
    "Chen, Wei",
    "Dubois, Claire",
    "Eze, Chidi",
    "Fischer, Anna",
    "Gupta, Ravi",
    "Hansen, Erik",
    "Ito, Yuki",
    "Jones, Peter",
    "Kowalski, Ewa",
    "Larsen, Soren",
    "Moreau, Julien",
    "Nakamura, Ken",
    "Okafor, Ada",
    "Petrov, Ivan",
];

const TITLE_A: &[&str] =
    &["A Deep", "A Wide-Field", "An Ultraviolet", "A Near-Infrared", "A Spectroscopic", "A Time-Domain"];
const TITLE_B: &[&str] = &["Survey", "Census", "Study", "Monitoring Campaign", "Snapshot Program"];
const TITLE_C: &[&str] = &[
    "of Nearby Star-Forming Galaxies",
    "of Hot Subdwarfs",
    "of Transiting Exoplanet Hosts",
    "of Globular Cluster Cores",
    "of Active Galactic Nuclei",
    "of Young Stellar Objects",
    "of White Dwarf Binaries",
];

fn pick_mission(rng: &mut Rng) -> &'static Mission {
    let total: u32 = MISSIONS.iter().map(|m| m.weight).sum();
    let mut x = rng.below(u64::from(total)) as u32;
    for m in MISSIONS {
        if x < m.weight {
            return m;
        }
        x -= m.weight;
    }
    &MISSIONS[0]
}

fn generate(obsid: i64, s_ra: f64, s_dec: f64, seed: u64) -> Observation {
    let mut rng = Rng(hash3(seed, 0x4f42_5345_5256, obsid as u64));
    let m = pick_mission(&mut rng);
    let inst = rng.pick(m.instruments);
    let &(filters, region, em_lo, em_hi) = rng.pick(inst.filters);
    let project = *rng.pick(m.projects);
    let n1 = rng.below(10_000);
    let n2 = rng.below(1_000_000_000);
    let proposal = 1000 + rng.below(17_000);
    let t_min = round_to(rng.range(m.mjd.0, m.mjd.1), 1e5);
    let t_exptime = round_to(rng.range(inst.exptime.0, inst.exptime.1), 1e3);
    let t_max = round_to(t_min + t_exptime / 86_400.0 * rng.range(1.0, 1.15), 1e5);
    let t_obs_release = round_to(t_max + m.release_days + rng.range(0.0, 2.0), 1e5);
    let calib_level = *rng.pick(m.calib);

    let (obs_id, target_name, proposal_id) = match m.collection {
        "HST" => (
            format!("{}{}", inst.code, base36(n2, 8)),
            ["NGC-", "HD-", "M-", "ANY-"][(n1 % 4) as usize].to_owned() + &(n1 % 7000).to_string(),
            proposal.to_string(),
        ),
        "JWST" => (
            format!(
                "jw{:05}-o{:03}_t{:03}_{}_{}",
                proposal % 10_000,
                n1 % 100,
                n2 % 1000,
                inst.code,
                filters.to_ascii_lowercase().replace(';', "-")
            ),
            format!("NGC-{}", n1 % 7000),
            (proposal % 10_000).to_string(),
        ),
        "TESS" => {
            let tic = n2 % 400_000_000;
            (
                format!("tess2019{:09}-s{:04}-{:016}-0{:03}-s", n2 % 1_000_000_000, 1 + n1 % 90, tic, 120 + n1 % 80),
                tic.to_string(),
                format!("G0{:04}", n1 % 6000),
            )
        }
        "GALEX" => (format!("{:019}", n2 * 9_876_543_211), format!("{project}_{n1:05}"), format!("{}", n1 % 1000)),
        "SWIFT" => (format!("{:011}", n2 * 10 + 1), format!("SWIFT J{:04}.{}", n1, n2 % 10), format!("{:05}", n1)),
        "K2" => {
            let epic = 200_000_000 + n2 % 50_000_000;
            (format!("ktwo{epic}-c{:02}", 1 + n1 % 19), format!("EPIC {epic}"), format!("GO{:04}", n1 % 20_000))
        }
        "IUE" => (
            format!("{}{:05}", inst.code, n2 % 100_000),
            format!("HD {}", n1 * 31 % 300_000),
            format!("{:03}", n1 % 1000),
        ),
        _ => (
            format!("{}{:07}", ['a', 'b', 'c', 'd', 'p'][(n1 % 5) as usize], n2 % 10_000_000),
            format!("HD {}", n1 * 17 % 300_000),
            format!("{}", n1 % 1000),
        ),
    };

    let target_classification = (!rng.chance(0.1)).then(|| *rng.pick(CLASSIFICATIONS));
    let proposal_pi = (!rng.chance(0.1)).then(|| *rng.pick(PIS));
    let (em_min, em_max) = if rng.chance(0.1) { (None, None) } else { (Some(em_lo), Some(em_hi)) };
    let obs_title =
        (!rng.chance(0.1)).then(|| format!("{} {} {}", rng.pick(TITLE_A), rng.pick(TITLE_B), rng.pick(TITLE_C)));
    let jpeg_url = (!rng.chance(0.1)).then(|| format!("mast:{}/product/{}_preview.jpg", m.collection, obs_id));
    let data_url = (!rng.chance(0.1))
        .then(|| format!("mast:{}/product/{}_{}.fits", m.collection, obs_id, product_suffix(inst.product)));

    let s_region = if matches!(inst.product, "image" | "cube") {
        let rot = rng.range(0.0, std::f64::consts::FRAC_PI_2);
        polygon(s_ra, s_dec, inst.fov, rot)
    } else {
        let mut s = String::with_capacity(48);
        let _ = write!(s, "CIRCLE ICRS {s_ra:.8} {s_dec:.8} {:.8}", inst.fov);
        s
    };

    let mut obs = Observation {
        obsid,
        dataproduct_type: inst.product,
        obs_collection: m.collection,
        instrument_name: inst.name,
        project,
        filters,
        wavelength_region: region,
        target_name,
        target_classification,
        obs_id,
        s_ra,
        s_dec,
        proposal_id,
        proposal_pi,
        calib_level,
        t_min,
        t_max,
        t_exptime,
        em_min,
        em_max,
        obs_title,
        t_obs_release,
        s_region,
        jpeg_url,
        data_url,
        obj_id: obsid + OBJID_OFFSET,
    };
    if m.collection == "TESS" {
        make_ffi(&mut obs, seed);
    }
    obs
}

/// Turns [`FFI_PERCENT`]% of the TESS observations into full-frame images, drawn from a hash
/// of their own (the other columns' generator is untouched): `dataproduct_type` `image`,
/// `target_name` `TESS FFI` (2 in 3) or `TICA FFI` (1 in 3), an `obs_id` naming a sector,
/// camera and CCD, a 12° × 12° footprint, no classification.
fn make_ffi(obs: &mut Observation, seed: u64) {
    let h = hash3(seed, 0x0046_4649, obs.obsid as u64);
    if h % 100 >= FFI_PERCENT {
        return;
    }
    let tica = (h >> 8).is_multiple_of(3);
    let sector = 1 + (h >> 16) % 90;
    let camera = 1 + (h >> 24) % 4;
    let ccd = 1 + (h >> 28) % 4;
    obs.dataproduct_type = "image";
    obs.target_classification = None;
    if tica {
        obs.target_name = TICA_FFI.to_owned();
        obs.obs_id = format!("hlsp_tica_tess_ffi_s{sector:04}-cam{camera}-ccd{ccd}");
    } else {
        obs.target_name = TESS_FFI.to_owned();
        obs.obs_id = format!("tess-s{sector:04}-{camera}-{ccd}");
    }
    let rot = unit(mix(h)) * std::f64::consts::FRAC_PI_2;
    obs.s_region = polygon(obs.s_ra, obs.s_dec, 6.0, rot);
    if obs.jpeg_url.is_some() {
        obs.jpeg_url = Some(format!("mast:TESS/product/{}_preview.jpg", obs.obs_id));
    }
    if obs.data_url.is_some() {
        obs.data_url = Some(format!("mast:TESS/product/{}_{}.fits", obs.obs_id, FFI_SUFFIX));
    }
}

/// The file suffix of an FFI observation's main product (`<obs_id>_ffic.fits`).
pub(crate) const FFI_SUFFIX: &str = "ffic";

/// Whether an observation is a TESS or TICA full-frame image (`target_name` exactly
/// `TESS FFI` or `TICA FFI`, what astroquery's `get_product_list` drops).
pub fn is_ffi(obs: &Observation) -> bool {
    obs.target_name == TESS_FFI || obs.target_name == TICA_FFI
}

fn product_suffix(product: &str) -> &'static str {
    match product {
        "image" => "drz",
        "cube" => "s3d",
        "timeseries" => "lc",
        _ => "x1d",
    }
}

fn base36(mut n: u64, width: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).expect("ASCII digits")
}

/// A square footprint of half-size `half` degrees, rotated by `rot` radians.
fn polygon(ra: f64, dec: f64, half: f64, rot: f64) -> String {
    let cos_dec = dec.to_radians().cos().max(1e-6);
    let mut s = String::with_capacity(120);
    s.push_str("POLYGON ICRS");
    let corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)];
    let (sr, cr) = rot.sin_cos();
    for (x, y) in corners {
        let dx = (x * cr - y * sr) * half;
        let dy = (x * sr + y * cr) * half;
        let cra = (ra + dx / cos_dec).rem_euclid(360.0);
        let cdec = (dec + dy).clamp(-90.0, 90.0);
        let _ = write!(s, " {cra:.8} {cdec:.8}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_fits_the_obsid_scheme() {
        let total = GRID.offsets[BANDS];
        assert!(total < 1 << 22, "{total} cells");
        assert_eq!(band_of_cell(0), Some(0));
        assert_eq!(band_of_cell(total - 1), Some(BANDS - 1));
        assert_eq!(band_of_cell(total), None);
        let obsid = obsid_of(total - 1, MAX_PER_CELL - 1);
        assert!(obsid < 1 << 53);
        assert_eq!(split_obsid(obsid), Some((total - 1, MAX_PER_CELL - 1)));
        assert_eq!(split_obsid(OBSID_BASE - 1), None);
        assert_eq!(split_obsid(obsid_of(total, 0)), None);
    }

    #[test]
    fn positions_stay_in_their_cell() {
        for cell in [0, 1, 12_345, 2_000_000, GRID.offsets[BANDS] - 1] {
            let band = band_of_cell(cell).unwrap();
            let dec_lo = -90.0 + band as f64 * BAND_DEG;
            for k in 0..50 {
                let (ra, dec) = position(cell, k, 42);
                assert!((0.0..360.0).contains(&ra));
                assert!(dec >= dec_lo - 1e-9 && dec <= dec_lo + BAND_DEG + 1e-9, "{dec} vs {dec_lo}");
            }
        }
    }

    #[test]
    fn default_cones_are_modest_and_sorted() {
        let mut sizes = Vec::new();
        for (ra, dec) in
            [(322.49324, 12.16683), (10.68, 41.27), (83.63, 22.01), (0.01, -89.99), (359.99, 0.0), (180.0, 89.95)]
        {
            let r = search(ra, dec, 0.2, None, 42).unwrap();
            sizes.push(r.len());
            let d: Vec<f64> = r.entries.iter().map(|e| e.1).collect();
            assert!(d.windows(2).all(|w| w[0] <= w[1]));
            assert!(d.iter().all(|&x| x <= 0.2 * 3600.0 + 1e-6));
        }
        assert!(sizes.iter().all(|&n| (5..=300).contains(&n)), "{sizes:?}");
    }

    #[test]
    fn overlapping_cones_agree_and_forced_sizes_hold() {
        let small = search(150.0, 2.2, 0.1, None, 7).unwrap();
        let big = search(150.0, 2.2, 0.3, None, 7).unwrap();
        let big_ids: std::collections::HashSet<i64> = big.obsids().collect();
        assert!(small.obsids().all(|o| big_ids.contains(&o)));
        let forced = search(150.0, 2.2, 0.1, Some(5000), 7).unwrap();
        assert_eq!(forced.len(), 5000);
        let few = search(150.0, 2.2, 0.3, Some(3), 7).unwrap();
        assert_eq!(few.entries, big.entries[..3]);
        assert!(matches!(search(150.0, 2.2, 1e-7, Some(1000), 7), Err(SkyError::TooManyRows(_))));
    }

    #[test]
    fn rows_rebuild_from_obsid() {
        let r = search(83.63, 22.01, 0.2, Some(300), 42).unwrap();
        let t = r.table(0..r.len());
        let obsids = t.column("obsid").unwrap();
        let ra = t.column("s_ra").unwrap();
        for i in 0..t.num_rows() {
            let o = observation(obsids.get_i64(i).unwrap(), 42).unwrap();
            assert_eq!(ra.get_f64(i), Some(o.s_ra));
            assert_eq!(t.column("obs_id").unwrap().get_str(i), Some(o.obs_id.as_str()));
        }
        // About 10% nulls in a nullable column.
        let masked = t.column("dataURL").unwrap().masked_count();
        assert!((10..=60).contains(&masked), "{masked}");
    }

    #[test]
    fn some_tess_observations_are_ffis() {
        let r = search(150.0, 2.2, 2.0, None, 42).unwrap();
        let obs: Vec<Observation> = r.obsids().map(|id| observation(id, 42).unwrap()).collect();
        let tess = obs.iter().filter(|o| o.obs_collection == "TESS").count();
        let ffis: Vec<&Observation> = obs.iter().filter(|o| is_ffi(o)).collect();
        assert!(ffis.len() * 100 > tess * 3 && ffis.len() * 100 < tess * 8, "{} of {tess}", ffis.len());
        assert!(ffis.iter().any(|o| o.target_name == TICA_FFI));
        for o in ffis {
            assert_eq!((o.obs_collection, o.dataproduct_type), ("TESS", "image"));
            assert!(o.s_region.starts_with("POLYGON"));
        }
        assert_eq!(find_ffi(42), 142_080_713_834_496); // as documented
        assert_eq!(observation(find_ffi(42), 42).unwrap().target_name, TESS_FFI);
        assert_eq!(observation(find_tica_ffi(42), 42).unwrap().target_name, TICA_FFI);
    }

    #[test]
    fn portal_json_declares_ids_as_strings() {
        let t = cone(10.0, 10.0, 0.2, Some(2), 1).unwrap();
        let json = portal_json(&t, Some((1, 2, 1, 2)));
        assert!(json.contains("{\"name\": \"obsid\", \"type\": \"string\"}"));
        assert!(json.contains("{\"name\": \"objID\", \"type\": \"string\"}"));
        assert!(json.contains("{\"name\": \"_selected_\", \"type\": \"boolean\"}"));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(v["data"][0]["obsid"].is_i64());
        assert!(v["data"][0]["_selected_"].is_null());
        assert_eq!(v["fields"].as_array().unwrap().len(), 28);
    }
}
