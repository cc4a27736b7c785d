//! `cargo xtask mutants`: mutation testing with cargo-mutants over the modules named in
//! `.cargo/mutants.toml`, then a per-module summary of what the test suite caught.
//!
//! cargo-mutants does the work (it reads `.cargo/mutants.toml` itself); this command only
//! checks that it is installed, puts its output under `<target>/mutants` (never in the
//! source tree) and reads the outcome lists it writes (`caught.txt`, `missed.txt`,
//! `timeout.txt`, `unviable.txt`: one mutant per line, `file:line:col: description`) into a
//! table per module. A mutant that makes the tests hang is counted as caught: the suite did
//! not pass with it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::args::Args;
use crate::{CmdResult, target_dir, workspace_root};

/// The modules the summary groups mutants by (the `examine_globs` of `.cargo/mutants.toml`,
/// without their `**`); a mutant elsewhere is grouped under its crate's `src`.
const MODULES: &[&str] =
    &["mast-proto/src/client", "mast-proto/src/decode", "mast-download/src", "mast-observations/src"];

/// The share of viable mutants the suite must catch in every module (issue 18).
const TARGET_PERCENT: f64 = 90.0;

/// The outcome lists cargo-mutants writes, in the order the summary prints them.
const OUTCOMES: [&str; 4] = ["caught", "timeout", "missed", "unviable"];

/// `mutants [--summary DIR] [cargo-mutants options...]`.
pub fn main(mut args: Args) -> CmdResult {
    let summary_only: Option<PathBuf> = args.value("--summary")?;
    let out = match summary_only {
        Some(dir) => dir,
        None => {
            let passed = args.into_rest();
            let out = target_dir().join("mutants");
            run_cargo_mutants(&out, &passed)?;
            out
        }
    };
    let counts = read_outcomes(&out.join("mutants.out"))?;
    print!("{}", render(&counts));
    let below = counts.values().filter(|c| c.percent().is_some_and(|p| p < TARGET_PERCENT)).count();
    Ok(if below == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs `cargo mutants -o OUT ARGS...` from the workspace root; its own exit status (2 when a
/// mutant was missed, 3 on a timeout) is not an error here: the summary says what happened.
fn run_cargo_mutants(out: &Path, passed: &[String]) -> Result<(), String> {
    let installed = Command::new("cargo").args(["mutants", "--version"]).output().is_ok_and(|o| o.status.success());
    if !installed {
        return Err("cargo-mutants is not installed: `cargo install --locked cargo-mutants`".into());
    }
    if passed.iter().any(|a| a == "-o" || a.starts_with("--output")) {
        return Err("the output directory is <target>/mutants; read another with --summary DIR".into());
    }
    let status = Command::new("cargo")
        .current_dir(workspace_root())
        .arg("mutants")
        .arg("-o")
        .arg(out)
        .args(passed)
        .status()
        .map_err(|e| format!("cannot run cargo mutants: {e}"))?;
    match status.code() {
        // 0: all caught; 2: some missed; 3: some timed out (cargo-mutants' documented codes).
        Some(0 | 2 | 3) => Ok(()),
        _ => Err(format!("cargo mutants failed ({status}); its log is in {}", out.join("mutants.out").display())),
    }
}

/// What happened to the mutants of one module.
#[derive(Debug, Default, Clone, PartialEq)]
struct Counts {
    caught: usize,
    timeout: usize,
    missed: usize,
    unviable: usize,
}

impl Counts {
    fn add(&mut self, outcome: &str) {
        match outcome {
            "caught" => self.caught += 1,
            "timeout" => self.timeout += 1,
            "missed" => self.missed += 1,
            _ => self.unviable += 1,
        }
    }

    /// Caught (a timeout included) out of the viable mutants, or `None` when there are none.
    fn percent(&self) -> Option<f64> {
        let viable = self.caught + self.timeout + self.missed;
        (viable > 0).then(|| 100.0 * (self.caught + self.timeout) as f64 / viable as f64)
    }
}

/// The module of a mutant's file (`mast-download/src/http.rs:12:5: ...`).
fn module_of(line: &str) -> String {
    let file = line.split(':').next().unwrap_or(line);
    match MODULES.iter().find(|m| file.starts_with(&format!("{m}/"))) {
        Some(m) => (*m).to_owned(),
        None => file.split('/').take(2).collect::<Vec<_>>().join("/"),
    }
}

/// The counts per module of one cargo-mutants output directory (`.../mutants.out`).
fn read_outcomes(dir: &Path) -> Result<BTreeMap<String, Counts>, String> {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut found = false;
    for outcome in OUTCOMES {
        let path = dir.join(format!("{outcome}.txt"));
        let Ok(text) = fs::read_to_string(&path) else { continue };
        found = true;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            counts.entry(module_of(line)).or_default().add(outcome);
        }
    }
    if !found {
        return Err(format!("no cargo-mutants outcomes in {}", dir.display()));
    }
    Ok(counts)
}

/// The summary table, a total line, and the target.
fn render(counts: &BTreeMap<String, Counts>) -> String {
    let mut out = format!(
        "{:<24} {:>7} {:>7} {:>7} {:>8} {:>8}\n",
        "module", "caught", "timeout", "missed", "unviable", "caught%"
    );
    let mut total = Counts::default();
    let rows = counts.iter().map(|(m, c)| (m.as_str(), c.clone())).collect::<Vec<_>>();
    for (module, c) in &rows {
        total.caught += c.caught;
        total.timeout += c.timeout;
        total.missed += c.missed;
        total.unviable += c.unviable;
        out += &line(module, c);
    }
    out += &line("all", &total);
    out +=
        &format!("target: {TARGET_PERCENT:.0}% of viable mutants caught (a timeout counts as caught) in each module\n");
    out
}

fn line(name: &str, c: &Counts) -> String {
    let percent = c.percent().map_or("-".to_owned(), |p| format!("{p:.1}"));
    format!("{name:<24} {:>7} {:>7} {:>7} {:>8} {percent:>8}\n", c.caught, c.timeout, c.missed, c.unviable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_grouped_by_module_and_scored_on_viable_mutants() {
        let dir = std::env::temp_dir().join(format!("xtask-mutants-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        assert!(read_outcomes(&dir).is_err(), "no outcome files is an error, not an empty summary");
        let write = |name: &str, lines: &[&str]| fs::write(dir.join(format!("{name}.txt")), lines.join("\n")).unwrap();
        write(
            "caught",
            &[
                "mast-download/src/http.rs:1:1: replace a",
                "mast-download/src/s3.rs:2:1: replace b",
                "mast-proto/src/decode/scan.rs:3:1: replace c",
            ],
        );
        write("timeout", &["mast-download/src/part.rs:4:1: replace d"]);
        write("missed", &["mast-download/src/http.rs:5:1: replace e"]);
        write("unviable", &["mast-proto/src/decode/rows.rs:6:1: replace f", "mast-proto/src/table.rs:7:1: g"]);
        let counts = read_outcomes(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(counts["mast-download/src"], Counts { caught: 2, timeout: 1, missed: 1, unviable: 0 });
        assert_eq!(counts["mast-download/src"].percent(), Some(75.0));
        assert_eq!(counts["mast-proto/src/decode"], Counts { caught: 1, timeout: 0, missed: 0, unviable: 1 });
        assert_eq!(counts["mast-proto/src"], Counts { caught: 0, timeout: 0, missed: 0, unviable: 1 });
        assert_eq!(counts["mast-proto/src"].percent(), None);
        let table = render(&counts);
        assert!(table.lines().any(|l| l.starts_with("all") && l.ends_with("80.0")), "{table}");
    }
}
