//! `cargo xtask conformance`: runs `../shared/conformance`, which puts real astroquery 0.4.11
//! and our `mast` CLI in front of the same stand-in MAST (mockmast) and compares their tables
//! cell by cell.
//!
//! Steps, each stopping the run with a clear message when it fails:
//!
//! 1. find the conformance directory: `--dir`, else `$MAST_CONFORMANCE_DIR`, else
//!    `<workspace>/../shared/conformance` (the canonical harness of the development environment),
//!    else the copy of it kept in the repository, `conformance/harness`, so that a plain clone on
//!    a CI machine runs the same cases; when neither exists the command fails. When both exist
//!    and differ, it says which files differ (the copy is refreshed by copying the canonical one);
//! 2. check `conformance/cli-map.json` (the case → argv map) against `cases.json`;
//! 3. `setup.sh` with `CONFORMANCE_VENV=<target>/conformance/venv` (python3 and PyPI, once);
//! 4. the oracle, `oracle.py fixtures/real <target>/conformance/astroquery`, unless its last
//!    successful run is newer than the cases, the fixtures and the scripts (`--fresh` forces it);
//! 5. `cargo build -p mast --bin mast` (debug, in the shared target directory);
//! 6. `run_cli.py ... <target>/conformance/mast --cli <target>/debug/mast --cli-map ...`;
//! 7. `compare.py <astroquery> <mast> --semantics mast --skip-missing`, whose output (last line
//!    `N passed, M failed`) is printed as it is and whose exit status is this command's.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};
use std::time::{Instant, SystemTime};

use serde_json::Value;

use crate::args::Args;
use crate::{CmdResult, target_dir, workspace_root};

/// Where the canonical conformance directory is, relative to the workspace root.
const DEFAULT_DIR: &str = "../shared/conformance";
/// The repository's copy of [`DEFAULT_DIR`], used when the canonical one is absent.
const VENDORED_DIR: &str = "conformance/harness";
/// Generated or local-only entries of a conformance directory (its `.gitignore`), left out when
/// the copy is compared with the canonical directory.
const LOCAL_ONLY: &[&str] = &[".venv", "out", "__pycache__"];
/// The environment variable that overrides [`DEFAULT_DIR`].
const DIR_ENV: &str = "MAST_CONFORMANCE_DIR";
/// The project's case → argv map, relative to the workspace root.
const CLI_MAP: &str = "conformance/cli-map.json";
/// The fixture set every step uses.
const FIXTURE_SET: &str = "fixtures/real";
/// Parallel cases for the oracle and run_cli (CI machines have 2 cores).
const DEFAULT_JOBS: usize = 2;

/// The command line of `conformance`.
struct Options {
    dir: Option<PathBuf>,
    fresh: bool,
    only: Vec<String>,
    strict_errors: bool,
    warnings: bool,
    jobs: usize,
}

impl Options {
    /// Parses the options by hand: [`Args::value`] drops `_` from values, and case names and
    /// paths are full of them.
    fn parse(args: Args) -> Result<Options, String> {
        let mut options = Options {
            dir: None,
            fresh: false,
            only: Vec::new(),
            strict_errors: false,
            warnings: false,
            jobs: DEFAULT_JOBS,
        };
        let mut items = args.into_rest().into_iter().peekable();
        while let Some(item) = items.next() {
            let (name, inline) = match item.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
                _ => (item.clone(), None),
            };
            let value = |items: &mut std::iter::Peekable<std::vec::IntoIter<String>>| {
                inline
                    .clone()
                    .or_else(|| items.next_if(|v| !v.starts_with("--")))
                    .ok_or(format!("{name} needs a value"))
            };
            match name.as_str() {
                "--fresh" => options.fresh = true,
                "--strict-errors" => options.strict_errors = true,
                "--warnings" => options.warnings = true,
                "--dir" => options.dir = Some(PathBuf::from(value(&mut items)?)),
                "--jobs" => {
                    let v = value(&mut items)?;
                    options.jobs =
                        v.parse().ok().filter(|n| *n > 0).ok_or(format!("invalid value {v:?} for --jobs"))?;
                }
                "--only" => {
                    let first = value(&mut items)?;
                    options.only.extend(first.split(',').filter(|s| !s.is_empty()).map(str::to_owned));
                    while let Some(v) = items.next_if(|v| !v.starts_with('-')) {
                        options.only.extend(v.split(',').filter(|s| !s.is_empty()).map(str::to_owned));
                    }
                }
                _ => return Err(format!("unexpected argument {item:?} (run `cargo xtask help`)")),
            }
        }
        Ok(options)
    }
}

/// `conformance [--dir DIR] [--fresh] [--only NAME...] [--strict-errors] [--warnings] [--jobs N]`.
pub fn main(args: Args) -> CmdResult {
    let options = Options::parse(args)?;
    let root = workspace_root();
    let dir = conformance_dir(&options, std::env::var_os(DIR_ENV), &root)?;
    if fs::canonicalize(root.join(DEFAULT_DIR)).is_ok_and(|d| d == dir) {
        let stale = differing_files(&dir, &root.join(VENDORED_DIR));
        if !stale.is_empty() {
            note(&format!(
                "warning: {VENDORED_DIR} differs from {DEFAULT_DIR} in {}; refresh the copy with \
                 `cp -r {DEFAULT_DIR}/. {VENDORED_DIR}/` and commit it",
                stale.join(", ")
            ));
        }
    }
    let started = Instant::now();
    let cases = case_names(&dir)?;
    let map = root.join(CLI_MAP);
    check_cli_map(&map, &cases)?;
    for name in &options.only {
        if !cases.contains(name) {
            return Err(format!("--only {name}: no such case in {}", dir.join("cases.json").display()));
        }
    }

    let work = target_dir().join("conformance");
    fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let venv = work.join("venv");
    let oracle_out = work.join("astroquery");
    let mast_out = work.join("mast");

    note(&format!("conformance: {} ({} cases, {} mapped)", dir.display(), cases.len(), mapped_count(&map)?));
    setup(&dir, &venv)?;
    oracle(&dir, &venv, &oracle_out, &options)?;
    let cli = build_cli()?;
    run_cli(&dir, &mast_out, &cli, &map, &options)?;

    // compare.py prints one line per failing case and, last, exactly `N passed, M failed`.
    // compare.py has no --only: with --only it compares copies holding only those cases.
    let (a, b) = if options.only.is_empty() {
        (oracle_out, mast_out)
    } else {
        only_view(&work.join("only"), &oracle_out, &mast_out, &options.only)?
    };
    let mut compare = python(&dir, "compare.py");
    compare.arg(&a).arg(&b).args(["--semantics", "mast", "--skip-missing"]);
    if options.strict_errors {
        compare.arg("--strict-errors");
    }
    if options.warnings {
        compare.arg("--warnings");
    }
    let status = compare.status().map_err(|e| spawn_error("python3", &e))?;
    note(&format!("conformance: done in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// The conformance directory, or `None` when the default one is absent. A directory named
/// by `--dir` or `$MAST_CONFORMANCE_DIR` (`env_dir`, its value) must exist.
fn conformance_dir(options: &Options, env_dir: Option<OsString>, root: &Path) -> Result<PathBuf, String> {
    let explicit = options
        .dir
        .clone()
        .map(|d| (d, "--dir"))
        .or_else(|| env_dir.filter(|v| !v.is_empty()).map(|d| (PathBuf::from(d), DIR_ENV)));
    let is_harness = |dir: &Path| dir.join("cases.json").is_file();
    let found = match explicit {
        Some((dir, from)) if !is_harness(&dir) => {
            return Err(format!("{from}: {} is not a conformance directory (no cases.json)", dir.display()));
        }
        Some((dir, _)) => dir,
        None => [DEFAULT_DIR, VENDORED_DIR].iter().map(|d| root.join(d)).find(|d| is_harness(d)).ok_or_else(|| {
            format!(
                "no conformance directory: neither {DEFAULT_DIR} nor {VENDORED_DIR} has a cases.json \
                 (--dir or {DIR_ENV} to point elsewhere)"
            )
        })?,
    };
    Ok(fs::canonicalize(&found).unwrap_or(found))
}

/// The files (relative paths) that are not the same in the two directory trees, generated and
/// local-only entries ([`LOCAL_ONLY`]) left out; empty when the trees are equal or `copy` is
/// absent.
fn differing_files(canonical: &Path, copy: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if LOCAL_ONLY.iter().any(|l| name == *l) {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if let Ok(bytes) = fs::read(&path) {
                let rel = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().into_owned();
                out.push((rel, bytes));
            }
        }
    }
    if !copy.is_dir() {
        return Vec::new();
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    walk(canonical, canonical, &mut a);
    walk(copy, copy, &mut b);
    a.sort();
    b.sort();
    let mut names: Vec<String> = a
        .iter()
        .filter(|f| !b.contains(f))
        .chain(b.iter().filter(|f| !a.contains(f)))
        .map(|(name, _)| name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The case names of `cases.json`.
fn case_names(dir: &Path) -> Result<Vec<String>, String> {
    let doc = read_json(&dir.join("cases.json"))?;
    let cases = doc.get("cases").and_then(Value::as_array).ok_or("cases.json has no \"cases\" list")?;
    Ok(cases.iter().filter_map(|c| c.get("name").and_then(Value::as_str)).map(str::to_owned).collect())
}

/// Checks the map before anything is built: a JSON object whose keys are `_comments` or case
/// names of `cases.json` and whose values are lists of strings.
fn check_cli_map(path: &Path, cases: &[String]) -> Result<(), String> {
    let doc = read_json(path)?;
    let map = doc.as_object().ok_or_else(|| format!("{}: not a JSON object", path.display()))?;
    let mut unknown = Vec::new();
    for (name, argv) in map.iter().filter(|(k, _)| !k.starts_with('_')) {
        if !cases.contains(name) {
            unknown.push(name.as_str());
        }
        if !argv.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
            return Err(format!("{}: the argv of {name:?} is not a list of strings", path.display()));
        }
    }
    if !unknown.is_empty() {
        return Err(format!("{} names cases that are not in cases.json: {}", path.display(), unknown.join(", ")));
    }
    Ok(())
}

fn mapped_count(path: &Path) -> Result<usize, String> {
    let doc = read_json(path)?;
    Ok(doc
        .as_object()
        .map_or(0, |m| m.iter().filter(|(k, v)| !k.starts_with('_') && v != &&Value::Array(vec![])).count()))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: invalid JSON: {e}", path.display()))
}

/// Runs `setup.sh` (quick when the venv is already there).
fn setup(dir: &Path, venv: &Path) -> Result<(), String> {
    let status = Command::new("bash")
        .arg(dir.join("setup.sh"))
        .env("CONFORMANCE_VENV", venv)
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| spawn_error("bash", &e))?;
    if !status.success() {
        return Err(format!(
            "setup.sh failed ({status}): the oracle's virtual environment ({}) needs python3 (3.11 or newer) \
             and access to PyPI to install astroquery 0.4.11",
            venv.display()
        ));
    }
    Ok(())
}

/// Runs the oracle unless its last successful run (the stamp file) is newer than everything
/// its output depends on.
fn oracle(dir: &Path, venv: &Path, out: &Path, options: &Options) -> Result<(), String> {
    let stamp = out.with_extension("stamp");
    let inputs = newest_input(dir, venv);
    let cached = !options.fresh
        && out.is_dir()
        && match (mtime(&stamp), inputs) {
            (Some(done), Some(newest)) => done > newest,
            _ => false,
        };
    if cached {
        note(&format!("conformance: oracle output is up to date ({}; --fresh reruns it)", out.display()));
        return Ok(());
    }
    let _ = fs::remove_file(&stamp);
    note("conformance: running the oracle (astroquery 0.4.11)...");
    let python = venv.join("bin").join("python");
    let output = Command::new(&python)
        .arg(dir.join("oracle.py"))
        .arg(dir.join(FIXTURE_SET))
        .arg(out)
        .args(["--jobs", &options.jobs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| spawn_error(&python.display().to_string(), &e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        eprint!("{stdout}");
        return Err(format!("oracle.py failed ({})", output.status));
    }
    note(last_line(&stdout));
    fs::write(&stamp, "oracle.py finished\n").map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(())
}

/// The newest modification time among the oracle's inputs: the cases, the scripts, the
/// fixture sets and the directories their `routes.json` search, and the venv. `None` when one
/// cannot be read (the oracle then runs).
fn newest_input(dir: &Path, venv: &Path) -> Option<SystemTime> {
    let mut roots: Vec<PathBuf> =
        ["cases.json", "oracle.py", "mockmast.py", "constraints.txt", "fixtures"].iter().map(|f| dir.join(f)).collect();
    roots.push(venv.join("pyvenv.cfg"));
    if let Ok(Value::Object(routes)) = read_json(&dir.join(FIXTURE_SET).join("routes.json")) {
        for search in routes.get("search").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            roots.push(dir.join(FIXTURE_SET).join(search));
        }
    }
    let mut newest = SystemTime::UNIX_EPOCH;
    for root in roots {
        newest = newest.max(newest_under(&root)?);
    }
    Some(newest)
}

/// The newest modification time of a file, or of anything under a directory.
fn newest_under(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    let mut newest = meta.modified().ok()?;
    if meta.is_dir() {
        for entry in fs::read_dir(path).ok()? {
            newest = newest.max(newest_under(&entry.ok()?.path())?);
        }
    }
    Some(newest)
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).ok()?.modified().ok()
}

/// `cargo build -p mast --bin mast` (debug, the workspace's target directory); the binary's path.
fn build_cli() -> Result<PathBuf, String> {
    note("conformance: building the mast CLI (cargo build -p mast --bin mast)...");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--quiet", "-p", "mast", "--bin", "mast"])
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| spawn_error("cargo", &e))?;
    if !status.success() {
        return Err(format!("cargo build -p mast --bin mast failed ({status})"));
    }
    let cli = target_dir().join("debug").join(format!("mast{}", std::env::consts::EXE_SUFFIX));
    if !cli.is_file() {
        return Err(format!("cargo build succeeded but {} is missing", cli.display()));
    }
    Ok(cli)
}

/// Runs every mapped case (or the `--only` ones) with the CLI; prints run_cli's summary, and
/// its whole output when it fails.
fn run_cli(dir: &Path, out: &Path, cli: &Path, map: &Path, options: &Options) -> Result<(), String> {
    note("conformance: running the mast CLI on the mapped cases...");
    let mut run = python(dir, "run_cli.py");
    run.arg(dir.join(FIXTURE_SET))
        .arg(out)
        .arg("--cli")
        .arg(cli)
        .arg("--cli-map")
        .arg(map)
        .args(["--jobs", &options.jobs.to_string()]);
    if !options.only.is_empty() {
        run.arg("--only").args(&options.only);
    }
    let output: Output = run.stderr(Stdio::inherit()).output().map_err(|e| spawn_error("python3", &e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        eprint!("{stdout}");
        return Err(format!("run_cli.py failed ({})", output.status));
    }
    note(last_line(&stdout));
    Ok(())
}

/// Copies the output files of the `only` cases from `a` and `b` into `<view>/astroquery` and
/// `<view>/mast` (emptied first), for compare.py.
fn only_view(view: &Path, a: &Path, b: &Path, only: &[String]) -> Result<(PathBuf, PathBuf), String> {
    let mut dirs = Vec::new();
    for (from, name) in [(a, "astroquery"), (b, "mast")] {
        let to = view.join(name);
        if to.exists() {
            fs::remove_dir_all(&to).map_err(|e| format!("cannot empty {}: {e}", to.display()))?;
        }
        fs::create_dir_all(&to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
        for entry in fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))? {
            let path = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?.path();
            let Some(file) = path.file_name().and_then(|f| f.to_str()) else { continue };
            let case = file.split_once('.').map_or(file, |(stem, _)| stem);
            if path.is_file() && only.iter().any(|o| o == case) {
                fs::copy(&path, to.join(file)).map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
            }
        }
        dirs.push(to);
    }
    let b = dirs.pop().unwrap_or_default();
    let a = dirs.pop().unwrap_or_default();
    Ok((a, b))
}

/// `python3 <dir>/<script>` (the standard-library scripts need no venv).
fn python(dir: &Path, script: &str) -> Command {
    let mut command = Command::new("python3");
    command.arg(dir.join(script)).env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

fn last_line(text: &str) -> &str {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
}

fn spawn_error(program: &str, e: &std::io::Error) -> String {
    format!("could not run {program}: {e} (the conformance run needs bash and python3 3.11 or newer)")
}

/// Progress goes to stderr; stdout carries compare.py's report only.
fn note(line: &str) {
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(line: &str) -> Result<Options, String> {
        Options::parse(Args::new(line.split_whitespace().map(str::to_owned).collect()))
    }

    #[test]
    fn options_keep_underscores_and_lists() {
        let o = options("--only obs_query_region mast_resolve_object,obs_list_missions --strict-errors --dir=/x_y")
            .unwrap();
        assert_eq!(o.only, ["obs_query_region", "mast_resolve_object", "obs_list_missions"]);
        assert!(o.strict_errors && !o.warnings && !o.fresh);
        assert_eq!(o.dir.as_deref(), Some(Path::new("/x_y")));
        assert_eq!(o.jobs, DEFAULT_JOBS);
        assert_eq!(options("--jobs 3 --fresh").unwrap().jobs, 3);
        assert!(options("--jobs 0").is_err());
        assert!(options("--only").is_err());
        assert!(options("--bogus").is_err());
    }

    #[test]
    fn the_canonical_dir_then_the_copy_and_neither_is_an_error() {
        let tmp = std::env::temp_dir().join(format!("xtask-conformance-{}", std::process::id()));
        let root = tmp.join("mast-rs");
        let canonical = root.join(DEFAULT_DIR);
        let copy = root.join(VENDORED_DIR);
        let mut o = options("").unwrap();
        // Neither: an error that names both places (the command exits non-zero, never "skipped").
        let none = conformance_dir(&o, None, &root).unwrap_err();
        assert!(none.contains(DEFAULT_DIR) && none.contains(VENDORED_DIR), "{none}");
        assert!(conformance_dir(&o, Some(OsString::new()), &root).is_err(), "an empty variable is unset");
        // The copy alone.
        fs::create_dir_all(copy.join("fixtures")).unwrap();
        fs::write(copy.join("cases.json"), "{}").unwrap();
        fs::write(copy.join("fixtures/a.json"), "1").unwrap();
        assert_eq!(conformance_dir(&o, None, &root).unwrap(), fs::canonicalize(&copy).unwrap());
        // The canonical one wins; the trees are compared without their local-only entries.
        fs::create_dir_all(canonical.join("fixtures")).unwrap();
        fs::create_dir_all(canonical.join(".venv")).unwrap();
        fs::write(canonical.join(".venv/python"), "x").unwrap();
        fs::write(canonical.join("cases.json"), "{}").unwrap();
        fs::write(canonical.join("fixtures/a.json"), "1").unwrap();
        assert_eq!(conformance_dir(&o, None, &root).unwrap(), fs::canonicalize(&canonical).unwrap());
        assert!(differing_files(&canonical, &copy).is_empty());
        fs::write(canonical.join("fixtures/a.json"), "2").unwrap();
        fs::write(canonical.join("new.py"), "").unwrap();
        assert_eq!(differing_files(&canonical, &copy), ["fixtures/a.json", "new.py"]);
        // An explicit directory must be one, whatever else exists.
        let from_env = conformance_dir(&o, Some(root.join("env").into_os_string()), &root).unwrap_err();
        assert!(from_env.contains(DIR_ENV), "{from_env}");
        o.dir = Some(root.join("elsewhere"));
        let both = conformance_dir(&o, Some(root.join("env").into_os_string()), &root).unwrap_err();
        assert!(both.contains("--dir"), "--dir wins over the variable: {both}");
        fs::remove_dir_all(&tmp).unwrap();
    }
}
