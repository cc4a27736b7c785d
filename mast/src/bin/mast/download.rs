//! `mast download ...`: astroquery's `download_products` and `download_file`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use mast::download::{ManifestRow, ProgressEvent, Status, escape_for_terminal};
use mast::observations::{DownloadFileOptions, DownloadOptions, Layout};
use mast::{Column, DataType, MastClient, Observations, Table, Value, Warning};

use crate::Rows;
use crate::observations::{FilterArgs, ProductSource, product_source};

/// The exit statuses of the download subcommands, after their examples in `--help`.
macro_rules! exit_status_help {
    () => {
        "Exit status:
  0  every row COMPLETE or SKIPPED
  1  the command failed (last stderr line `ErrorClass: message`), nothing downloaded
  2  usage error
  3  some rows are ERROR (their Message says why); the manifest is printed. A --download-dir
     that cannot be created makes every row ERROR"
    };
}
pub(crate) use exit_status_help;

/// `mast download --help`: examples, then the exit statuses.
pub const DOWNLOAD_AFTER_HELP: &str = concat!(
    "Examples:
  mast download products 2003738726 --mrp-only
  mast download file mast:HST/product/u9o40504m_c3m.fits

",
    exit_status_help!()
);

#[derive(Subcommand, Debug)]
pub enum DownloadCommand {
    /// Download the data products of observations (filtered, de-duplicated)
    #[command(after_help = concat!("Examples:
  mast download products 2003738726 --mrp-only --download-dir data
  mast download products @obsids.txt --filter productType=SCIENCE --extension fits --urls-only
  mast observations products 2003738726 --format csv > p.csv
  mast download products --from-csv p.csv --filter productSubGroupDescription=C3M --cloud

", exit_status_help!()))]
    Products {
        #[command(flatten)]
        source: ProductSource,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        layout: LayoutArgs,
    },
    /// Download one product by its mast: URI (or an https URL)
    #[command(after_help = concat!("Examples:
  mast download file mast:HST/product/u9o40504m_c3m.fits --local-path data/
  mast download file mast:HST/product/u9o40504m_c3m.fits --cloud --cloud-only

", exit_status_help!()))]
    File {
        /// e.g. mast:HST/product/u9o40504m_c3m.fits
        uri: String,
        /// A file path (has a suffix) or a directory (created) [default: ./<file name>]
        #[arg(long, value_name = "PATH")]
        local_path: Option<PathBuf>,
        /// Download again even when the file is complete on disk
        #[arg(long)]
        no_cache: bool,
        /// Fetch the file from MAST's public S3 bucket when it is there, else from MAST
        /// (astroquery's enable_cloud_dataset)
        #[arg(long)]
        cloud: bool,
        /// With --cloud: skip the file (SKIPPED) when it is not in the cloud
        #[arg(long, conflicts_with = "force_on_prem")]
        cloud_only: bool,
        /// With --cloud: download from MAST over HTTPS anyway
        #[arg(long)]
        force_on_prem: bool,
    },
}

#[derive(Args, Debug)]
pub struct LayoutArgs {
    /// Base directory
    #[arg(long, default_value = ".", value_name = "DIR")]
    download_dir: PathBuf,
    /// Every file directly in the base directory (no mastDownload/<collection>/<obs_id>/)
    #[arg(long, conflicts_with = "no_prefix")]
    flat: bool,
    /// <collection>/<obs_id>/<file> without the mastDownload/ prefix
    #[arg(long)]
    no_prefix: bool,
    /// Only list where each file would go and the URL it comes from; download nothing
    #[arg(long)]
    urls_only: bool,
    /// Download again even when a file is complete on disk
    #[arg(long)]
    no_cache: bool,
    /// Download nothing but MAST's curl script for the files, as
    /// <DIR>/mastDownload_<YYYYmmddHHMMSS>.sh (astroquery's curl_flag=True)
    #[arg(long, conflicts_with = "urls_only")]
    curl: bool,
    /// Download nothing; write a bash script that fetches the files with curl (resumable)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["urls_only", "curl"])]
    curl_script: Option<PathBuf>,
    /// Fetch products from MAST's public S3 bucket when they are there, else from MAST
    /// (astroquery's enable_cloud_dataset)
    #[arg(long)]
    cloud: bool,
    /// With --cloud: skip products that are not in the cloud instead of using MAST
    #[arg(long)]
    cloud_only: bool,
}

/// What a download subcommand produced.
pub struct Done {
    /// The manifest as a table (`None` when there was nothing to do).
    pub table: Option<Table>,
    /// The warnings to report.
    pub warnings: Vec<Warning>,
    /// Its rows and how many are `ERROR`: the exit status.
    pub rows: Rows,
}

impl Done {
    /// A result whose table is a manifest (or a URL list, a curl script's rows).
    fn of(table: Option<Table>, warnings: Vec<Warning>) -> Done {
        let rows = table.as_ref().map(Rows::of_table).unwrap_or_default();
        Done { table, warnings, rows }
    }
}

/// Runs one subcommand.
pub async fn run(client: MastClient, command: DownloadCommand, quiet: bool) -> anyhow::Result<Done> {
    let mut obs = Observations::new(client);
    match command {
        DownloadCommand::Products { source, filter, layout } => {
            let filter = filter.to_filter()?;
            let mut warnings = Vec::new();
            if layout.cloud {
                obs.enable_cloud_dataset()?;
            }
            let (obs, ids, table) = product_source(obs, source, &mut warnings).await?;
            let shape = match (layout.flat, layout.no_prefix) {
                (true, _) => Layout::Flat,
                (false, true) => Layout::NestedNoPrefix,
                (false, false) => Layout::Nested,
            };
            let options = DownloadOptions::new()
                .download_dir(layout.download_dir)
                .layout(shape)
                .cache(!layout.no_cache)
                .cloud_only(layout.cloud_only)
                .filter(filter);
            if layout.curl {
                let table = match &table {
                    Some(t) => obs.download_curl_script(t, &options).await?,
                    None => obs.download_curl_script(&ids, &options).await?,
                };
                warnings.extend(table.warnings().iter().cloned());
                return Ok(Done::of((table.num_rows() > 0).then_some(table), warnings));
            }
            if let Some(script) = &layout.curl_script {
                let table = match &table {
                    Some(t) => obs.write_curl_script(t, &options, script).await?,
                    None => obs.write_curl_script(&ids, &options, script).await?,
                };
                warnings.extend(table.warnings().iter().cloned());
                return Ok(Done::of(Some(table), warnings));
            }
            if layout.urls_only {
                let table = match &table {
                    Some(t) => obs.product_urls(t, &options).await?,
                    None => obs.product_urls(&ids, &options).await?,
                };
                warnings.extend(table.warnings().iter().cloned());
                return Ok(Done::of(Some(table), warnings));
            }
            let progress = (!quiet).then(Progress::new);
            let options = match &progress {
                Some(p) => {
                    let p = p.clone();
                    options.on_progress(move |e| p.event(e))
                }
                None => options,
            };
            let done = match &table {
                Some(t) => obs.download_products(t, &options).await,
                None => obs.download_products(&ids, &options).await,
            };
            let done = done?;
            if let Some(p) = progress {
                p.finish(done.manifest.rows());
            }
            warnings.extend(done.warnings);
            let rows = Rows { total: done.manifest.len(), failed: done.manifest.count(Status::Error) };
            let table = (!done.manifest.is_empty()).then(|| done.manifest.to_table());
            Ok(Done { table, warnings, rows })
        }
        DownloadCommand::File { uri, local_path, no_cache, cloud, cloud_only, force_on_prem } => {
            if cloud {
                obs.enable_cloud_dataset()?;
            }
            let mut options =
                DownloadFileOptions::new().cache(!no_cache).cloud_only(cloud_only).force_on_prem(force_on_prem);
            if let Some(path) = local_path {
                options = options.local_path(path);
            }
            let done = obs.download_file(&uri, &options).await?;
            if !quiet {
                for row in done.manifest.rows() {
                    eprintln!(
                        "{}",
                        file_line(&row.local_path, row.status, row.bytes, row.cached, row.message.as_deref())
                    );
                }
            }
            let rows = Rows { total: done.manifest.len(), failed: done.manifest.count(Status::Error) };
            let Some(row) = done.manifest.rows().first() else {
                return Ok(Done { table: None, warnings: done.warnings, rows });
            };
            fn text(v: &Option<String>) -> Value<'_> {
                v.as_deref().map_or(Value::Masked, Value::Str)
            }
            let table = Table::new(vec![
                Column::from_values("status", DataType::String, [Value::Str(row.status.as_str())]),
                Column::from_values("msg", DataType::String, [text(&row.message)]),
                Column::from_values("url", DataType::String, [text(&row.url)]),
            ])?;
            Ok(Done { table: Some(table), warnings: done.warnings, rows })
        }
    }
}

/// The line printed for one finished file: its status and path (control characters
/// escaped), then why (an `ERROR` or `SKIPPED` row's Message), "already complete" for a file
/// found complete on disk, or the bytes received.
fn file_line(path: &Path, status: Status, bytes: u64, cached: bool, message: Option<&str>) -> String {
    let shown = path.display().to_string();
    let path = escape_for_terminal(&shown);
    let status_text = status.as_str();
    match (status, message) {
        (Status::Complete, _) if cached => format!("{status_text:<8} {path} (already complete)"),
        (Status::Error | Status::Skipped, Some(why)) => {
            format!("{status_text:<8} {path}: {}", escape_for_terminal(why))
        }
        _ => format!("{status_text:<8} {path} ({bytes} bytes)"),
    }
}

/// One overall bar (bytes, rate, files done) plus a line per finished file, on stderr.
/// indicatif draws nothing when stderr is not a terminal; the per-file lines are printed
/// either way.
#[derive(Clone)]
pub(crate) struct Progress {
    bar: indicatif::ProgressBar,
    state: std::sync::Arc<std::sync::Mutex<ProgressState>>,
}

#[derive(Default)]
struct ProgressState {
    /// Bytes counted on the bar per file, and whether its size was added to the total.
    files: std::collections::HashMap<PathBuf, (u64, bool)>,
    /// Files whose line was printed.
    finished: std::collections::HashSet<PathBuf>,
    done: usize,
}

impl Progress {
    pub(crate) fn new() -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Progress { bar, state: Default::default() }
    }

    pub(crate) fn event(&self, event: &ProgressEvent) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            ProgressEvent::Started { path, total, resumed_from } => {
                let entry = state.files.entry(path.clone()).or_default();
                if !entry.1 {
                    self.bar.inc_length(total.unwrap_or(0));
                    entry.1 = true;
                }
                let position = self.bar.position().saturating_sub(entry.0) + resumed_from;
                entry.0 = *resumed_from;
                self.bar.set_position(position);
            }
            ProgressEvent::Bytes { path, n } => {
                state.files.entry(path.clone()).or_default().0 += n;
                self.bar.inc(*n);
            }
            ProgressEvent::Finished { path, status, bytes, cached, message, .. } => {
                state.done += 1;
                state.finished.insert(path.clone());
                self.bar.set_message(format!("{} files done", state.done));
                self.line(file_line(path, *status, *bytes, *cached, message.as_deref()));
            }
            _ => {}
        }
    }

    fn line(&self, line: String) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Prints the lines of the rows no event told about (rows refused while planning, before
    /// any transfer), then clears the bar.
    pub(crate) fn finish(&self, rows: &[ManifestRow]) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // The manifest spells paths as astroquery does (`./mastDownload/...`), the events as
        // the files are opened: compare without `.` components, one ending the other.
        let plain =
            |p: &Path| -> PathBuf { p.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect() };
        let told: Vec<PathBuf> = state.finished.iter().map(|p| plain(p)).collect();
        let seen = |row: &Path| {
            let row = plain(row);
            told.iter().any(|t| t.ends_with(&row) || row.ends_with(t))
        };
        for row in rows.iter().filter(|r| !seen(&r.local_path)) {
            self.line(file_line(&row.local_path, row.status, row.bytes, row.cached, row.message.as_deref()));
        }
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_escape_control_characters() {
        let name = Path::new("dl/evil\u{1b}[2J\u{7}.fits");
        let line = file_line(name, Status::Complete, 10, false, None);
        assert_eq!(line, "COMPLETE dl/evil\\x1b[2J\\x07.fits (10 bytes)");
        assert!(!line.chars().any(char::is_control));
        let line = file_line(Path::new("x.fits"), Status::Error, 0, false, Some("HTTPError: 500\r\nboom"));
        assert_eq!(line, "ERROR    x.fits: HTTPError: 500\\x0d\\x0aboom");
        assert_eq!(escape_for_terminal("plain é name"), "plain é name");
        // C1 controls (U+009B is a one-character CSI) are escaped too.
        assert_eq!(escape_for_terminal("a\u{9b}31m"), "a\\u{9b}31m");
    }

    #[test]
    fn cached_and_skipped_lines() {
        let cached = file_line(Path::new("a.fits"), Status::Complete, 0, true, None);
        assert_eq!(cached, "COMPLETE a.fits (already complete)");
        let skipped = file_line(Path::new("a.fits"), Status::Skipped, 0, false, Some("not in the cloud"));
        assert_eq!(skipped, "SKIPPED  a.fits: not in the cloud");
    }
}
