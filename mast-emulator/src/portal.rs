//! `/api/v0/invoke`: the Portal (Mashup) API (spec §2).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::DataMode;
use crate::fixtures::{self, Fixture, RecordedPage};
use crate::server::State;
use crate::sky::{self, ConeResult, SkyError};
use crate::stats::lock;

/// MAST's page size when the request has none (spec §2.2).
pub(crate) const DEFAULT_PAGESIZE: u64 = 1000;
/// How many cone results are kept (most recently used first).
const CONE_CACHE: usize = 4;
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
    if matches!(route, Route::SkyCone { .. } | Route::Table(_)) {
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
                .get(key.clone(), || sky::search(ra, dec, radius, rows, seed))
                .map_err(|e| cone_error(&service, &e))?;
            let total = result.len();
            let start = offset(page - 1, page_size, total);
            let end = offset(page, page_size, total);
            if end - start > state.row_limit {
                tracing::info!(
                    service,
                    rows = end - start,
                    row_limit = state.row_limit,
                    "page over the row limit: closing the connection"
                );
                return Ok(Outcome::Reset);
            }
            let page_key = format!("{key}|{page}|{page_size}");
            if let Some(bytes) = state.pages.get(&page_key) {
                return Ok(Outcome::Json(bytes));
            }
            let table = result.table(start..end);
            let pages = (total as u64).div_ceil(page_size);
            let bytes = Bytes::from(sky::portal_json(&table, Some((page, page_size, pages, total as u64))));
            state.pages.insert(page_key, bytes.clone());
            Outcome::Json(bytes)
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

fn cone_error(service: &str, e: &SkyError) -> String {
    format!("{service}: {e}")
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
        "mast.caom.filtered" => Route::Table(if counts { &COUNTS } else { &ADV_SEARCH }),
        "mast.caom.filtered.position" => {
            if !params.contains_key("position") {
                return Err(format!(
                    "{service}: parameter 'position' (\"<ra>, <dec>, <radius>\" in degrees) is required; use Mast.Caom.Filtered without a position."
                ));
            }
            Route::Table(if counts { &COUNTS } else { &ADV_SEARCH_POS })
        }
        "mast.caom.products" => {
            match params.get("obsid") {
                Some(Value::String(s)) if !s.trim().is_empty() => {}
                Some(Value::Number(_)) => {}
                _ => {
                    return Err(format!(
                        "{service}: parameter 'obsid' (one obsid, or several separated by commas) is required."
                    ));
                }
            }
            Route::Table(&PRODUCTS)
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

type ConeCell = Arc<OnceLock<Result<Arc<ConeResult>, SkyError>>>;

/// The most recently used cone results, so that the pages of one query are cut from one
/// search. Concurrent requests for the same new cone wait for one search.
#[derive(Default)]
pub(crate) struct ConeCache {
    entries: Mutex<VecDeque<(String, ConeCell)>>,
}

impl ConeCache {
    fn get(
        &self,
        key: String,
        search: impl FnOnce() -> Result<ConeResult, SkyError>,
    ) -> Result<Arc<ConeResult>, SkyError> {
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
                    let cell: ConeCell = Arc::default();
                    q.push_front((key, Arc::clone(&cell)));
                    q.truncate(CONE_CACHE);
                    cell
                }
            }
        };
        cell.get_or_init(|| search().map(Arc::new)).clone()
    }
}

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
