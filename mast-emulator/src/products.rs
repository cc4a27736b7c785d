//! `Mast.Caom.Products`: the data products of observations (spec §8.1).
//!
//! # Request
//!
//! `params.obsid` is one string of obsids joined by commas (`"<id1>,<id2>,..."`, what
//! astroquery's `get_product_list` sends per batch), or a JSON number for one obsid (a JSON
//! list of numbers or strings is accepted too). Items are trimmed; empty items, items that
//! are not integers and obsids the emulator does not know contribute nothing. An obsid listed
//! twice contributes once, at its first place (MAST answers `obsid IN (...)`).
//!
//! # Answer
//!
//! The products of each obsid **in the order the obsids were given**, each obsid's products
//! in a stable order, paged like every Portal table (`pagesize`, `page`). The fields are
//! [`PRODUCT_FIELDS`]: the 16 fields of the recorded `products.json` in its order and with
//! its types (`obsID` declared `string` but sent as a JSON integer, `size` `int`,
//! `_selected_` always null), then `dataRights` and `calib_level`, which the live service
//! also returns.
//!
//! - **Recorded obsids** (those of `products.json`: 2003738726) give the 22 recorded rows,
//!   with `dataRights` `"PUBLIC"` and a `calib_level` derived from the sub-group (`DRZ` 3;
//!   `C..`, `Q1.` 2; others 1). In [`DataMode::Recorded`](crate::DataMode::Recorded) every
//!   request is answered with `products.json` itself.
//! - **Generated obsids** ([`sky::observation`] is `Some`) give 3 to 12 products, drawn from a
//!   hash of the seed and obsid ([`products_of`]): the main science product
//!   `<obs_id>_<drz|s3d|lc|x1d|ffic>.fits` (equal to the observation's `dataURL`), a
//!   selection of the collection's other products (calibrated and raw science files,
//!   auxiliary files, an `INFO` log or report, a `.png` thumbnail), and the `.jpg` preview
//!   (equal to its `jpegURL`), in that order. Every product carries the observation's
//!   `obs_collection`, `obs_id`, `dataproduct_type` and `project`; `dataURI` is
//!   `mast:<obs_collection>/product/<productFilename>` with `productFilename` =
//!   `<obs_id in lower case>_<suffix>.<ext>`; `productType` is `SCIENCE`, `AUXILIARY`,
//!   `PREVIEW` or `INFO`; `productGroupDescription` is `"Minimum Recommended Products"` for
//!   the main product and the preview, null otherwise; `productDocumentationURL` is null;
//!   `size` is a realistic byte count (FITS files a multiple of 2880), a function of the
//!   `dataURI` alone ([`file_size`]: what `Download/file` serves for it, listed or not); `dataRights` is
//!   `"PUBLIC"`; `prvversion` is the pipeline version for calibrated science files, null
//!   otherwise. On average an obsid has 7.5 products, so a batch of 500 obsids has about
//!   3,750 (4 pages of 1000).
//! - **Exclusive-access products**: with [`EmulatorConfig::exclusive_products`](crate::EmulatorConfig::exclusive_products)
//!   ([`products_with_exclusive`]) every generated obsid lists one more product right after
//!   the main one, `<obs_id in lower case>_exclusive.fits` (`productType` `SCIENCE`,
//!   `productSubGroupDescription` `EXCLUSIVE`, no group, `dataRights` `"EXCLUSIVE_ACCESS"`,
//!   1,000,000 to 3,000,000 bytes by [`file_size`]), which `Download/file` serves only to a
//!   request with a valid token and which has no cloud copy ([`crate::files::is_exclusive`]).
//!   Off by default, so the product lists, counts and sizes above stay as they are.

use std::sync::LazyLock;

use mast_proto::{Column, DataType, Table, Value as Cell};
use serde_json::Value;

use crate::sky::{self, Observation};

/// The fields of a `Mast.Caom.Products` answer with their declared MAST types: the 16
/// fields of `products.json`, then `dataRights` and `calib_level`.
pub const PRODUCT_FIELDS: [(&str, &str); 18] = [
    ("obsID", "string"),
    ("obs_collection", "string"),
    ("dataproduct_type", "string"),
    ("obs_id", "string"),
    ("description", "string"),
    ("type", "string"),
    ("dataURI", "string"),
    ("productType", "string"),
    ("productGroupDescription", "string"),
    ("productSubGroupDescription", "string"),
    ("productDocumentationURL", "string"),
    ("project", "string"),
    ("prvversion", "string"),
    ("productFilename", "string"),
    ("size", "int"),
    ("_selected_", "boolean"),
    ("dataRights", "string"),
    ("calib_level", "int"),
];

/// The suffix of the exclusive-access product of a generated observation
/// (`<obs_id>_exclusive.fits`, listed with [`crate::EmulatorConfig::exclusive_products`]).
pub const EXCLUSIVE_SUFFIX: &str = "exclusive";

/// `productGroupDescription` of the minimum recommended products.
pub const MRP: &str = "Minimum Recommended Products";

/// One data product (a row of [`PRODUCT_FIELDS`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// `obsID`: the obsid the product belongs to.
    pub obsid: i64,
    /// `obs_collection`.
    pub obs_collection: String,
    /// `dataproduct_type`.
    pub dataproduct_type: String,
    /// `obs_id`.
    pub obs_id: String,
    /// `description`.
    pub description: String,
    /// `type`: `S` (simple) or `C` (composite).
    pub kind: String,
    /// `dataURI`.
    pub data_uri: String,
    /// `productType`.
    pub product_type: String,
    /// `productGroupDescription`.
    pub product_group_description: Option<String>,
    /// `productSubGroupDescription`.
    pub product_sub_group_description: Option<String>,
    /// `productDocumentationURL`.
    pub product_documentation_url: Option<String>,
    /// `project`.
    pub project: Option<String>,
    /// `prvversion`.
    pub prvversion: Option<String>,
    /// `productFilename`.
    pub product_filename: String,
    /// `size`, bytes.
    pub size: Option<i64>,
    /// `dataRights`.
    pub data_rights: String,
    /// `calib_level`.
    pub calib_level: Option<i64>,
}

/// The products of one obsid: the recorded rows for a recorded obsid, generated ones for a
/// generated obsid, none otherwise (module docs).
///
/// ```
/// use mast_emulator::{products, sky};
/// assert_eq!(products::products_of(2003738726, 42).len(), 22);
/// let obsid = sky::search(10.68, 41.27, 0.2, None, 42)?.obsids().next().unwrap();
/// let p = products::products_of(obsid, 42);
/// assert!((3..=12).contains(&p.len()));
/// let obs = sky::observation(obsid, 42).unwrap();
/// assert!(p.iter().all(|p| p.obs_id == obs.obs_id && p.obsid == obsid));
/// assert!(products::products_of(12345, 42).is_empty());
/// # Ok::<(), sky::SkyError>(())
/// ```
pub fn products_of(obsid: i64, seed: u64) -> Vec<Product> {
    let recorded: Vec<Product> = RECORDED.iter().filter(|p| p.obsid == obsid).cloned().collect();
    if !recorded.is_empty() {
        return recorded;
    }
    sky::observation(obsid, seed).map(|o| generate(&o, seed, false)).unwrap_or_default()
}

/// The products of one obsid as listed with [`crate::EmulatorConfig::exclusive_products`]:
/// [`products_of`], and for a generated obsid one more product right after the main one,
/// an exclusive-access file (module docs).
///
/// ```
/// use mast_emulator::{files, products, sky};
/// let obsid = sky::search(10.68, 41.27, 0.2, None, 42)?.obsids().next().unwrap();
/// let public = products::products_of(obsid, 42);
/// let listed = products::products_with_exclusive(obsid, 42);
/// assert_eq!(listed.len(), public.len() + 1);
/// assert_eq!(listed[1].data_rights, "EXCLUSIVE_ACCESS");
/// assert!(files::is_exclusive(&listed[1].data_uri));
/// assert!(listed.iter().filter(|p| p.data_rights == "PUBLIC").eq(public.iter()));
/// assert_eq!(products::products_with_exclusive(2003738726, 42).len(), 22);
/// # Ok::<(), sky::SkyError>(())
/// ```
pub fn products_with_exclusive(obsid: i64, seed: u64) -> Vec<Product> {
    let recorded: Vec<Product> = RECORDED.iter().filter(|p| p.obsid == obsid).cloned().collect();
    if !recorded.is_empty() {
        return recorded;
    }
    sky::observation(obsid, seed).map(|o| generate(&o, seed, true)).unwrap_or_default()
}

/// The obsids whose products are recorded (`products.json`).
pub fn recorded_obsids() -> Vec<i64> {
    let mut ids: Vec<i64> = RECORDED.iter().map(|p| p.obsid).collect();
    ids.dedup();
    ids
}

/// The `size` of the recorded product whose `dataURI` is `uri`, if there is one.
///
/// ```
/// use mast_emulator::products::recorded_size;
/// assert_eq!(recorded_size("mast:HST/product/u9o40504m_c3m.fits"), Some(207360));
/// assert_eq!(recorded_size("mast:HST/product/other.fits"), None);
/// ```
pub fn recorded_size(uri: &str) -> Option<u64> {
    RECORDED.iter().find(|p| p.data_uri == uri).and_then(|p| p.size).and_then(|s| u64::try_from(s).ok())
}

/// The obsids of a `params.obsid` value, in order, without repeats (module docs).
///
/// ```
/// use mast_emulator::products::parse_obsids;
/// assert_eq!(parse_obsids(&serde_json::json!(" 3, 1,,x,3 ,2")), vec![3, 1, 2]);
/// assert_eq!(parse_obsids(&serde_json::json!(2003738726)), vec![2003738726]);
/// ```
pub fn parse_obsids(value: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |id: Option<i64>| {
        if let Some(id) = id
            && seen.insert(id)
        {
            out.push(id);
        }
    };
    let mut one = |v: &Value| match v {
        Value::Number(n) => push(n.as_i64()),
        Value::String(s) => s.split(',').for_each(|item| push(item.trim().parse::<i64>().ok())),
        _ => {}
    };
    match value {
        Value::Array(items) => items.iter().for_each(&mut one),
        v => one(v),
    }
    out
}

/// Products as a table with [`PRODUCT_FIELDS`] (`obsID` an integer column; encode with
/// [`sky::portal_json_with_string_ids`] and `["obsID"]` to declare it `string`).
pub fn products_table(products: &[Product]) -> Table {
    let mut cols: Vec<Column> = PRODUCT_FIELDS
        .iter()
        .map(|&(name, ty)| {
            let dt = match (name, ty) {
                ("obsID", _) | (_, "int") => DataType::Int64,
                (_, "boolean") => DataType::Bool,
                _ => DataType::String,
            };
            Column::new(name, dt)
        })
        .collect();
    for p in products {
        let cells = [
            Cell::Int(p.obsid),
            Cell::Str(&p.obs_collection),
            Cell::Str(&p.dataproduct_type),
            Cell::Str(&p.obs_id),
            Cell::Str(&p.description),
            Cell::Str(&p.kind),
            Cell::Str(&p.data_uri),
            Cell::Str(&p.product_type),
            s(&p.product_group_description),
            s(&p.product_sub_group_description),
            s(&p.product_documentation_url),
            s(&p.project),
            s(&p.prvversion),
            Cell::Str(&p.product_filename),
            p.size.map_or(Cell::Masked, Cell::Int),
            Cell::Masked,
            Cell::Str(&p.data_rights),
            p.calib_level.map_or(Cell::Masked, Cell::Int),
        ];
        for (c, v) in cols.iter_mut().zip(cells) {
            c.push(v);
        }
    }
    Table::new(cols).expect("product columns have equal lengths and unique names")
}

fn s(x: &Option<String>) -> Cell<'_> {
    x.as_deref().map_or(Cell::Masked, Cell::Str)
}

// ---- recorded products --------------------------------------------------------------------

static RECORDED: LazyLock<Vec<Product>> = LazyLock::new(|| {
    let Ok(v) = serde_json::from_slice::<Value>(crate::fixtures::PRODUCTS.bytes) else { return Vec::new() };
    let rows = v.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
    rows.iter().filter_map(recorded_product).collect()
});

fn recorded_product(row: &Value) -> Option<Product> {
    let text = |k: &str| row.get(k).and_then(Value::as_str).map(str::to_owned);
    let obsid = match row.get("obsID")? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    let sub = text("productSubGroupDescription");
    let calib = match sub.as_deref() {
        Some("DRZ") => 3,
        Some(s) if s.starts_with('C') || s.starts_with("Q1") => 2,
        _ => 1,
    };
    Some(Product {
        obsid,
        obs_collection: text("obs_collection")?,
        dataproduct_type: text("dataproduct_type")?,
        obs_id: text("obs_id")?,
        description: text("description").unwrap_or_default(),
        kind: text("type").unwrap_or_default(),
        data_uri: text("dataURI")?,
        product_type: text("productType").unwrap_or_default(),
        product_group_description: text("productGroupDescription"),
        product_sub_group_description: sub,
        product_documentation_url: text("productDocumentationURL"),
        project: text("project"),
        prvversion: text("prvversion"),
        product_filename: text("productFilename")?,
        size: row.get("size").and_then(Value::as_i64),
        data_rights: "PUBLIC".to_owned(),
        calib_level: Some(calib),
    })
}

// ---- generated products -------------------------------------------------------------------

/// One kind of product file besides the main product and the preview.
struct Tpl {
    suffix: &'static str,
    ext: &'static str,
    product_type: &'static str,
    what: &'static str,
    calib: i64,
    size: (u64, u64),
}

const fn t(
    suffix: &'static str,
    ext: &'static str,
    product_type: &'static str,
    what: &'static str,
    calib: i64,
    size: (u64, u64),
) -> Tpl {
    Tpl { suffix, ext, product_type, what, calib, size }
}

const K: u64 = 1_000;
const M: u64 = 1_000_000;

const HST_IMAGE: [Tpl; 10] = [
    t("flt", "fits", "SCIENCE", "Calibrated exposure ACS/WFC3/STIS/COS", 2, (10 * M, 170 * M)),
    t("flc", "fits", "SCIENCE", "CTE-corrected calibrated exposure ACS/WFC3", 2, (10 * M, 170 * M)),
    t("raw", "fits", "SCIENCE", "Raw exposure", 1, (5 * M, 70 * M)),
    t("drc", "fits", "SCIENCE", "CTE-corrected combined image ACS/WFC3", 3, (20 * M, 220 * M)),
    t("asn", "fits", "AUXILIARY", "Association", 1, (8 * K, 20 * K)),
    t("spt", "fits", "AUXILIARY", "Support, planning and telemetry", 1, (20 * K, 60 * K)),
    t("trl", "fits", "AUXILIARY", "Processing log", 1, (20 * K, 100 * K)),
    t("jif", "fits", "AUXILIARY", "Jitter image", 1, (20 * K, 50 * K)),
    t("jit", "fits", "AUXILIARY", "Jitter table", 1, (20 * K, 50 * K)),
    t("log", "txt", "INFO", "Processing summary", 1, (2 * K, 20 * K)),
];

const HST_SPECTRUM: [Tpl; 10] = [
    t("sx1", "fits", "SCIENCE", "Summed 1D spectrum STIS", 2, (100 * K, 3 * M)),
    t("flt", "fits", "SCIENCE", "Calibrated exposure ACS/WFC3/STIS/COS", 2, (2 * M, 30 * M)),
    t("raw", "fits", "SCIENCE", "Raw exposure", 1, (M, 20 * M)),
    t("x2d", "fits", "SCIENCE", "Rectified 2D spectrum STIS", 2, (2 * M, 30 * M)),
    t("corrtag", "fits", "SCIENCE", "Corrected time-tag events COS", 1, (5 * M, 200 * M)),
    t("asn", "fits", "AUXILIARY", "Association", 1, (8 * K, 20 * K)),
    t("spt", "fits", "AUXILIARY", "Support, planning and telemetry", 1, (20 * K, 60 * K)),
    t("trl", "fits", "AUXILIARY", "Processing log", 1, (20 * K, 100 * K)),
    t("jit", "fits", "AUXILIARY", "Jitter table", 1, (20 * K, 50 * K)),
    t("thumb", "png", "PREVIEW", "Spectrum plot", 2, (20 * K, 120 * K)),
];

const JWST: [Tpl; 10] = [
    t("cal", "fits", "SCIENCE", "Calibrated exposure", 2, (50 * M, 200 * M)),
    t("rate", "fits", "SCIENCE", "Countrate image", 2, (30 * M, 120 * M)),
    t("rateints", "fits", "SCIENCE", "Countrate per integration", 2, (60 * M, 400 * M)),
    t("uncal", "fits", "SCIENCE", "Uncalibrated exposure", 1, (100 * M, 900 * M)),
    t("cat", "ecsv", "SCIENCE", "Source catalog", 3, (50 * K, 2 * M)),
    t("asn", "json", "AUXILIARY", "Association", 1, (2 * K, 10 * K)),
    t("pool", "csv", "AUXILIARY", "Association pool", 1, (10 * K, 400 * K)),
    t("trapsfilled", "fits", "AUXILIARY", "Trap state", 2, (10 * M, 40 * M)),
    t("log", "txt", "INFO", "Pipeline log", 1, (10 * K, 200 * K)),
    t("thumb", "png", "PREVIEW", "Thumbnail", 3, (20 * K, 120 * K)),
];

const TESS_TIMESERIES: [Tpl; 10] = [
    t("tp", "fits", "SCIENCE", "Target pixel file", 2, (30 * M, 60 * M)),
    t("dvt", "fits", "SCIENCE", "Data validation time series", 3, (2 * M, 8 * M)),
    t("fast-lc", "fits", "SCIENCE", "Fast-cadence light curve", 3, (10 * M, 30 * M)),
    t("fast-tp", "fits", "SCIENCE", "Fast-cadence target pixel file", 2, (100 * M, 300 * M)),
    t("dvr", "pdf", "INFO", "Full data validation report", 3, (M, 10 * M)),
    t("dvs", "pdf", "INFO", "Data validation one-page summary", 3, (200 * K, 900 * K)),
    t("dvm", "pdf", "INFO", "Data validation mini-report", 3, (300 * K, 2 * M)),
    t("cbv", "fits", "AUXILIARY", "Cotrending basis vectors", 3, (5 * M, 20 * M)),
    t("col", "fits", "AUXILIARY", "Collateral pixels", 1, (M, 5 * M)),
    t("thumb", "png", "PREVIEW", "Light curve plot", 3, (20 * K, 120 * K)),
];

const TESS_FFI: [Tpl; 10] = [
    t("ffir", "fits", "SCIENCE", "Raw full frame image", 1, (25 * M, 30 * M)),
    t("bkg", "fits", "AUXILIARY", "Background image", 2, (15 * M, 20 * M)),
    t("err", "fits", "AUXILIARY", "Uncertainty image", 2, (15 * M, 20 * M)),
    t("cbv", "fits", "AUXILIARY", "Cotrending basis vectors", 3, (5 * M, 20 * M)),
    t("col", "fits", "AUXILIARY", "Collateral pixels", 1, (M, 5 * M)),
    t("pix", "fits", "AUXILIARY", "Pixel list", 1, (50 * K, 300 * K)),
    t("hk", "fits", "AUXILIARY", "Housekeeping", 1, (100 * K, M)),
    t("wcs", "fits", "AUXILIARY", "World coordinate solution", 2, (20 * K, 80 * K)),
    t("log", "txt", "INFO", "Processing log", 1, (2 * K, 20 * K)),
    t("thumb", "png", "PREVIEW", "Thumbnail", 2, (20 * K, 120 * K)),
];

const OTHER_IMAGE: [Tpl; 10] = [
    t("cnt", "fits", "SCIENCE", "Count map", 2, (5 * M, 40 * M)),
    t("raw", "fits", "SCIENCE", "Raw exposure", 1, (5 * M, 40 * M)),
    t("cat", "fits", "SCIENCE", "Source catalog", 3, (200 * K, 5 * M)),
    t("exp", "fits", "AUXILIARY", "Exposure map", 2, (2 * M, 20 * M)),
    t("bkg", "fits", "AUXILIARY", "Background map", 2, (2 * M, 20 * M)),
    t("flg", "fits", "AUXILIARY", "Flag map", 2, (M, 10 * M)),
    t("att", "fits", "AUXILIARY", "Attitude", 1, (50 * K, 500 * K)),
    t("hk", "fits", "AUXILIARY", "Housekeeping", 1, (100 * K, M)),
    t("log", "txt", "INFO", "Processing log", 1, (2 * K, 20 * K)),
    t("thumb", "png", "PREVIEW", "Thumbnail", 2, (20 * K, 120 * K)),
];

const OTHER_SPECTRUM: [Tpl; 10] = [
    t("cal", "fits", "SCIENCE", "Calibrated spectrum", 2, (100 * K, 2 * M)),
    t("raw", "fits", "SCIENCE", "Raw spectral image", 1, (500 * K, 5 * M)),
    t("ttag", "fits", "SCIENCE", "Time-tagged photon events", 1, (M, 50 * M)),
    t("sum", "fits", "SCIENCE", "Co-added spectrum", 3, (100 * K, 2 * M)),
    t("bkg", "fits", "AUXILIARY", "Background spectrum", 2, (50 * K, 500 * K)),
    t("wave", "fits", "AUXILIARY", "Wavelength calibration", 2, (50 * K, 500 * K)),
    t("att", "fits", "AUXILIARY", "Attitude", 1, (50 * K, 500 * K)),
    t("hk", "fits", "AUXILIARY", "Housekeeping", 1, (100 * K, M)),
    t("log", "txt", "INFO", "Processing log", 1, (2 * K, 20 * K)),
    t("thumb", "png", "PREVIEW", "Spectrum plot", 2, (20 * K, 120 * K)),
];

const OTHER_TIMESERIES: [Tpl; 10] = [
    t("tpf", "fits", "SCIENCE", "Target pixel file", 2, (5 * M, 60 * M)),
    t("slc", "fits", "SCIENCE", "Short-cadence light curve", 2, (5 * M, 30 * M)),
    t("spd", "fits", "SCIENCE", "Short-cadence target pixel file", 2, (30 * M, 200 * M)),
    t("raw", "fits", "SCIENCE", "Raw cadence data", 1, (5 * M, 40 * M)),
    t("cbv", "fits", "AUXILIARY", "Cotrending basis vectors", 3, (5 * M, 20 * M)),
    t("bkg", "fits", "AUXILIARY", "Background pixels", 2, (M, 10 * M)),
    t("col", "fits", "AUXILIARY", "Collateral pixels", 1, (M, 5 * M)),
    t("hk", "fits", "AUXILIARY", "Housekeeping", 1, (100 * K, M)),
    t("log", "txt", "INFO", "Processing log", 1, (2 * K, 20 * K)),
    t("thumb", "png", "PREVIEW", "Light curve plot", 2, (20 * K, 120 * K)),
];

fn templates(o: &Observation) -> &'static [Tpl; 10] {
    match (o.obs_collection, o.dataproduct_type) {
        ("TESS", _) if sky::is_ffi(o) => &TESS_FFI,
        ("HST", "image") => &HST_IMAGE,
        ("HST", _) => &HST_SPECTRUM,
        ("JWST", _) => &JWST,
        ("TESS", _) => &TESS_TIMESERIES,
        (_, "image") => &OTHER_IMAGE,
        (_, "timeseries") => &OTHER_TIMESERIES,
        _ => &OTHER_SPECTRUM,
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash(seed: u64, obsid: i64, i: u64) -> u64 {
    mix(mix(mix(seed ^ 0x7072_6f64_7563_7473).wrapping_add(obsid as u64)).wrapping_add(i))
}

/// The generated products of a generated observation (module docs), with the
/// exclusive-access product when `exclusive`.
fn generate(o: &Observation, seed: u64, exclusive: bool) -> Vec<Product> {
    let h = hash(seed, o.obsid, 0);
    let n = 3 + (h % 10) as usize;
    let others = templates(o);
    // The n - 2 other products with the smallest keys, kept in template order.
    let mut keys: Vec<(u64, usize)> = (0..others.len()).map(|i| (hash(seed, o.obsid, 1 + i as u64), i)).collect();
    keys.sort_unstable();
    let mut chosen: Vec<usize> = keys[..n - 2].iter().map(|k| k.1).collect();
    chosen.sort_unstable();

    let ffi = sky::is_ffi(o);
    let main_suffix = if ffi {
        sky::FFI_SUFFIX
    } else {
        match o.dataproduct_type {
            "image" => "drz",
            "cube" => "s3d",
            "timeseries" => "lc",
            _ => "x1d",
        }
    };
    let main_what = if ffi {
        "Calibrated full frame image"
    } else {
        match o.dataproduct_type {
            "image" => "Calibrated combined image",
            "cube" => "Calibrated spectral cube",
            "timeseries" => "Light curve",
            _ => "Extracted 1D spectrum",
        }
    };
    let version = {
        let v = hash(seed, o.obsid, 99);
        match o.obs_collection {
            "JWST" => format!("1.{}.{}", 12 + v % 5, (v >> 8) % 4),
            "TESS" => format!("spoc-5.0.{}", (v >> 8) % 80),
            _ => format!("{}.{}.{}", 2 + v % 3, (v >> 8) % 10, (v >> 16) % 6),
        }
    };
    let obs_file = o.obs_id.to_ascii_lowercase();
    let prefix = if o.obs_collection == "HST" { "DADS" } else { o.obs_collection };
    let make = |suffix: &str, ext: &str, ptype: &str, what: &str, calib: i64, mrp: bool| {
        let filename = format!("{obs_file}_{suffix}.{ext}");
        let sub = if ptype == "PREVIEW" { ext.to_ascii_uppercase() } else { suffix.to_ascii_uppercase() };
        let data_uri = format!("mast:{}/product/{filename}", o.obs_collection);
        // The size Download/file serves for this URI, listed or not.
        let bytes = file_size(&data_uri);
        Product {
            obsid: o.obsid,
            obs_collection: o.obs_collection.to_owned(),
            dataproduct_type: o.dataproduct_type.to_owned(),
            obs_id: o.obs_id.clone(),
            description: format!("{prefix} {sub} file - {what}"),
            kind: if calib >= 3 && ptype == "SCIENCE" { "C" } else { "S" }.to_owned(),
            data_uri,
            product_type: ptype.to_owned(),
            product_group_description: mrp.then(|| MRP.to_owned()),
            product_sub_group_description: Some(sub),
            product_documentation_url: None,
            project: Some(o.project.to_owned()),
            prvversion: (ptype == "SCIENCE" && calib >= 2).then(|| version.clone()),
            product_filename: filename,
            size: Some(bytes as i64),
            data_rights: "PUBLIC".to_owned(),
            calib_level: Some(calib),
        }
    };
    let mut out = Vec::with_capacity(n + 1);
    out.push(make(main_suffix, "fits", "SCIENCE", main_what, o.calib_level, true));
    if exclusive {
        let mut p = make(EXCLUSIVE_SUFFIX, "fits", "SCIENCE", "Exclusive-access data", o.calib_level, false);
        p.data_rights = "EXCLUSIVE_ACCESS".to_owned();
        out.push(p);
    }
    for i in chosen {
        let t = &others[i];
        out.push(make(t.suffix, t.ext, t.product_type, t.what, t.calib, false));
    }
    out.push(make("preview", "jpg", "PREVIEW", "Preview image", o.calib_level, true));
    out
}

/// The size of the file `uri` in bytes, one function of the URI alone, so that a product
/// list and `Download/file` agree whether or not the list was asked for first: a recorded
/// product's recorded `size`; a generated product's name (`mast:<collection>/product/
/// <obs_id>_<suffix>.<ext>`, [`generated_size`]) a realistic size for its kind; any other
/// `mast:` URI [`crate::files::hashed_size`] (1,000,000 to 3,000,000 bytes).
///
/// ```
/// use mast_emulator::products::file_size;
/// assert_eq!(file_size("mast:HST/product/u9o40504m_c3m.fits"), 207360);
/// let lc = file_size("mast:TESS/product/tess2019123456789-s0012-0000000012345678-0150-s_lc.fits");
/// assert!((1_000_000..=20_002_880).contains(&lc) && lc % 2880 == 0);
/// assert_eq!(file_size("mast:JWST/product/any_thing.fits"), mast_emulator::files::hashed_size("mast:JWST/product/any_thing.fits"));
/// ```
pub fn file_size(uri: &str) -> u64 {
    recorded_size(uri).or_else(|| generated_size(uri)).unwrap_or_else(|| crate::files::hashed_size(uri))
}

/// The size of a file named as the generated products are named, if `uri` is one: drawn
/// from a hash of the URI within the range of its kind (by collection, the suffix after the
/// file name's last `_`, and the extension: e.g. 1 MB to 20 MB for a light curve `_lc.fits`,
/// 50 kB to 900 kB for a `_preview.jpg`), FITS files rounded up to a multiple of 2880.
///
/// ```
/// use mast_emulator::products::generated_size;
/// let n = generated_size("mast:IUE/product/swp12345_x1d.fits").unwrap();
/// assert!((100_000..=3_002_880).contains(&n) && n % 2880 == 0);
/// assert_eq!(generated_size("mast:IUE/product/swp12345_x1d.fits"), Some(n));
/// assert_eq!(generated_size("mast:HST/product/no_such_kind.fits"), None);
/// ```
pub fn generated_size(uri: &str) -> Option<u64> {
    let (collection, file) = uri.strip_prefix("mast:")?.split_once("/product/")?;
    if file.contains('/') {
        return None;
    }
    let (stem, ext) = file.rsplit_once('.')?;
    let (_, suffix) = stem.rsplit_once('_')?;
    let (lo, hi) = size_range(collection, suffix, ext)?;
    let r = crate::files::mix(crate::files::fnv(uri.as_bytes()) ^ 0x7369_7a65_6f66_7572);
    let bytes = lo + r % (hi - lo + 1);
    Some(if ext == "fits" { bytes.div_ceil(2880) * 2880 } else { bytes })
}

/// The size range of a generated product kind: the main products by their suffix, the
/// preview, then the first template of the collection's tables with this suffix and extension
/// (a suffix two tables share, such as HST's `flt`, takes the first table's range).
fn size_range(collection: &str, suffix: &str, ext: &str) -> Option<(u64, u64)> {
    match (suffix, ext) {
        (s, "fits") if s == sky::FFI_SUFFIX => return Some((34 * M, 36 * M)),
        ("drz", "fits") => return Some((20 * M, 220 * M)),
        ("s3d", "fits") => return Some((50 * M, 600 * M)),
        ("lc", "fits") => return Some((M, 20 * M)),
        ("x1d", "fits") => return Some((100 * K, 3 * M)),
        ("preview", "jpg") => return Some((50 * K, 900 * K)),
        _ => {}
    }
    let tables: &[&[Tpl; 10]] = match collection {
        "HST" => &[&HST_IMAGE, &HST_SPECTRUM],
        "JWST" => &[&JWST],
        "TESS" => &[&TESS_TIMESERIES, &TESS_FFI],
        _ => &[&OTHER_IMAGE, &OTHER_TIMESERIES, &OTHER_SPECTRUM],
    };
    tables.iter().flat_map(|t| t.iter()).find(|t| t.suffix == suffix && t.ext == ext).map(|t| t.size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_products_follow_their_observation() {
        let cone = sky::search(83.63, 22.01, 0.3, None, 42).unwrap();
        let mut counts = Vec::new();
        for obsid in cone.obsids() {
            let o = sky::observation(obsid, 42).unwrap();
            let p = products_of(obsid, 42);
            counts.push(p.len());
            assert!((3..=12).contains(&p.len()));
            assert_eq!(p, products_of(obsid, 42));
            let mut uris: Vec<&str> = p.iter().map(|p| p.data_uri.as_str()).collect();
            uris.sort_unstable();
            uris.dedup();
            assert_eq!(uris.len(), p.len(), "unique URIs per obsid");
            for x in &p {
                assert_eq!((x.obs_collection.as_str(), x.obs_id.as_str()), (o.obs_collection, o.obs_id.as_str()));
                assert!(x.data_uri.ends_with(&x.product_filename));
                assert!(x.product_filename.starts_with(&o.obs_id.to_ascii_lowercase()));
            }
            assert_eq!(p[0].product_group_description.as_deref(), Some(MRP));
            if let Some(url) = &o.data_url {
                assert_eq!(&p[0].data_uri, url);
            }
            if let Some(url) = &o.jpeg_url {
                assert_eq!(&p.last().unwrap().data_uri, url);
            }
        }
        let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
        assert!((6.0..9.0).contains(&mean), "{mean}");
    }

    #[test]
    fn recorded_products_parse() {
        assert_eq!(recorded_obsids(), vec![2003738726]);
        let p = products_of(2003738726, 1);
        assert_eq!(p.len(), 22);
        assert_eq!(p[21].product_sub_group_description.as_deref(), Some("DRZ"));
        assert_eq!(p[21].calib_level, Some(3));
    }
}
