//! `/api/v0/invoke`: the Portal (Mashup) API (spec §2).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::DataMode;
use crate::filtered::{self, Filters};
use crate::fixtures::{self, Fixture, RecordedPage};
use crate::products::{self, Product};
use crate::server::State;
use crate::sky::{self, ConeResult};
use crate::stats::lock;

/// MAST's page size when the request has none (spec §2.2).
pub(crate) const DEFAULT_PAGESIZE: u64 = 1000;
/// How many results of each kind (cones, criteria queries, product lists) are kept (most
/// recently used first).
const MEMO_ENTRIES: usize = 4;
/// The encoded sky pages kept, in bytes (a 500,000-row result is about 450 MB).
const PAGE_CACHE_BYTES: usize = 512 << 20;
/// The EXECUTING counters are forgotten wholesale beyond this many distinct queries.
const MAX_TRACKED_QUERIES: usize = 100_000;

/// What to send back.
pub(crate) enum Outcome {
    /// 200, `application/json; charset=utf-8`, this body.
    Json(Bytes),
    /// Close the connection without an answer (the row ceiling, spec §2.5).
    Reset,
}

/// The request object from the `request=` parameter, or why there is none.
pub(crate) fn parse_request(raw: Option<&str>) -> Result<Map<String, Value>, String> {
    let raw = raw.ok_or("The request has no 'request' parameter (expected a form body request=<JSON>).")?;
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("The request parameter must be a JSON object.".to_owned()),
        Err(e) => Err(format!("The request parameter is not valid JSON: {e}.")),
    }
}

/// The service named by a request object, as sent.
pub(crate) fn service_of(request: &Map<String, Value>) -> Option<&str> {
    request.get("service").and_then(Value::as_str)
}

enum Route {
    SkyCone { ra: f64, dec: f64, radius: f64, rows: Option<usize> },
    SkyFiltered { key: String, filters: Filters, position: Option<(f64, f64, f64)>, columns: Columns },
    SkyProducts { obsids: Vec<i64> },
    Table(&'static Fixture),
    Verbatim(&'static Fixture),
    Bundle,
    NameLookup(String),
}

/// Answers one invoke request (blocking: may generate a large cone).
pub(crate) fn answer(state: &Arc<State>, request: Result<Map<String, Value>, String>) -> Outcome {
    match try_answer(state, request) {
        Ok(outcome) => outcome,
        Err(msg) => Outcome::Json(status_body("ERROR", &msg, None).into()),
    }
}

fn try_answer(state: &Arc<State>, request: Result<Map<String, Value>, String>) -> Result<Outcome, String> {
    let request = request?;
    let service = match request.get("service") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(
                "The request has no service: set \"service\" to a MAST service name, e.g. Mast.Caom.Cone.".into()
            );
        }
    };
    let empty = Map::new();
    let params = match request.get("params") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(p)) => p,
        Some(_) => return Err(format!("{service}: \"params\" must be a JSON object.")),
    };
    let route = route(&service, params, state.mode)?;
    // Table services answer `format: json` (also when `format` is absent, where MAST would
    // default to extjs); the extjs services answer extjs whatever is asked.
    if matches!(route, Route::SkyCone { .. } | Route::SkyFiltered { .. } | Route::SkyProducts { .. } | Route::Table(_))
    {
        match request.get("format") {
            None | Some(Value::Null) => {}
            Some(Value::String(f)) if f.eq_ignore_ascii_case("json") => {}
            Some(f) => {
                return Err(format!(
                    "{service}: format {f} is not supported by the emulator for this service; use \"json\"."
                ));
            }
        }
    }
    let page_size = positive(&request, "pagesize")?.unwrap_or(DEFAULT_PAGESIZE);
    let page = positive(&request, "page")?.unwrap_or(1);

    // Long polling (spec §2.4): the first N answers of a query are EXECUTING.
    let polls = state.executing_polls.load(Ordering::SeqCst);
    if polls > 0 {
        let mut key = request.clone();
        key.remove("page");
        let key = serde_json::to_string(&Value::Object(key)).unwrap_or_default();
        let seen = {
            let mut map = lock(&state.executing);
            if map.len() >= MAX_TRACKED_QUERIES && !map.contains_key(&key) {
                map.clear();
            }
            let n = map.entry(key).or_insert(0);
            let seen = *n;
            *n = n.saturating_add(1);
            seen
        };
        if seen < polls {
            let percent = u64::from(seen) * 100 / u64::from(polls);
            return Ok(Outcome::Json(status_body("EXECUTING", "", Some(percent)).into()));
        }
    }

    Ok(match route {
        Route::SkyCone { ra, dec, radius, rows } => {
            let key = format!("{}|{}|{}|{}|{rows:?}", ra.to_bits(), dec.to_bits(), radius.to_bits(), state.seed);
            let seed = state.seed;
            let result = state
                .cones
                .get(key.clone(), || sky::search(ra, dec, radius, rows, seed).map_err(|e| e.to_string()))
                .map_err(|e| format!("{service}: {e}"))?;
            paged(state, &service, format!("cone|{key}"), result.len(), page, page_size, |range, paging| {
                sky::portal_json(&result.table(range), Some(paging))
            })
        }
        Route::SkyFiltered { key, filters, position, columns } => {
            let seed = state.seed;
            let selection = state
                .filtered
                .get(key.clone(), || filtered::query(&filters, position, seed))
                .map_err(|e| format!("{service}: {e}"))?;
            match columns {
                Columns::Count => {
                    paged(state, &service, format!("{key}|count"), 1, page, page_size, |range, paging| {
                        let mut c = mast_proto::Column::new("Column1", mast_proto::DataType::Int64);
                        for _ in range {
                            c.push(mast_proto::Value::Int(selection.len() as i64));
                        }
                        let table = mast_proto::Table::new(vec![c]).expect("one column");
                        sky::portal_json_with_string_ids(&table, Some(paging), &["Column1"])
                    })
                }
                Columns::All => {
                    paged(state, &service, format!("{key}|*"), selection.len(), page, page_size, |range, paging| {
                        sky::portal_json(&selection.table(range), Some(paging))
                    })
                }
                Columns::List(names) => {
                    let page_key = format!("{key}|{}", names.join(","));
                    paged(state, &service, page_key, selection.len(), page, page_size, |range, paging| {
                        let table = selection.table(range).select(&names).expect("columns checked against the layout");
                        sky::portal_json(&table, Some(paging))
                    })
                }
            }
        }
        Route::SkyProducts { obsids } => {
            let seed = state.seed;
            let ids: Vec<String> = obsids.iter().map(i64::to_string).collect();
            let key = format!("products|{seed}|{}", ids.join(","));
            let of = if state.exclusive_products { products::products_with_exclusive } else { products::products_of };
            let list = state
                .products
                .get(key.clone(), || Ok(obsids.iter().flat_map(|&id| of(id, seed)).collect()))
                .map_err(|e| format!("{service}: {e}"))?;
            paged(state, &service, key, list.len(), page, page_size, |range, paging| {
                sky::portal_json_with_string_ids(&products::products_table(&list[range]), Some(paging), &["obsID"])
            })
        }
        Route::Table(fixture) => {
            tracing::debug!(service, fixture = fixture.name, page, page_size, "recorded answer");
            match fixture.portal_page(page, page_size, state.row_limit) {
                RecordedPage::Body(b) => Outcome::Json(b),
                RecordedPage::TooManyRows(n) => {
                    tracing::info!(
                        service,
                        rows = n,
                        row_limit = state.row_limit,
                        "page over the row limit: closing the connection"
                    );
                    Outcome::Reset
                }
            }
        }
        Route::Verbatim(fixture) => {
            tracing::debug!(service, fixture = fixture.name, "recorded answer");
            Outcome::Json(Bytes::from_static(fixture.bytes))
        }
        Route::Bundle => {
            let text =
                String::from_utf8_lossy(fixtures::BUNDLE.bytes).replace("https://mast.stsci.edu", &state.base_url);
            Outcome::Json(text.into())
        }
        Route::NameLookup(input) => Outcome::Json(crate::resolver::name_lookup(&input).into()),
    })
}

/// Page `page` of `page_size` rows of a generated result of `total` rows: the row ceiling
/// (a reset beyond it), then the page cache, then `build(rows, paging)` (paging is
/// `(page, page_size, pages, total)`).
fn paged(
    state: &State,
    service: &str,
    key: String,
    total: usize,
    page: u64,
    page_size: u64,
    build: impl FnOnce(std::ops::Range<usize>, (u64, u64, u64, u64)) -> String,
) -> Outcome {
    let start = offset(page - 1, page_size, total);
    let end = offset(page, page_size, total);
    if end - start > state.row_limit {
        tracing::info!(
            service,
            rows = end - start,
            row_limit = state.row_limit,
            "page over the row limit: closing the connection"
        );
        return Outcome::Reset;
    }
    let page_key = format!("{key}|{page}|{page_size}");
    if let Some(bytes) = state.pages.get(&page_key) {
        return Outcome::Json(bytes);
    }
    let pages = (total as u64).div_ceil(page_size);
    let bytes = Bytes::from(build(start..end, (page, page_size, pages, total as u64)));
    state.pages.insert(page_key, bytes.clone());
    Outcome::Json(bytes)
}

/// What `params.columns` of a criteria query asks for.
enum Columns {
    /// `*` (or absent).
    All,
    /// `COUNT_BIG(*)`.
    Count,
    /// These columns (canonical names), in this order.
    List(Vec<&'static str>),
}

fn parse_columns(
    service: &str,
    params: &Map<String, Value>,
    fields: &[(&'static str, &str)],
) -> Result<Columns, String> {
    let text = match params.get("columns") {
        None | Some(Value::Null) => return Ok(Columns::All),
        Some(Value::String(s)) => s.trim(),
        Some(v) => {
            return Err(format!(
                "{service}: 'columns' must be \"*\", \"COUNT_BIG(*)\" or column names joined by commas, got {v}."
            ));
        }
    };
    if text.is_empty() || text == "*" {
        return Ok(Columns::All);
    }
    if text.split_whitespace().collect::<String>().eq_ignore_ascii_case("COUNT_BIG(*)") {
        return Ok(Columns::Count);
    }
    let mut names = Vec::new();
    for name in text.split(',').map(str::trim) {
        let field = fields
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("Invalid column name '{name}'."))?;
        if !names.contains(&field.0) {
            names.push(field.0);
        }
    }
    Ok(Columns::List(names))
}

/// `position`: `"<ra>, <dec>, <radius>"` in degrees (radius 0.2 when left out), or a list of
/// numbers.
fn parse_position(service: &str, params: &Map<String, Value>) -> Result<(f64, f64, f64), String> {
    let bad =
        |v: &Value| format!("{service}: parameter 'position' must be \"<ra>, <dec>, <radius>\" in degrees, got {v}.");
    let v = params.get("position").unwrap_or(&Value::Null);
    let numbers: Vec<f64> = match v {
        Value::String(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|x| !x.is_empty())
            .map(|x| x.parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect::<Option<_>>()
            .ok_or_else(|| bad(v))?,
        Value::Array(items) => items.iter().map(Value::as_f64).collect::<Option<_>>().ok_or_else(|| bad(v))?,
        Value::Null => {
            return Err(format!(
                "{service}: parameter 'position' (\"<ra>, <dec>, <radius>\" in degrees) is required; use Mast.Caom.Filtered without a position."
            ));
        }
        _ => return Err(bad(v)),
    };
    let (ra, dec, radius) = match numbers[..] {
        [ra, dec] => (ra, dec, 0.2),
        [ra, dec, radius] => (ra, dec, radius),
        _ => return Err(bad(v)),
    };
    if !((0.0..=360.0).contains(&ra) && (-90.0..=90.0).contains(&dec) && radius > 0.0 && radius <= 180.0) {
        return Err(format!(
            "{service}: the position ra={ra}, dec={dec}, radius={radius} is out of range (ra 0..360, dec -90..90, radius 0..180 degrees)."
        ));
    }
    Ok((ra, dec, radius))
}

fn offset(pages: u64, page_size: u64, total: usize) -> usize {
    usize::try_from(pages.saturating_mul(page_size)).unwrap_or(usize::MAX).min(total)
}

/// Routes a service (matched case-insensitively) to its answer.
fn route(service: &str, params: &Map<String, Value>, mode: DataMode) -> Result<Route, String> {
    use fixtures::*;
    let lower = service.to_ascii_lowercase();
    let counts = params
        .get("columns")
        .and_then(Value::as_str)
        .is_some_and(|c| c.split_whitespace().collect::<String>().eq_ignore_ascii_case("COUNT_BIG(*)"));
    Ok(match lower.as_str() {
        "mast.caom.cone" => {
            let (ra, dec, radius, rows) = cone_params(service, params)?;
            match mode {
                DataMode::Sky => Route::SkyCone { ra, dec, radius, rows },
                DataMode::Recorded => Route::Table(&CAOM),
            }
        }
        "mast.caom.filtered" | "mast.caom.filtered.position" => {
            let positional = lower.ends_with(".position");
            if mode == DataMode::Recorded {
                if positional && !params.contains_key("position") {
                    parse_position(service, params)?;
                }
                return Ok(Route::Table(match (counts, positional) {
                    (true, _) => &COUNTS,
                    (false, false) => &ADV_SEARCH,
                    (false, true) => &ADV_SEARCH_POS,
                }));
            }
            let position = if positional { Some(parse_position(service, params)?) } else { None };
            let fields: &[(&str, &str)] =
                if positional { &sky::FILTERED_POSITION_FIELDS } else { &sky::FILTERED_FIELDS };
            let filters = Filters::parse(params.get("filters"))
                .map_err(|e| if e.starts_with("Invalid column name") { e } else { format!("{service}: {e}") })?;
            let columns = parse_columns(service, params, fields)?;
            let key = format!(
                "filtered|{}|{}",
                position.map_or_else(String::new, |(r, d, x)| format!(
                    "{}|{}|{}",
                    r.to_bits(),
                    d.to_bits(),
                    x.to_bits()
                )),
                params.get("filters").map_or_else(String::new, Value::to_string)
            );
            Route::SkyFiltered { key, filters, position, columns }
        }
        "mast.caom.products" => {
            let obsid = match params.get("obsid") {
                Some(v @ Value::String(s)) if !s.trim().is_empty() => v,
                Some(v @ (Value::Number(_) | Value::Array(_))) => v,
                _ => {
                    return Err(format!(
                        "{service}: parameter 'obsid' (one obsid, or several separated by commas) is required."
                    ));
                }
            };
            match mode {
                DataMode::Recorded => Route::Table(&PRODUCTS),
                DataMode::Sky => Route::SkyProducts { obsids: products::parse_obsids(obsid) },
            }
        }
        "mast.caom.all" => Route::Verbatim(&MISSIONS_EXTJS),
        "mast.hsc.db.v3"
        | "mast.hsc.db.v2"
        | "mast.galex.catalog"
        | "mast.catalogs.gaiadr3.cone"
        | "mast.catalogs.gaiadr2.cone"
        | "mast.catalogs.gaiadr1.cone"
        | "mast.catalogs.sample.cone" => Route::Table(&HSC),
        "mast.hscmatches.db.v3" | "mast.hscmatches.db.v2" => Route::Table(&MATCHID),
        "mast.hscspectra.db.all" => Route::Table(&SPECTRA),
        "mast.catalogs.tic.cone" | "mast.catalogs.ctl.cone" => Route::Table(&TIC),
        "mast.catalogs.filtered.tic.rows"
        | "mast.catalogs.filtered.tic.position.rows"
        | "mast.catalogs.filtered.ctl.rows"
        | "mast.catalogs.filtered.ctl.position.rows" => {
            if counts {
                // What MAST answers when a `.Rows` service is asked for a count (spec §2.6).
                return Err("Incorrect syntax near '*'.".into());
            }
            Route::Table(&TIC)
        }
        "mast.catalogs.filtered.tic"
        | "mast.catalogs.filtered.tic.position"
        | "mast.catalogs.filtered.ctl"
        | "mast.catalogs.filtered.ctl.position" => Route::Table(if counts { &COUNTS } else { &TIC }),
        "mast.catalogs.filtered.diskdetective" | "mast.catalogs.filtered.diskdetective.position" => {
            Route::Table(if counts { &COUNTS } else { &DD })
        }
        "mast.catalogs.diskdetective.cone" => Route::Table(&DD),
        "mast.catalogs.all.tic" => Route::Verbatim(&TIC_HISTOGRAMS),
        "mast.catalogs.all.diskdetective" => Route::Verbatim(&DD_HISTOGRAMS),
        "mast.bundle.request" => Route::Bundle,
        "mast.name.lookup" => match params.get("input") {
            Some(Value::String(s)) => Route::NameLookup(s.clone()),
            _ => return Err(format!("{service}: parameter 'input' (the object name to resolve) is required.")),
        },
        _ => {
            return Err(format!(
                "Unknown service: '{service}'. The emulator serves Mast.Caom.Cone, Mast.Caom.Filtered[.Position], \
                 Mast.Caom.Products, Mast.Caom.All, Mast.Hsc.Db.v3, Mast.HscMatches.Db.v3, Mast.HscSpectra.Db.All, \
                 Mast.Catalogs.* (TIC, CTL, Disk Detective, Gaia, Sample), Mast.Bundle.Request and Mast.Name.Lookup."
            ));
        }
    })
}

/// `ra`, `dec` (required), `radius` (default 0.2) in degrees and the emulator's own
/// `emulator_rows`.
fn cone_params(service: &str, params: &Map<String, Value>) -> Result<(f64, f64, f64, Option<usize>), String> {
    let need = |name: &str| -> Result<f64, String> {
        number(params, name).map_err(|e| format!("{service}: {e}"))?.ok_or_else(|| {
            format!("{service}: parameter '{name}' is required (a cone needs ra, dec and radius, in degrees).")
        })
    };
    let ra = need("ra")?;
    let dec = need("dec")?;
    let radius = number(params, "radius").map_err(|e| format!("{service}: {e}"))?.unwrap_or(0.2);
    let rows =
        match params.get("emulator_rows") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
                format!("{service}: parameter 'emulator_rows' must be a non-negative integer, got {v}.")
            })?),
        };
    if !((0.0..=360.0).contains(&ra) && (-90.0..=90.0).contains(&dec) && radius > 0.0 && radius <= 180.0) {
        return Err(format!(
            "{service}: the cone ra={ra}, dec={dec}, radius={radius} is out of range (ra 0..360, dec -90..90, radius 0..180 degrees)."
        ));
    }
    Ok((ra, dec, radius, rows))
}

/// A numeric parameter: a JSON number or a numeric string.
fn number(params: &Map<String, Value>, name: &str) -> Result<Option<f64>, String> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(format!("parameter '{name}' must be a number of degrees, got {s:?}.")),
        },
        Some(v) => Err(format!("parameter '{name}' must be a number of degrees, got {v}.")),
    }
}

/// A top-level positive integer property (`page`, `pagesize`).
fn positive(request: &Map<String, Value>, name: &str) -> Result<Option<u64>, String> {
    let v = match request.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let n = match v {
        Value::Number(n) => {
            n.as_u64().or_else(|| n.as_f64().filter(|x| x.fract() == 0.0 && *x >= 0.0).map(|x| x as u64))
        }
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n >= 1 => Ok(Some(n)),
        _ => Err(format!("'{name}' must be a positive integer, got {v}.")),
    }
}

/// `{"status": <status>, "msg": <msg>[, "percent complete": <p>]}`.
pub(crate) fn status_body(status: &str, msg: &str, percent: Option<u64>) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("status".into(), status.into());
    m.insert("msg".into(), msg.into());
    if let Some(p) = percent {
        m.insert("percent complete".into(), p.into());
    }
    mast_proto::pyfmt::json_dumps(&Value::Object(m)).into_bytes()
}

type MemoCell<T> = Arc<OnceLock<Result<Arc<T>, String>>>;

/// The most recently used results of one kind (cones, criteria queries, product lists), so
/// that the pages of one query are cut from one computation. Concurrent requests for the same
/// new result wait for one computation.
pub(crate) struct Memo<T> {
    entries: Mutex<VecDeque<(String, MemoCell<T>)>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo { entries: Mutex::default() }
    }
}

/// The memo of cone searches.
pub(crate) type ConeCache = Memo<ConeResult>;

impl<T> Memo<T> {
    fn get(&self, key: String, compute: impl FnOnce() -> Result<T, String>) -> Result<Arc<T>, String> {
        let cell = {
            let mut q = lock(&self.entries);
            match q.iter().position(|(k, _)| *k == key) {
                Some(i) => {
                    let entry = q.remove(i).expect("index from position");
                    let cell = Arc::clone(&entry.1);
                    q.push_front(entry);
                    cell
                }
                None => {
                    let cell: MemoCell<T> = Arc::default();
                    q.push_front((key, Arc::clone(&cell)));
                    q.truncate(MEMO_ENTRIES);
                    cell
                }
            }
        };
        cell.get_or_init(|| compute().map(Arc::new)).clone()
    }
}

/// The memo of criteria queries.
pub(crate) type FilteredCache = Memo<filtered::Selection>;
/// The memo of product lists.
pub(crate) type ProductCache = Memo<Vec<Product>>;

/// Encoded sky pages, most recently used first, within [`PAGE_CACHE_BYTES`]: asking again for
/// a page (a benchmark repeating a query) costs no generation and no encoding.
#[derive(Default)]
pub(crate) struct PageCache {
    inner: Mutex<(VecDeque<(String, Bytes)>, usize)>,
}

impl PageCache {
    fn get(&self, key: &str) -> Option<Bytes> {
        let mut guard = lock(&self.inner);
        let q = &mut guard.0;
        let i = q.iter().position(|(k, _)| k == key)?;
        let entry = q.remove(i).expect("index from position");
        let bytes = entry.1.clone();
        q.push_front(entry);
        Some(bytes)
    }

    fn insert(&self, key: String, bytes: Bytes) {
        if bytes.len() > PAGE_CACHE_BYTES / 4 {
            return;
        }
        let mut guard = lock(&self.inner);
        let (q, size) = &mut *guard;
        if q.iter().any(|(k, _)| *k == key) {
            return;
        }
        *size += bytes.len();
        q.push_front((key, bytes));
        while *size > PAGE_CACHE_BYTES {
            match q.pop_back() {
                Some((_, b)) => *size -= b.len(),
                None => break,
            }
        }
    }
}
