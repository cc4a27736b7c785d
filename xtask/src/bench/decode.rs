//! `bench decode`: throughput and peak memory of `mast_proto::decode::portal_table` on
//! synthetic CAOM-shaped Portal responses (the 27 columns of `Mast.Caom.Cone`, as in
//! `mast-emulator/data/astroquery-recorded/caom.json`, plus the always-null `_selected_`).
//!
//! Compared with a naive decoder (`serde_json::Value`, then one `Vec<Option<_>>` per column)
//! and with the floor of any JSON decoder, a `serde::de::IgnoredAny` scan of the same bytes.

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mast_proto::Table;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::ALLOC;
use crate::CmdResult;
use crate::args::Args;
use crate::rng::Rng;

/// The `fields` of `caom.json`, in order, with their MAST types (shared with the emulator's sky).
const FIELDS: [(&str, &str); 28] = mast_emulator::sky::CAOM_FIELDS;

/// Probability that a cell of each column (in [`FIELDS`] order) is null; `_selected_` is
/// always null. About 11% of all cells in all.
const NULL_RATE: [f64; 28] = [
    0.0, 0.0, 0.02, 0.05, 0.05, 0.02, 0.02, 0.4, 0.0, 0.0, 0.0, 0.15, 0.15, 0.0, 0.05, 0.05, 0.05, 0.08, 0.08, 0.2,
    0.05, 0.02, 0.3, 0.25, 0.0, 0.1, 0.0, 1.0,
];

const SERVICE: &str = "Mast.Caom.Cone";

/// The decode target: at least this fraction of the `IgnoredAny` floor's throughput.
const TARGET_VS_FLOOR: f64 = 0.5;

pub fn run(mut args: Args) -> CmdResult {
    let mut sizes: Vec<usize> = args.values("--rows")?;
    if sizes.is_empty() {
        sizes = vec![50_000, 500_000];
    }
    let reps: Option<usize> = args.value("--reps")?;
    let seed: u64 = args.value("--seed")?.unwrap_or(20_240_501);
    let check = args.flag("--check");
    let dump: Option<std::path::PathBuf> = args.value("--dump")?;
    args.finish()?;

    let mut all_met = true;
    for rows in sizes {
        let reps = reps.unwrap_or(if rows <= 100_000 { 7 } else { 3 }).max(1);
        let generated = generate(rows, seed);
        let body = &generated.body;
        if let Some(dir) = &dump {
            let path = dir.join(format!("caom-{rows}.json"));
            std::fs::write(&path, body).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        let m = measure(body, rows, reps)?;
        let mb = body.len() as f64 / 1e6;
        let ours = mb / m.ours.as_secs_f64();
        let vs_baseline = m.baseline.as_secs_f64() / m.ours.as_secs_f64();
        let vs_floor = m.floor.as_secs_f64() / m.ours.as_secs_f64();
        println!(
            "decode caom {rows} rows ({mb:.1} MB): mast-proto {ours:.0} MB/s; {vs_baseline:.1}x serde_json::Value+convert; \
             {vs_floor:.2}x IgnoredAny floor; peak extra memory {:.1}x response",
            m.ours_peak
        );
        println!(
            "  best of {reps}: mast-proto {:.1} ms, Value+convert {:.1} ms ({:.0} MB/s, peak extra memory {:.1}x), \
             IgnoredAny {:.1} ms ({:.0} MB/s); {} columns, {:.1}% null cells",
            ms(m.ours),
            ms(m.baseline),
            mb / m.baseline.as_secs_f64(),
            m.baseline_peak,
            ms(m.floor),
            mb / m.floor.as_secs_f64(),
            FIELDS.len() - 1,
            100.0 * generated.null_cells as f64 / (rows * FIELDS.len()) as f64,
        );
        let met = vs_floor >= TARGET_VS_FLOOR;
        all_met &= met;
        println!("target: >= {TARGET_VS_FLOOR}x IgnoredAny: {}", if met { "met" } else { "NOT met" });
    }
    Ok(if check && !all_met { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub(super) struct Measurement {
    pub(super) ours: Duration,
    pub(super) baseline: Duration,
    pub(super) floor: Duration,
    /// Peak heap growth during one decode, relative to the response size.
    pub(super) ours_peak: f64,
    pub(super) baseline_peak: f64,
}

fn decode_ours(body: &[u8]) -> Result<Table, String> {
    mast_proto::decode::portal_table(body, SERVICE, None)
        .map(|(t, _)| t)
        .map_err(|e| format!("mast-proto failed to decode the benchmark body: {e}"))
}

fn scan_floor(body: &[u8]) -> Result<IgnoredAny, String> {
    serde_json::from_slice::<IgnoredAny>(body).map_err(|e| format!("IgnoredAny scan failed: {e}"))
}

/// Peak heap growth while `f` runs, over `len`.
fn peak_ratio<T>(len: usize, f: impl FnOnce() -> T) -> f64 {
    let before = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let out = f();
    let peak = ALLOC.peak_usage();
    drop(black_box(out));
    peak.saturating_sub(before) as f64 / len as f64
}

pub(super) fn measure(body: &[u8], rows: usize, reps: usize) -> Result<Measurement, String> {
    // Check both decoders agree before timing them.
    let table = decode_ours(body)?;
    let baseline = baseline_decode(body)?;
    cross_check(&table, &baseline, rows)?;
    drop(table);
    drop(baseline);

    let ours_peak = peak_ratio(body.len(), || decode_ours(body));
    let baseline_peak = peak_ratio(body.len(), || baseline_decode(body));

    let mut m =
        Measurement { ours: Duration::MAX, baseline: Duration::MAX, floor: Duration::MAX, ours_peak, baseline_peak };
    for _ in 0..reps {
        m.ours = m.ours.min(time(|| decode_ours(black_box(body)))?);
        m.baseline = m.baseline.min(time(|| baseline_decode(black_box(body)))?);
        m.floor = m.floor.min(time(|| scan_floor(black_box(body)))?);
    }
    Ok(m)
}

/// How long `f` takes (the result is dropped after the clock stops).
fn time<T>(f: impl FnOnce() -> Result<T, String>) -> Result<Duration, String> {
    let start = Instant::now();
    let out = f()?;
    let elapsed = start.elapsed();
    drop(black_box(out));
    Ok(elapsed)
}

// ---------------------------------------------------------------------------------------------
// The naive baseline

/// One column as a naive decoder builds it.
enum NaiveColumn {
    Str(Vec<Option<String>>),
    F64(Vec<Option<f64>>),
    I64(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

struct Naive {
    rows: usize,
    columns: Vec<(String, NaiveColumn)>,
}

/// Parses the body into a `serde_json::Value`, then copies each row into per-column vectors.
fn baseline_decode(body: &[u8]) -> Result<Naive, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("baseline parse failed: {e}"))?;
    let fields = v.get("fields").and_then(Value::as_array).ok_or("baseline: no fields")?;
    let data = v.get("data").and_then(Value::as_array).ok_or("baseline: no data")?;
    let mut columns = Vec::with_capacity(fields.len());
    for f in fields {
        let name = f.get("name").and_then(Value::as_str).unwrap_or_default();
        if name == "_selected_" {
            continue;
        }
        let n = data.len();
        let col = match f.get("type").and_then(Value::as_str).unwrap_or_default() {
            "float" | "double" => NaiveColumn::F64(data.iter().map(|r| r.get(name).and_then(Value::as_f64)).collect()),
            "int" | "long" => NaiveColumn::I64(data.iter().map(|r| r.get(name).and_then(Value::as_i64)).collect()),
            "boolean" => NaiveColumn::Bool(data.iter().map(|r| r.get(name).and_then(Value::as_bool)).collect()),
            _ => {
                let mut cells = Vec::with_capacity(n);
                for r in data {
                    cells.push(match r.get(name) {
                        None | Some(Value::Null) => None,
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(other) => Some(other.to_string()),
                    });
                }
                NaiveColumn::Str(cells)
            }
        };
        columns.push((name.to_owned(), col));
    }
    Ok(Naive { rows: data.len(), columns })
}

/// Compares the first rows of both decodes cell by cell.
fn cross_check(table: &Table, naive: &Naive, rows: usize) -> Result<(), String> {
    if table.num_rows() != rows || naive.rows != rows {
        return Err(format!(
            "expected {rows} rows, mast-proto decoded {} and the baseline {}",
            table.num_rows(),
            naive.rows
        ));
    }
    if table.num_columns() != naive.columns.len() {
        return Err(format!(
            "mast-proto decoded {} columns, the baseline {}",
            table.num_columns(),
            naive.columns.len()
        ));
    }
    for (name, col) in &naive.columns {
        let ours = table.column(name).ok_or_else(|| format!("mast-proto has no column {name}"))?;
        for i in 0..rows.min(5_000) {
            let same = match col {
                NaiveColumn::Str(v) => v[i].as_deref() == ours.get_str(i),
                NaiveColumn::F64(v) => v[i] == ours.get_f64(i),
                NaiveColumn::I64(v) => v[i] == ours.get_i64(i),
                NaiveColumn::Bool(v) => v[i] == ours.get_bool(i),
            };
            if !same {
                return Err(format!("row {i} column {name}: mast-proto has {:?}, the baseline disagrees", ours.get(i)));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The synthetic response

struct Generated {
    body: Vec<u8>,
    null_cells: usize,
}

/// One mission's vocabulary.
struct Mission {
    collection: &'static str,
    project: &'static str,
    products: &'static [&'static str],
    instruments: &'static [&'static str],
    filters: &'static [&'static str],
    regions: &'static [&'static str],
    weight: usize,
}

const MISSIONS: &[Mission] = &[
    Mission {
        collection: "HST",
        project: "HST",
        products: &["image", "image", "image", "spectrum"],
        instruments: &["WFPC2/WFC", "ACS/WFC", "WFC3/IR", "WFC3/UVIS", "STIS/CCD", "COS/FUV", "NICMOS/NIC3"],
        filters: &["F814W", "F606W", "F555W", "F125W", "F160W", "F275W", "G140L", "F110W;F160W", "CLEAR"],
        regions: &["OPTICAL", "INFRARED", "UV", "OPTICAL;INFRARED"],
        weight: 5,
    },
    Mission {
        collection: "JWST",
        project: "JWST",
        products: &["image", "cube", "spectrum"],
        instruments: &["NIRCAM/IMAGE", "MIRI/IMAGE", "NIRSPEC/SLIT", "NIRISS/SOSS", "NIRCAM/GRISM"],
        filters: &["F090W", "F150W", "F200W;F444W", "F770W", "CLEAR;PRISM", "F277W"],
        regions: &["INFRARED"],
        weight: 3,
    },
    Mission {
        collection: "TESS",
        project: "TESS",
        products: &["timeseries"],
        instruments: &["Photometer"],
        filters: &["TESS"],
        regions: &["OPTICAL"],
        weight: 3,
    },
    Mission {
        collection: "GALEX",
        project: "AIS",
        products: &["image"],
        instruments: &["GALEX"],
        filters: &["NUV", "FUV"],
        regions: &["UV"],
        weight: 2,
    },
    Mission {
        collection: "SWIFT",
        project: "SWIFT",
        products: &["image"],
        instruments: &["UVOT"],
        filters: &["UVW1", "UVW2", "UVM2", "V", "WHITE"],
        regions: &["UV", "OPTICAL"],
        weight: 1,
    },
    Mission {
        collection: "PS1",
        project: "3PI",
        products: &["image"],
        instruments: &["GPC1"],
        filters: &["g", "r", "i", "z", "y"],
        regions: &["OPTICAL"],
        weight: 1,
    },
];

const TARGETS: &[&str] = &[
    "LO-LAT",
    "PARALLEL-FIELD",
    "NGC-5457",
    "M101",
    "ANY",
    "HD-189733",
    "HUDF",
    "CALSPEC-G191B2B",
    "DARK",
    "TIC 261136679",
];
const CLASSES: &[&str] = &[
    "ACTIVE GALAXIES;GALAXIES;STARS",
    "A,101",
    "STAR;EXOPLANET",
    "GALAXY;SPIRAL",
    "ISM;NEBULA;PLANETARY NEBULA",
    "CALIBRATION",
    "Extragalactic Deep Fields",
];
const PIS: &[&str] = &[
    "Griffiths",
    "Groth",
    "Calzetti, Daniela",
    "Rieke, Marcia J.",
    "O'Connell",
    "Smith, Linda",
    "Kepler Mission",
    "Ricker, George",
    "Zhang",
    "Dalcanton, Julianne J",
];
const WORDS: &[&str] = &[
    "HST",
    "MEDIUM-DEEP",
    "SURVEY",
    "CYCLE",
    "LOW",
    "GAL.",
    "LAT.",
    "PARALLEL",
    "PROGRAM",
    "GTO",
    "the",
    "Star",
    "Formation",
    "History",
    "of",
    "Nearby",
    "Galaxies",
    "Exoplanet",
    "Transit",
    "Spectroscopy",
    "deep",
    "field",
    "imaging",
    "with",
    "NIRCam",
    "and",
    "MIRI",
    "A",
    "Legacy",
    "Treasury",
    "Ultraviolet",
];

fn generate(rows: usize, seed: u64) -> Generated {
    let mut rng = Rng::new(seed);
    let total_weight: usize = MISSIONS.iter().map(|m| m.weight).sum();
    let mut body = Vec::with_capacity(rows * 900 + 4096);
    body.extend_from_slice(br#"{"status" : "COMPLETE","msg" : "","data":["#);
    let mut null_cells = 0;
    let mut row = String::with_capacity(2048);
    let mut obs_id = String::with_capacity(64);
    for r in 0..rows {
        let mut w = rng.below(total_weight);
        let mission = MISSIONS
            .iter()
            .find(|m| {
                if w < m.weight {
                    return true;
                }
                w -= m.weight;
                false
            })
            .unwrap_or(&MISSIONS[0]);
        make_obs_id(&mut rng, mission.collection, &mut obs_id);
        let ra = (rng.unit() * 360e9).round() / 1e9;
        let dec = ((rng.unit() * 2.0 - 1.0) * 90e9).round() / 1e9;
        let t_min = ((48_000.0 + rng.unit() * 13_000.0) * 1e5).round() / 1e5;
        let exptime: f64 =
            if rng.chance(0.6) { rng.between(1, 3000) as f64 } else { (rng.unit() * 3000e3).round() / 1e3 };
        let em_min = rng.unit() * 2000.0 + 100.0;

        row.clear();
        if r > 0 {
            row.push(',');
        }
        row.push('{');
        for (c, (name, _)) in FIELDS.iter().enumerate() {
            if c > 0 {
                row.push(',');
            }
            let _ = write!(row, "\"{name}\":");
            if rng.chance(NULL_RATE[c]) {
                row.push_str("null");
                null_cells += 1;
                continue;
            }
            match *name {
                "dataproduct_type" => push_str(&mut row, rng.pick::<&str>(mission.products)),
                "obs_collection" => push_str(&mut row, mission.collection),
                "instrument_name" => push_str(&mut row, rng.pick::<&str>(mission.instruments)),
                "project" => push_str(&mut row, mission.project),
                "filters" => push_str(&mut row, rng.pick::<&str>(mission.filters)),
                "wavelength_region" => push_str(&mut row, rng.pick::<&str>(mission.regions)),
                "target_name" => push_str(&mut row, rng.pick::<&str>(TARGETS)),
                "target_classification" => push_str(&mut row, rng.pick::<&str>(CLASSES)),
                "obs_id" => push_str(&mut row, &obs_id),
                "s_ra" => push_f64(&mut row, ra),
                "s_dec" => push_f64(&mut row, dec),
                "proposal_id" => {
                    let _ = write!(row, "\"{}\"", rng.between(1000, 17_999));
                }
                "proposal_pi" => push_str(&mut row, rng.pick::<&str>(PIS)),
                "calib_level" => {
                    let _ = write!(row, "{}", *rng.pick(&[1, 2, 2, 3, 3, 3, 4]));
                }
                "t_min" => push_f64(&mut row, t_min),
                "t_max" => push_f64(&mut row, ((t_min + exptime / 86_400.0 + 0.0001) * 1e5).round() / 1e5),
                "t_exptime" => push_f64(&mut row, exptime),
                // Wavelengths are single-precision values widened to double, as MAST sends them.
                "em_min" => push_f64(&mut row, f64::from(em_min as f32)),
                "em_max" => push_f64(&mut row, f64::from((em_min * (1.1 + rng.unit())) as f32)),
                "obs_title" => {
                    row.push('"');
                    let words = rng.between(4, 12);
                    for k in 0..words {
                        if k > 0 {
                            row.push(' ');
                        }
                        if rng.chance(0.02) {
                            row.push_str("\\\"DEEP\\\"");
                        } else {
                            row.push_str(rng.pick::<&str>(WORDS));
                        }
                    }
                    row.push('"');
                }
                "t_obs_release" => push_f64(&mut row, ((t_min + 365.0 + rng.unit() * 30.0) * 1e5).round() / 1e5),
                "s_region" => push_region(&mut rng, &mut row, ra, dec),
                "jpegURL" => {
                    if mission.collection == "HST" {
                        let _ = write!(row, "\"https://archive.stsci.edu/hst/previews/{}/{obs_id}.jpg\"", &obs_id[..4]);
                    } else {
                        let _ = write!(row, "\"mast:{}/product/{obs_id}_preview.jpg\"", mission.collection);
                    }
                }
                "dataURL" => {
                    let _ =
                        write!(row, "\"mast:{}/product/{}_drz.fits\"", mission.collection, obs_id.to_ascii_lowercase());
                }
                // MAST sends these "string" ids as JSON integers.
                "obsid" => {
                    let _ = write!(row, "{}", 2_000_000_000 + rng.between(0, 999_999_999));
                }
                "objID" => {
                    let _ = write!(row, "{}", 2_010_000_000 + rng.between(0, 999_999_999));
                }
                "distance" => {
                    if rng.chance(0.2) {
                        row.push('0');
                    } else {
                        push_f64(&mut row, rng.unit() * 600.0);
                    }
                }
                _ => row.push_str("null"),
            }
        }
        row.push('}');
        body.extend_from_slice(row.as_bytes());
    }
    body.extend_from_slice(b"],\"fields\":[");
    for (i, (name, ty)) in FIELDS.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(format!("{{\"name\":\"{name}\",\"type\":\"{ty}\"}}").as_bytes());
    }
    body.extend_from_slice(
        format!("],\"paging\":{{\"page\":1,\"pageSize\":{rows},\"pagesFiltered\":1,\"rows\":{rows},\"rowsFiltered\":{rows},\"rowsTotal\":{rows}}}}}")
            .as_bytes(),
    );
    Generated { body, null_cells }
}

fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn push_f64(out: &mut String, x: f64) {
    let _ = write!(out, "{x}");
}

/// An observation id in the style of each mission.
fn make_obs_id(rng: &mut Rng, collection: &str, out: &mut String) {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    out.clear();
    match collection {
        "HST" => {
            // e.g. U27XCS01T: instrument letter, program, visit, exposure, source.
            out.push(*rng.pick(&['U', 'O', 'J', 'I', 'L', 'N', 'W']));
            for _ in 0..5 {
                out.push(*rng.pick(ALNUM) as char);
            }
            let _ = write!(out, "{:02}", rng.between(1, 99));
            out.push(*rng.pick(&['T', 'Q', 'M', 'J', 'S']));
        }
        "JWST" => {
            let _ = write!(
                out,
                "jw{:05}-o{:03}_t{:03}_nircam_clear-f{:03}w",
                rng.between(1000, 6000),
                rng.between(1, 200),
                rng.between(1, 50),
                rng.between(70, 480)
            );
        }
        "TESS" => {
            let _ =
                write!(out, "tess2018206045859-s{:04}-{:016}-0120-s", rng.between(1, 80), rng.between(1, 999_999_999));
        }
        "PS1" => {
            let _ = write!(out, "rings.v3.skycell.{:04}.{:03}.stk", rng.between(600, 2600), rng.between(0, 99));
        }
        _ => {
            let _ = write!(out, "{}", rng.between(1_000_000_000_000_000_000, 9_000_000_000_000_000_000));
        }
    }
}

/// A footprint of about 150 characters: mostly a closed 4-corner polygon, sometimes a circle.
fn push_region(rng: &mut Rng, out: &mut String, ra: f64, dec: f64) {
    if rng.chance(0.1) {
        let _ = write!(out, "\"CIRCLE ICRS {ra:.8} {dec:.8} {:.10}\"", rng.unit() * 0.1);
        return;
    }
    out.push_str("\"POLYGON ");
    out.push_str(rng.pick::<&str>(&["GSC1 ", "ICRS ", ""]));
    let size = 0.01 + rng.unit() * 0.05;
    let corners = [(size, size), (-size, size), (-size, -size), (size, -size), (size, size)];
    for (dx, dy) in corners {
        let _ = write!(out, " {:.8}  {:.8} ", (ra + dx).rem_euclid(360.0), (dec + dy).clamp(-90.0, 90.0));
    }
    out.pop();
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_those_of_the_recorded_caom_response() {
        let path = crate::workspace_root().join("mast-emulator/data/astroquery-recorded/caom.json");
        let recorded: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let fields: Vec<(&str, &str)> = recorded["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].as_str().unwrap(), f["type"].as_str().unwrap()))
            .collect();
        assert_eq!(fields, FIELDS);
    }

    #[test]
    fn generated_body_decodes_the_same_both_ways_and_is_deterministic() {
        let generated = generate(300, 5);
        assert_eq!(generated.body, generate(300, 5).body);
        let table = decode_ours(&generated.body).unwrap();
        let naive = baseline_decode(&generated.body).unwrap();
        cross_check(&table, &naive, 300).unwrap();
        let nulls = generated.null_cells as f64 / (300 * FIELDS.len()) as f64;
        assert!((0.07..0.15).contains(&nulls), "{nulls}");
        let obsid = table.column("obsid").unwrap();
        assert!(obsid.get_str(0).unwrap().parse::<u64>().is_ok());
    }
}
