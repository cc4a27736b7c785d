//! `mast download ...`: astroquery's `download_products` and `download_file`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mast::download::ProgressEvent;
use mast::observations::{DownloadFileOptions, DownloadOptions, Layout};
use mast::{Column, DataType, MastClient, Observations, Table, Value, Warning};

use crate::observations::{FilterArgs, ProductSource, product_source};

#[derive(Subcommand, Debug)]
pub enum DownloadCommand {
    /// Download the data products of observations (filtered, de-duplicated)
    Products {
        #[command(flatten)]
        source: ProductSource,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        layout: LayoutArgs,
    },
    /// Download one product by its mast: URI (or an https URL)
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

/// Runs one subcommand: the manifest as a table (or `None` when there was nothing to do),
/// with the warnings.
pub async fn run(
    client: MastClient,
    command: DownloadCommand,
    quiet: bool,
) -> anyhow::Result<(Option<Table>, Vec<Warning>)> {
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
                return Ok(((table.num_rows() > 0).then_some(table), warnings));
            }
            if let Some(script) = &layout.curl_script {
                let table = match &table {
                    Some(t) => obs.write_curl_script(t, &options, script).await?,
                    None => obs.write_curl_script(&ids, &options, script).await?,
                };
                warnings.extend(table.warnings().iter().cloned());
                return Ok((Some(table), warnings));
            }
            if layout.urls_only {
                let table = match &table {
                    Some(t) => obs.product_urls(t, &options).await?,
                    None => obs.product_urls(&ids, &options).await?,
                };
                warnings.extend(table.warnings().iter().cloned());
                return Ok((Some(table), warnings));
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
            if let Some(p) = progress {
                p.finish();
            }
            let done = done?;
            warnings.extend(done.warnings);
            let table = (!done.manifest.is_empty()).then(|| done.manifest.to_table());
            Ok((table, warnings))
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
            let row = &done.manifest.rows()[0];
            fn text(v: &Option<String>) -> Value<'_> {
                v.as_deref().map_or(Value::Masked, Value::Str)
            }
            let table = Table::new(vec![
                Column::from_values("status", DataType::String, [Value::Str(row.status.as_str())]),
                Column::from_values("msg", DataType::String, [text(&row.message)]),
                Column::from_values("url", DataType::String, [text(&row.url)]),
            ])?;
            Ok((Some(table), done.warnings))
        }
    }
}

/// One overall bar (bytes, rate, files done) plus a line per finished file, on stderr.
/// indicatif draws nothing when stderr is not a terminal; the per-file lines are printed
/// either way.
#[derive(Clone)]
struct Progress {
    bar: indicatif::ProgressBar,
    state: std::sync::Arc<std::sync::Mutex<ProgressState>>,
}

#[derive(Default)]
struct ProgressState {
    /// Bytes counted on the bar per file, and whether its size was added to the total.
    files: std::collections::HashMap<PathBuf, (u64, bool)>,
    done: usize,
}

impl Progress {
    fn new() -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Progress { bar, state: Default::default() }
    }

    fn event(&self, event: &ProgressEvent) {
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
            ProgressEvent::Finished { path, status, bytes } => {
                state.done += 1;
                self.bar.set_message(format!("{} files done", state.done));
                let line = format!("{status:<8} {} ({bytes} bytes)", path.display());
                if self.bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    self.bar.println(line);
                }
            }
            _ => {}
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
