//! `cargo xtask fuzz`: a mutation fuzzer for mast-proto that runs on stable Rust.
//!
//! The harnesses are shared with the libFuzzer targets of `fuzz/` (`fuzz/harness.rs`). For each
//! target this command starts itself again as `fuzz-one <target>` (so that a crash that cannot
//! be caught, such as a stack overflow or an abort, still names its input), which:
//!
//! 1. loads a corpus: the recorded MAST responses in `mast-emulator/data/astroquery-recorded/`
//!    for the JSON decoders (large ones shrunk), `fuzz/seeds/<target>/` (for the text
//!    targets, realistic user input: positions, radii, criteria, product filters), and
//!    `fuzz/corpus/<target>/` when `cargo fuzz` has made one;
//! 2. runs each seed, then mutated inputs (bit flips, byte insertion and deletion, splicing,
//!    truncation, JSON tokens replaced by edge values such as `-999`, `1e400`, `""`, `null`,
//!    huge integers or deep nesting) under `catch_unwind` until its time is up, keeping
//!    accepted inputs as new seeds;
//! 3. writes every input that panics to `target/fuzz-failures/<target>-<hash>.bin`.
//!
//! The command exits non-zero when any target failed.

use std::backtrace::Backtrace;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::args::Args;
use crate::harness::{Harness, TARGETS};
use crate::rng::Rng;
use crate::{CmdResult, target_dir, workspace_root};

/// Targets whose inputs are JSON response bodies, seeded from the recorded responses.
const JSON_TARGETS: &[&str] = &["portal_table", "services_table", "extjs_tables", "column_config", "path_lookup"];
/// Inputs are cut to this length (JSON bodies, and the short texts of the other targets).
const MAX_INPUT: usize = 256 * 1024;
const MAX_TEXT_INPUT: usize = 8 * 1024;
/// Recorded responses larger than this are shrunk (every array cut to a few elements).
const SHRINK_ABOVE: usize = 32 * 1024;
/// Seeds kept per target (recorded ones plus accepted mutants).
const MAX_CORPUS: usize = 512;
/// A target stops after this many failing inputs.
const MAX_FAILURES: usize = 25;
/// An execution slower than this is reported (not counted as a failure).
const SLOW: Duration = Duration::from_secs(2);

fn find_target(name: &str) -> Result<Harness, String> {
    TARGETS.iter().find(|t| t.0 == name).map(|t| t.1).ok_or_else(|| {
        let names: Vec<&str> = TARGETS.iter().map(|t| t.0).collect();
        format!("unknown fuzz target {name:?}; one of: {}", names.join(", "))
    })
}

fn failures_dir() -> Result<PathBuf, String> {
    let dir = target_dir().join("fuzz-failures");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// `fuzz [--seconds N] [--target NAME]... [--seed N] [--list] [--target NAME --repro FILE]`
pub fn main(mut args: Args) -> CmdResult {
    if args.flag("--list") {
        args.finish()?;
        for (name, _) in TARGETS {
            println!("{name}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let seconds: f64 = args.value("--seconds")?.unwrap_or(60.0);
    let mut names: Vec<String> = args.values("--target")?;
    let seed: Option<u64> = args.value("--seed")?;
    let repro: Option<PathBuf> = args.value("--repro")?;
    args.finish()?;
    for name in &names {
        find_target(name)?;
    }
    if let Some(file) = repro {
        return reproduce(&names, &file);
    }
    if names.is_empty() {
        names = TARGETS.iter().map(|t| t.0.to_owned()).collect();
    }
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(format!("--seconds must be positive, not {seconds}"));
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs() ^ u64::from(d.subsec_nanos()))
    });
    let dir = failures_dir()?;
    let slice = Duration::from_secs_f64(seconds / names.len() as f64);
    println!(
        "fuzz: {} targets, {:.1} s each, seed {seed} (repeat with --seed {seed})",
        names.len(),
        slice.as_secs_f64()
    );

    let exe = std::env::current_exe().map_err(|e| format!("cannot find the xtask executable: {e}"))?;
    let (mut total_execs, mut total_failures) = (0u64, 0u64);
    for (i, name) in names.iter().enumerate() {
        let outcome = run_child(&exe, name, slice, seed.wrapping_add(i as u64), &dir)?;
        total_execs += outcome.execs;
        total_failures += outcome.failures;
    }
    println!("fuzz: {total_execs} executions, {total_failures} failures in {} targets", names.len());
    if total_failures > 0 {
        println!(
            "fuzz: failing inputs are in {}; rerun one with `cargo xtask fuzz --target NAME --repro FILE`",
            dir.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one saved input through a target without catching the panic.
fn reproduce(names: &[String], file: &Path) -> CmdResult {
    let data = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let [name] = names else {
        return Err("--repro needs exactly one --target".into());
    };
    let accepted = find_target(name)?(&data);
    println!("{name}: no panic ({} bytes, {})", data.len(), if accepted { "accepted" } else { "rejected" });
    Ok(ExitCode::SUCCESS)
}

struct ChildOutcome {
    execs: u64,
    failures: u64,
}

/// Runs `fuzz-one <name>` in a child process and handles crashes and hangs.
fn run_child(exe: &Path, name: &str, slice: Duration, seed: u64, dir: &Path) -> Result<ChildOutcome, String> {
    let mut child = Command::new(exe)
        .args(["fuzz-one", name, "--millis", &slice.as_millis().to_string(), "--seed", &seed.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let reader = std::thread::spawn(move || {
        let mut stats = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match line.strip_prefix("STATS ") {
                Some(rest) => {
                    let mut it = rest.split(' ').map(|n| n.parse::<u64>().unwrap_or(0));
                    stats = Some((it.next().unwrap_or(0), it.next().unwrap_or(0)));
                }
                None => println!("{line}"),
            }
        }
        stats
    });
    // Generous: the seeds alone can take a while in the dev profile.
    let deadline = Instant::now() + slice + Duration::from_secs(120);
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break Some(status),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let stats = reader.join().ok().flatten();
    let (execs, failures) = stats.unwrap_or((0, 0));
    match status {
        Some(s) if s.success() => Ok(ChildOutcome { execs, failures }),
        Some(s) if s.code() == Some(1) && stats.is_some() => Ok(ChildOutcome { execs, failures: failures.max(1) }),
        other => {
            let what = match other {
                None => "hung (killed after its time was up)".to_owned(),
                Some(s) => format!("crashed ({s})"),
            };
            let inflight = dir.join(format!(".inflight-{name}.bin"));
            match fs::read(&inflight) {
                Ok(data) => {
                    let path = dir.join(format!("{name}-{:016x}.bin", fnv1a(&data)));
                    let _ = fs::write(&path, &data);
                    println!(
                        "FAILURE {name}: the fuzzer process {what}; input ({} bytes) saved as {}",
                        data.len(),
                        path.display()
                    );
                }
                Err(_) => println!("FAILURE {name}: the fuzzer process {what}; the input was not saved"),
            }
            Ok(ChildOutcome { execs, failures: failures + 1 })
        }
    }
}

/// The last panic: message with location, and backtrace.
static LAST_PANIC: Mutex<Option<(String, Backtrace)>> = Mutex::new(None);

/// `fuzz-one <name> --millis N --seed N`: fuzzes one target in this process.
pub fn main_one(mut args: Args) -> CmdResult {
    let name = args.positional().ok_or("fuzz-one needs a target")?;
    let millis: u64 = args.value("--millis")?.unwrap_or(10_000);
    let seed: u64 = args.value("--seed")?.unwrap_or(1);
    args.finish()?;
    let harness = find_target(&name)?;
    let dir = failures_dir()?;
    let mut corpus = load_corpus(&name)?;
    let seeds = corpus.len();
    let body_target = JSON_TARGETS.contains(&name.as_str());
    let json = body_target || name == "service_request";
    let max_len = if body_target { MAX_INPUT } else { MAX_TEXT_INPUT };
    let dict = dictionary(json);
    let mut rng = Rng::new(seed);
    let inflight_path = dir.join(format!(".inflight-{name}.bin"));
    let inflight =
        File::create(&inflight_path).map_err(|e| format!("cannot create {}: {e}", inflight_path.display()))?;

    panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some((message, Backtrace::force_capture()));
        }
    }));

    let start = Instant::now();
    let budget = Duration::from_millis(millis);
    let (mut execs, mut failures, mut slow) = (0u64, 0u64, 0u64);
    let mut locations: Vec<String> = Vec::new();
    let mut next_seed = 0;
    while next_seed < seeds || start.elapsed() < budget {
        let input = if next_seed < seeds {
            next_seed += 1;
            corpus[next_seed - 1].clone()
        } else {
            mutate(&mut rng, &corpus, seeds, &dict, json, max_len)
        };
        record_inflight(&inflight, &input);
        let t0 = Instant::now();
        let result = panic::catch_unwind(AssertUnwindSafe(|| harness(&input)));
        let took = t0.elapsed();
        execs += 1;
        if took > SLOW {
            slow += 1;
            let path = dir.join(format!("{name}-{:016x}.slow.bin", fnv1a(&input)));
            let _ = fs::write(&path, &input);
            println!(
                "  slow input: {name} took {:.1} s on {} bytes, saved as {}",
                took.as_secs_f64(),
                input.len(),
                path.display()
            );
        }
        match result {
            // Accepted inputs become seeds: without coverage feedback, they are the ones
            // that get past the parsers into the decoders.
            Ok(true) if next_seed >= seeds && rng.chance(0.25) => {
                if corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                } else {
                    let i = seeds + rng.below(corpus.len() - seeds);
                    corpus[i] = input;
                }
            }
            Ok(_) => {}
            Err(_) => {
                failures += 1;
                let (message, backtrace) = LAST_PANIC
                    .lock()
                    .ok()
                    .and_then(|mut l| l.take())
                    .unwrap_or_else(|| ("(no message)".into(), Backtrace::disabled()));
                let path = dir.join(format!("{name}-{:016x}.bin", fnv1a(&input)));
                let _ = fs::write(&path, &input);
                // Counted by the parent even if this process dies later.
                println!("STATS {execs} {failures}");
                let location = message.lines().next().unwrap_or_default().to_owned();
                if !locations.contains(&location) {
                    locations.push(location);
                    println!("FAILURE {name}: {}", clip(message.trim_end(), 2000));
                    println!("  input ({} bytes): {}", input.len(), path.display());
                    println!("  input preview: {}", preview(&input));
                    for line in relevant_frames(&backtrace) {
                        println!("    {line}");
                    }
                }
                if failures as usize >= MAX_FAILURES {
                    println!("  {name}: stopping after {failures} failures");
                    break;
                }
            }
        }
    }
    drop(inflight);
    let _ = fs::remove_file(&inflight_path);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fuzz {name}: {execs} executions ({:.0}/s), corpus {seeds} seeds + {} kept, {failures} failures ({} distinct){}",
        execs as f64 / secs,
        corpus.len() - seeds,
        locations.len(),
        if slow > 0 { format!(", {slow} slow inputs") } else { String::new() }
    );
    println!("STATS {execs} {failures}");
    Ok(if failures > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Keeps the input being run on disk, so that the parent can save it if this process dies.
fn record_inflight(file: &File, input: &[u8]) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let _ = file.set_len(input.len() as u64);
        let _ = file.write_all_at(input, 0);
    }
    #[cfg(not(unix))]
    let _ = (file, input);
}

/// The backtrace frames in mast-proto or the harness, with their source lines.
fn relevant_frames(backtrace: &Backtrace) -> Vec<String> {
    let text = backtrace.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        if line.contains("mast_proto::") || line.contains("harness::") {
            out.push(line.to_owned());
            if let Some(at) = lines.get(i + 1).map(|l| l.trim()).filter(|l| l.starts_with("at ")) {
                out.push(format!("  {at}"));
            }
        }
    }
    if out.is_empty() {
        out.push("(no mast-proto frames in the backtrace)".into());
    }
    out.truncate(40);
    out
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}... ({} more bytes)", &text[..at], text.len() - at),
        None => text.to_owned(),
    }
}

fn preview(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(&input[..input.len().min(300)]);
    let mut s: String = text.chars().flat_map(char::escape_debug).collect();
    if input.len() > 300 {
        s.push_str("...");
    }
    s
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

// ---------------------------------------------------------------------------------------------
// Corpus

fn load_corpus(name: &str) -> Result<Vec<Vec<u8>>, String> {
    let root = workspace_root();
    let mut corpus = Vec::new();
    if JSON_TARGETS.contains(&name) {
        let fixtures = root.join("mast-emulator/data/astroquery-recorded");
        for path in files_in(&fixtures) {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if ext == "json" || ext == "extjs" {
                let data = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                corpus.push(shrink(data));
            }
        }
    }
    for dir in [root.join("fuzz/seeds").join(name), root.join("fuzz/corpus").join(name)] {
        for path in files_in(&dir) {
            if let Ok(mut data) = fs::read(&path) {
                data.truncate(MAX_INPUT);
                corpus.push(data);
            }
        }
    }
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    Ok(corpus)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Cuts every array of a large JSON document to its first few elements.
fn shrink(data: Vec<u8>) -> Vec<u8> {
    fn cut(v: &mut Value) {
        match v {
            Value::Array(items) => {
                items.truncate(6);
                items.iter_mut().for_each(cut);
            }
            Value::Object(map) => map.values_mut().for_each(cut),
            _ => {}
        }
    }
    if data.len() <= SHRINK_ABOVE {
        return data;
    }
    match serde_json::from_slice::<Value>(&data) {
        Ok(mut v) => {
            cut(&mut v);
            serde_json::to_vec(&v).unwrap_or(data)
        }
        Err(_) => data[..SHRINK_ABOVE].to_vec(),
    }
}

// ---------------------------------------------------------------------------------------------
// Mutation

const JSON_EDGE_VALUES: &[&str] = &[
    "-999",
    "\"-999\"",
    "-999.0",
    "1e400",
    "-1e400",
    "1e-400",
    "\"\"",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "-0.0",
    "0.0",
    "1",
    "255",
    "256",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "1.7976931348623157e308",
    "5e-324",
    "123456789012345678901234567890",
    "1E5",
    "1e+5",
    "0.1e-5",
    "[]",
    "{}",
    "[null]",
    "[[]]",
    "{\"\":null}",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\udc00x\"",
    "\"\\ud83d\\ude00\"",
    "\"é\"",
    "\"\\u00e9\"",
    "\"NaN\"",
    "\"nan\"",
    "\"inf\"",
    "\"-inf\"",
    "\"Infinity\"",
    "\"1e400\"",
    "\" 12 \"",
    "\"0x10\"",
    "\"True\"",
    "\"false\"",
    "\"1,5\"",
    "\"12abc\"",
    "NaN",
    "Infinity",
    "\"status\"",
    "\"COMPLETE\"",
    "\"ERROR\"",
    "\"EXECUTING\"",
    "\"msg\"",
    "\"fields\"",
    "\"data\"",
    "\"results\"",
    "\"info\"",
    "\"paging\"",
    "\"page\"",
    "\"pageSize\"",
    "\"rows\"",
    "\"rowsTotal\"",
    "\"type\"",
    "\"name\"",
    "\"column_name\"",
    "\"db_type\"",
    "\"string\"",
    "\"float\"",
    "\"int\"",
    "\"boolean\"",
    "\"long\"",
    "\"double\"",
    "\"char\"",
    "\"date\"",
    "\"datetime\"",
    "\"short\"",
    "\"unsignedByte\"",
    "\"number\"",
    "\"decimal\"",
    "\"binary\"",
    "\"text\"",
    "\"real\"",
    "\"bigint\"",
    "\"Tables\"",
    "\"Rows\"",
    "\"Fields\"",
    "\"Columns\"",
    "\"ExtendedProperties\"",
    "\"ignoreValue\"",
    "\"_selected_\"",
    "\"dataIndex\"",
    "\"separator\"",
    "\"vot.datatype\"",
    "\"unit\"",
    "\"description\"",
    "\"obs_id\"",
    "\"s_ra\"",
    "\"t_exptime\"",
];

const TEXT_EDGE_VALUES: &[&str] = &[
    "h",
    "m",
    "s",
    "d",
    "deg",
    "°",
    "′",
    "″",
    "'",
    "\"",
    ":",
    " ",
    "  ",
    "+",
    "-",
    ".",
    ",",
    "e",
    "E",
    "arcmin",
    "arcsec",
    "mas",
    "rad",
    "hourangle",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "99999999999999999999999",
    "59.999999999999",
    "59.99999999999999999",
    "60",
    "24",
    "23.9999999999999999",
    "360",
    "359.99999999999999",
    "90",
    "-90",
    "90.000000000001",
    "0",
    "-0",
    "00",
    ".5",
    "5.",
    "1_000",
    "\t",
    "\n",
    "\u{a0}",
    "\u{3000}",
    "１",
    "٣",
    "\u{0}",
    "\u{feff}",
    "ß",
    "ǅ",
    // Criteria and product filters: lists, ranges, escapes, operators.
    "=",
    ",",
    "..",
    "\\,",
    "\\.",
    "\\\\",
    "\\",
    "!",
    "<",
    ">",
    "<=",
    ">=",
    "*",
    "obs_collection=",
    "s_dec=",
    "size=",
    "mrp_only=",
    "extension=",
];

fn dictionary(json: bool) -> Vec<&'static str> {
    if json { JSON_EDGE_VALUES.to_vec() } else { TEXT_EDGE_VALUES.to_vec() }
}

const INTERESTING_BYTES: &[u8] = b"\"{}[],:0123456789-+.eE\\ntfu \x00\xff\x7f\xc3\xa9\x80";

/// A mutant of a corpus entry: one to four stacked mutations.
fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], seeds: usize, dict: &[&str], json: bool, max_len: usize) -> Vec<u8> {
    // Half the time start from a recorded seed, so the kept mutants do not take over.
    let seeds = &corpus[..seeds.min(corpus.len())];
    let mut data = if rng.chance(0.5) { rng.pick(seeds) } else { rng.pick(corpus) }.clone();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        mutate_once(rng, &mut data, corpus, dict, json);
    }
    data.truncate(max_len);
    data
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Vec<u8>], dict: &[&str], json: bool) {
    let len = data.len();
    let pos = if len == 0 { 0 } else { rng.below(len + 1) };
    match rng.below(14) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // Overwrite a byte.
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = *rng.pick(INTERESTING_BYTES);
        }
        // Insert a few bytes.
        2 => {
            let n = 1 + rng.below(8);
            for _ in 0..n {
                let b = if rng.chance(0.5) { *rng.pick(INTERESTING_BYTES) } else { rng.below(256) as u8 };
                data.insert(pos.min(data.len()), b);
            }
        }
        // Delete a range.
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(64));
            data.drain(i..i + n);
        }
        // Duplicate a range elsewhere.
        4 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(256));
            let chunk = data[i..i + n].to_vec();
            let at = rng.below(data.len() + 1);
            data.splice(at..at, chunk);
        }
        // Splice: this input's head with another's tail.
        5 => {
            let other = rng.pick(corpus);
            let from = if other.is_empty() { 0 } else { rng.below(other.len()) };
            data.truncate(pos);
            data.extend_from_slice(&other[from..]);
        }
        // Truncate.
        6 if len > 0 => data.truncate(rng.below(len)),
        // Replace a token (JSON value or number) with an edge value.
        7..=9 => {
            let replacement = rng.pick(dict).as_bytes().to_vec();
            match token_span(data, pos, json, rng.chance(0.1)) {
                Some((a, b)) => {
                    data.splice(a..b, replacement);
                }
                None => {
                    data.splice(pos..pos, replacement);
                }
            }
        }
        // Insert an edge value.
        10 => {
            let v = rng.pick(dict).as_bytes().to_vec();
            data.splice(pos..pos, v);
        }
        // Copy one token over another.
        11 if len > 0 => {
            let from = rng.below(len);
            if let Some((a, b)) = token_span(data, from, json, false) {
                let token = data[a..b].to_vec();
                let to = rng.below(data.len() + 1);
                if let Some((c, d)) = token_span(data, to, json, false) {
                    data.splice(c..d, token);
                }
            }
        }
        // Deep nesting around a token, or a very long string.
        12 => {
            // Huge inputs are slow to run: make them rare.
            let depth = if rng.chance(0.05) { 50_000 } else { *rng.pick(&[2usize, 16, 127, 128, 129, 200, 1000]) };
            let (open, close): (&[u8], &[u8]) = if rng.chance(0.5) { (b"[", b"]") } else { (b"{\"a\":", b"}") };
            let (a, b) = token_span(data, pos, json, false).unwrap_or((pos, pos));
            let mut nested = open.repeat(depth);
            nested.extend_from_slice(if a == b { b"1" } else { &data[a..b] });
            nested.extend_from_slice(&close.repeat(depth));
            data.splice(a..b, nested);
        }
        13 => {
            let n = if rng.chance(0.05) { 70_000 } else { *rng.pick(&[1usize, 100, 4096]) };
            let mut s = b"\"".to_vec();
            s.extend(std::iter::repeat_n(*rng.pick(b"A9 \\\xc3"), n));
            s.push(b'"');
            let (a, b) = token_span(data, pos, json, false).unwrap_or((pos, pos));
            data.splice(a..b, s);
        }
        _ => {
            let i = rng.below(len.max(1));
            if i < data.len() {
                data[i] = rng.below(256) as u8;
            } else {
                data.push(rng.below(256) as u8);
            }
        }
    }
}

/// The span of the token at or after `from`: a JSON string, number or literal (or, with
/// `containers`, a whole array or object); in text, a run of digits.
fn token_span(data: &[u8], from: usize, json: bool, containers: bool) -> Option<(usize, usize)> {
    let mut i = from;
    while i < data.len() {
        let c = data[i];
        if json {
            match c {
                b'"' => {
                    let mut j = i + 1;
                    while j < data.len() && data[j] != b'"' {
                        j += if data[j] == b'\\' { 2 } else { 1 };
                    }
                    return Some((i, (j + 1).min(data.len())));
                }
                b'-' | b'0'..=b'9' => {
                    return Some((
                        i,
                        scan(data, i + 1, |b| matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')),
                    ));
                }
                b't' | b'f' | b'n' if i == 0 || !data[i - 1].is_ascii_alphanumeric() => {
                    return Some((i, scan(data, i, |b| b.is_ascii_alphabetic())));
                }
                b'[' | b'{' if containers => return Some((i, matching_close(data, i))),
                _ => i += 1,
            }
        } else if c.is_ascii_digit() {
            return Some((i, scan(data, i, |b| b.is_ascii_digit() || b == b'.')));
        } else {
            i += 1;
        }
    }
    None
}

fn scan(data: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    data[from.min(data.len())..].iter().position(|b| !keep(*b)).map_or(data.len(), |n| from + n)
}

/// The end (exclusive) of the array or object opening at `open`, skipping strings.
fn matching_close(data: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < data.len() {
        match data[i] {
            b'"' => {
                i += 1;
                while i < data.len() && data[i] != b'"' {
                    i += if data[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_runs_clean() {
        for (name, harness) in TARGETS {
            let corpus = load_corpus(name).unwrap();
            assert!(corpus.len() > 5, "{name}: {} seeds", corpus.len());
            let accepted = corpus.iter().filter(|input| harness(input)).count();
            assert!(accepted > 0, "{name}: no seed is accepted");
        }
    }

    #[test]
    fn mutants_stay_within_bounds() {
        let corpus = vec![br#"{"a": [1, "x", null, {"b": -2.5e3}]}"#.to_vec(), b"12h30m 4d".to_vec(), Vec::new()];
        let mut rng = Rng::new(3);
        for json in [true, false] {
            let dict = dictionary(json);
            for _ in 0..2000 {
                let m = mutate(&mut rng, &corpus, 2, &dict, json, 1000);
                assert!(m.len() <= 1000);
            }
        }
    }

    #[test]
    fn tokens() {
        let data = br#"{"k": -1.5e3, "s": "a\"b", "t": [true, {"x": null}]}"#;
        let span = |from, containers| token_span(data, from, true, containers).map(|(a, b)| &data[a..b]);
        assert_eq!(span(0, false), Some(&b"\"k\""[..]));
        assert_eq!(span(4, false), Some(&b"-1.5e3"[..]));
        assert_eq!(span(19, false), Some(&br#""a\"b""#[..]));
        assert_eq!(span(30, true), Some(&br#"[true, {"x": null}]"#[..]));
        assert_eq!(token_span(b"ab 12.5h", 0, false, false), Some((3, 7)));
    }
}
