//! `download_products` and `download_file`: astroquery's layouts and manifests over
//! mast-download's verified, resumable downloads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mast_download::{BatchOptions, DownloadItem, Manifest, ManifestRow, ProgressEvent, Source, Status};
use mast_proto::products::{ProductFilter, filter_products, unique_products};
use mast_proto::{Column, DataType, Table, Value, Warning, WarningCategory};

use crate::error::invalid;
use crate::{ObsIds, Observations, Result, warn};

/// Options of [`Observations::download_products`] (astroquery's keyword arguments).
///
/// ```
/// use mast_observations::DownloadOptions;
/// use mast_proto::products::ProductFilter;
/// let opts = DownloadOptions::new().download_dir("data").flat(true).filter(ProductFilter::new().mrp_only(true));
/// # let _ = opts;
/// ```
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    download_dir: PathBuf,
    layout: Layout,
    cache: bool,
    filter: ProductFilter,
    cloud_only: bool,
    progress: Option<ProgressCallback>,
}

/// A progress callback ([`DownloadOptions::on_progress`]).
#[derive(Clone)]
struct ProgressCallback(Arc<dyn Fn(&ProgressEvent) + Send + Sync>);

impl std::fmt::Debug for ProgressCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressCallback")
    }
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            download_dir: PathBuf::from("."),
            layout: Layout::Nested,
            cache: true,
            filter: ProductFilter::new(),
            cloud_only: false,
            progress: None,
        }
    }
}

impl DownloadOptions {
    /// Into `.`, nested layout, cached files reused, no filters.
    pub fn new() -> Self {
        Self::default()
    }
    /// The base directory (default `.`).
    pub fn download_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.download_dir = dir.into();
        self
    }
    /// Where files go below the download directory (default [`Layout::Nested`]).
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }
    /// astroquery's `flat=True`: [`Layout::Flat`] (or back to [`Layout::Nested`]).
    pub fn flat(self, flat: bool) -> Self {
        self.layout(if flat { Layout::Flat } else { Layout::Nested })
    }
    /// Reuse files already complete on disk (default true; no request when the size is known).
    pub fn cache(mut self, cache: bool) -> Self {
        self.cache = cache;
        self
    }
    /// Only the products this filter keeps (MRP only, extensions, any product column).
    pub fn filter(mut self, filter: ProductFilter) -> Self {
        self.filter = filter;
        self
    }
    /// astroquery's `cloud_only`: with cloud access enabled, skip (`SKIPPED`) products that
    /// have no cloud copy or whose cloud copy cannot be read, instead of fetching them from
    /// MAST. Without cloud access: an `InputWarning`, and MAST is used.
    pub fn cloud_only(mut self, cloud_only: bool) -> Self {
        self.cloud_only = cloud_only;
        self
    }
    /// Calls `f` with every [`ProgressEvent`] of the download (keep it quick).
    pub fn on_progress(mut self, f: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressCallback(Arc::new(f)));
        self
    }
}

/// A product to fetch (with its `mast:` URI when it was routed to its cloud copy), or a
/// row decided without fetching: `SKIPPED` (`cloud_only`) or `ERROR` (a refused path).
enum Planned {
    Fetch(DownloadItem, Option<String>),
    Decided(ManifestRow),
}

/// The planning step shared by every mode (download, URL-only, local curl script, MAST's
/// bundle.sh): one entry per product after filters and de-duplication, in order, with the
/// path shown for it (`Local Path`) and the warnings.
struct Plan {
    planned: Vec<Planned>,
    shown: Vec<PathBuf>,
    warnings: Vec<Warning>,
}

/// `Status` of a URL-only or curl-script row that would be fetched (see
/// [`Observations::product_urls`]).
pub const PLANNED: &str = "PLANNED";

/// Where downloaded products go below the download directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `mastDownload/<obs_collection>/<obs_id>/<file>` (astroquery's default).
    #[default]
    Nested,
    /// `<obs_collection>/<obs_id>/<file>`, without the `mastDownload` prefix.
    NestedNoPrefix,
    /// `<file>` (astroquery's `flat=True`).
    Flat,
}

/// The result of a download: the manifest and the warnings.
#[derive(Debug)]
pub struct Downloaded {
    /// One row per product, in order (`Local Path`, `Status`, `Message`, `URL`, bytes, time).
    pub manifest: Manifest,
    /// E.g. `NoResultsWarning: No products to download.`
    pub warnings: Vec<Warning>,
}

impl Observations {
    /// Downloads data products (astroquery's `download_products`): from a products table, or
    /// from observations (a table of observations or obsids, whose product lists are fetched
    /// first). Products are filtered, de-duplicated by `dataURI`, and written to
    /// `<dir>/mastDownload/<obs_collection>/<obs_id>/<file>` (see [`Layout`]),
    /// each through a temp file, verified against its listed `size`, then renamed.
    ///
    /// Failures are per file (an `ERROR` row); the rest go on. Before anything is fetched,
    /// every product's path is checked as the download itself checks it
    /// ([`mast_download::safe_join`]: no `..`, no absolute path, no link on the way, ...), and
    /// a product whose path lands on the same file as an earlier product's (two different
    /// `dataURI`s with one `productFilename` in the flat layout, say) is refused too: both
    /// are `ERROR` rows (`ValueError: unsafe file name ...`, naming the earlier product's
    /// `dataURI`), never fetched, never overwriting each other. With cloud access
    /// ([`Observations::enable_cloud_dataset`]), products with a copy in MAST's public S3
    /// bucket come from there (one path lookup per 40 products first), falling back to MAST
    /// over HTTPS when the copy cannot be read (an `InputWarning`), or `SKIPPED` with
    /// [`DownloadOptions::cloud_only`].
    pub async fn download_products(
        &self,
        products: impl Into<ObsIds<'_>>,
        options: &DownloadOptions,
    ) -> Result<Downloaded> {
        let Plan { planned, shown, mut warnings } = self.plan(products.into(), options, options.layout).await?;
        if planned.is_empty() {
            return Ok(Downloaded { manifest: Manifest::new(), warnings });
        }
        let planned = self.route(planned, &shown, options.cloud_only, &mut warnings).await?;
        let mut batch = BatchOptions::new().cache(options.cache);
        if let Some(ProgressCallback(f)) = &options.progress {
            let f = Arc::clone(f);
            batch = batch.on_progress(move |e| f(e));
        }
        let fetch: Vec<DownloadItem> =
            planned.iter().filter_map(|p| if let Planned::Fetch(i, _) = p { Some(i.clone()) } else { None }).collect();
        let mut fetched = self.downloader.download_all_with(fetch, &batch).await.into_rows().into_iter();
        let mut manifest = Manifest::new();
        for (plan, path) in planned.into_iter().zip(shown) {
            let mut row = match plan {
                Planned::Decided(row) => row,
                Planned::Fetch(item, data_uri) => {
                    let row = fetched.next().expect("one row per fetched item");
                    self.cloud_outcome(row, item.source(), data_uri.as_deref(), options.cloud_only, &mut warnings)
                }
            };
            row.local_path = path;
            manifest.push(row);
        }
        Ok(Downloaded { manifest, warnings })
    }

    /// astroquery's `download_products(..., curl_flag=True)`: instead of the files, MAST's
    /// curl script for them (`POST Download/bundle.sh` with one `uri` per product, after
    /// filters and de-duplication, in order), saved as
    /// `<download_dir>/mastDownload_<YYYYmmddHHMMSS>.sh` (local time). Returns astroquery's
    /// manifest: first the script's row, `Local Path` (the directory and name joined as
    /// text, so `./...` with the default directory), `Status` (`COMPLETE`, or `ERROR` with
    /// the message `Curl could not be downloaded`) and `Message`; no `URL` column. With
    /// nothing to download: no rows and a `NoResultsWarning`. [`Layout::Flat`] has no effect
    /// (`InputWarning`, as astroquery).
    ///
    /// MAST's script writes each file to `<folder>/<obs_collection>/<obs_id>/<file>` (the
    /// portal bundle layout), so the products are planned as [`Layout::NestedNoPrefix`] and
    /// checked as [`Observations::download_products`] checks them: a refused product is not
    /// sent to MAST and gets an `ERROR` row of its own after the script's row (its `Local
    /// Path` as the nested layout would give it, the reason in `Message`).
    pub async fn download_curl_script(
        &self,
        products: impl Into<ObsIds<'_>>,
        options: &DownloadOptions,
    ) -> Result<Table> {
        let Plan { planned, shown, mut warnings } = self.plan(products.into(), options, Layout::NestedNoPrefix).await?;
        if options.layout == Layout::Flat {
            let w = Warning::new(WarningCategory::Input, "flat=True has no effect on curl downloads.");
            tracing::warn!("{w}");
            warnings.push(w);
        }
        let mut rows: Vec<(String, &str, Option<String>)> = Vec::new();
        let uris: Vec<String> = planned
            .iter()
            .filter_map(|p| if let Planned::Fetch(i, _) = p { Some(i.source().to_uri()) } else { None })
            .collect();
        if !uris.is_empty() {
            let name = format!("{}.sh", mast_download::bundle_script_stem());
            let shown = mast_download::join_text(&options.download_dir, &name).to_string_lossy().into_owned();
            let path = options.download_dir.join(&name);
            match self.downloader.bundle_script(uris.iter().map(String::as_str), &path).await {
                Ok(_) => rows.push((shown, "COMPLETE", None)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "the curl script could not be downloaded");
                    rows.push((shown, "ERROR", Some("Curl could not be downloaded".into())));
                }
            }
        }
        for (plan, path) in planned.into_iter().zip(shown) {
            if let Planned::Decided(row) = plan {
                rows.push((path.to_string_lossy().into_owned(), row.status.as_str(), row.message));
            }
        }
        let mut table = Table::new(vec![
            Column::from_values("Local Path", DataType::String, rows.iter().map(|r| Value::Str(&r.0))),
            Column::from_values("Status", DataType::String, rows.iter().map(|r| Value::Str(r.1))),
            Column::from_values(
                "Message",
                DataType::String,
                rows.iter().map(|r| r.2.as_deref().map_or(Value::Masked, Value::Str)),
            ),
        ])?;
        warnings.into_iter().for_each(|w| table.push_warning(w));
        Ok(table)
    }

    /// What [`Observations::download_products`] would fetch, without fetching it: one row
    /// per product after filters and de-duplication, with the warnings. The columns are the
    /// manifest's: `Local Path`; `Status`, `PLANNED` for a product that would be fetched,
    /// `SKIPPED` for one `cloud_only` would skip, `ERROR` for one whose path is refused
    /// (outside the download directory, through a link, or the same file as an earlier
    /// product's: see [`Observations::download_products`]); `Message` (why, for `SKIPPED`
    /// and `ERROR`); `URL` (the exact request URL: `s3://` for cloud copies when cloud
    /// access is on; masked for a skipped product).
    ///
    /// ```
    /// use mast_emulator::{Emulator, EmulatorConfig};
    /// use mast_observations::{DownloadOptions, Observations};
    /// use mast_proto::{MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::start(EmulatorConfig::default()).await?;
    /// let obs = Observations::new(MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?);
    /// let urls = obs.product_urls("2003738726", &DownloadOptions::new()).await?;
    /// assert_eq!(urls.column_names().collect::<Vec<_>>(), ["Local Path", "Status", "Message", "URL"]);
    /// let status = urls.column("Status").unwrap();
    /// assert!((0..urls.num_rows()).all(|i| status.get_str(i) == Some("PLANNED")));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn product_urls(&self, products: impl Into<ObsIds<'_>>, options: &DownloadOptions) -> Result<Table> {
        self.urls_table(products.into(), options, true).await
    }

    /// [`Observations::product_urls`], through the cloud (`cloud`) or always from MAST.
    async fn urls_table(&self, products: ObsIds<'_>, options: &DownloadOptions, cloud: bool) -> Result<Table> {
        let Plan { planned, shown, mut warnings } = self.plan(products, options, options.layout).await?;
        let planned =
            if cloud { self.route(planned, &shown, options.cloud_only, &mut warnings).await? } else { planned };
        let config = self.client.config();
        // (local path, status, message, URL)
        let rows: Vec<(String, &str, Option<String>, Option<String>)> = planned
            .into_iter()
            .zip(&shown)
            .map(|(p, path)| {
                let path = path.to_string_lossy().into_owned();
                match p {
                    Planned::Fetch(item, _) => match item.source().request_url(config) {
                        Ok(url) => (path, PLANNED, None, Some(url)),
                        Err(e) => {
                            let row = ManifestRow::error(&path, e, None);
                            (path, row.status.as_str(), row.message, None)
                        }
                    },
                    Planned::Decided(row) => (path, row.status.as_str(), row.message, row.url),
                }
            })
            .collect();
        fn text(v: &Option<String>) -> Value<'_> {
            v.as_deref().map_or(Value::Masked, Value::Str)
        }
        let mut table = Table::new(vec![
            Column::from_values("Local Path", DataType::String, rows.iter().map(|r| Value::Str(&r.0))),
            Column::from_values("Status", DataType::String, rows.iter().map(|r| Value::Str(r.1))),
            Column::from_values("Message", DataType::String, rows.iter().map(|r| text(&r.2))),
            Column::from_values("URL", DataType::String, rows.iter().map(|r| text(&r.3))),
        ])?;
        warnings.into_iter().for_each(|w| table.push_warning(w));
        Ok(table)
    }

    /// Writes a bash script that downloads the products with curl to `script` (no request
    /// to MAST besides the product lists; see [`mast_download::local_curl_script_for`]), with
    /// the same layout and the same path checks as [`Observations::download_products`].
    /// Products that are not public need a MAST API token when the script runs: it takes
    /// one from `$MAST_API_TOKEN` for the rows on MAST's hosts (a comment at its top says
    /// so); this client's token is never written into it.
    /// Returns the table of [`Observations::product_urls`] for it (always MAST's HTTPS
    /// URLs): the script fetches exactly the `PLANNED` rows, in order; a product whose path
    /// is refused is an `ERROR` row and is not in the script.
    pub async fn write_curl_script(
        &self,
        products: impl Into<ObsIds<'_>>,
        options: &DownloadOptions,
        script: &Path,
    ) -> Result<Table> {
        // curl fetches over HTTPS: MAST's URLs even when cloud access is on.
        let table = self.urls_table(products.into(), options, false).await?;
        let files: Vec<(String, String)> =
            match (table.column("Local Path"), table.column("Status"), table.column("URL")) {
                (Some(p), Some(s), Some(u)) => (0..table.num_rows())
                    .filter(|&i| s.get_str(i) == Some(PLANNED))
                    .filter_map(|i| Some((p.get_str(i)?.to_owned(), u.get_str(i)?.to_owned())))
                    .collect(),
                _ => Vec::new(),
            };
        // Never through a symbolic link at the script's name (issue 11, point 1).
        // Rows on this client's MAST hosts pass `$MAST_API_TOKEN` when it is set at run
        // time; the client's own token is never written into the script.
        let text = mast_download::local_curl_script_for(self.client().config(), &files);
        mast_download::write_file(script, text.as_bytes())?;
        Ok(table)
    }

    /// The planning step of every mode: the products to fetch (filtered, de-duplicated) as
    /// download items under `layout`, each one's path checked with
    /// [`mast_download::safe_join`] and against the paths of the products before it (a
    /// refused one is a [`Planned::Decided`] `ERROR` row), the paths astroquery would report
    /// for them, and the warnings.
    async fn plan(&self, input: ObsIds<'_>, options: &DownloadOptions, layout: Layout) -> Result<Plan> {
        // A malformed filter is refused before the product lists are asked for.
        options.filter.check()?;
        let products = self.products_of(input).await?;
        let kept = filter_products(&products, &options.filter)?;
        let (unique, note) = unique_products(&kept, "dataURI")?;
        if let Some(note) = note {
            tracing::info!("{note}");
        }
        let mut warnings: Vec<Warning> = products.warnings().to_vec();
        if unique.is_empty() {
            let w = Warning::new(WarningCategory::NoResults, "No products to download.");
            tracing::warn!("{w}");
            warnings.push(w);
            return Ok(Plan { planned: Vec::new(), shown: Vec::new(), warnings });
        }
        let text = |name: &str, row: usize| -> String {
            unique.column(name).and_then(|c| c.get_str(row)).unwrap_or("").to_owned()
        };
        // (relative path, dataURI, size)
        let products: Vec<(String, String, Option<u64>)> = (0..unique.num_rows())
            .map(|row| {
                let relative = relative_path(
                    layout,
                    &text("obs_collection", row),
                    &text("obs_id", row),
                    &text("productFilename", row),
                );
                let size = match unique.value(row, "size") {
                    Some(Value::Int(n)) if n >= 0 => Some(n as u64),
                    _ => None,
                };
                (relative, text("dataURI", row), size)
            })
            .collect();
        let checks = check_paths(&options.download_dir, &products).await;
        let config = self.client.config();
        let mut planned = Vec::with_capacity(products.len());
        let mut shown = Vec::with_capacity(products.len());
        for ((relative, data_uri, size), check) in products.into_iter().zip(checks) {
            // astroquery reports `os.path.join(download_dir, ...)`: "./mastDownload/...".
            let path = mast_download::join_text(&options.download_dir, &relative);
            let source = source_for(&data_uri);
            planned.push(match check {
                Ok(()) => {
                    let item = DownloadItem::new(source, options.download_dir.clone(), relative);
                    Planned::Fetch(item.size_opt(size), None)
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "refused before the download");
                    Planned::Decided(ManifestRow::error(&path, e, source.request_url(config).ok()))
                }
            });
            shown.push(path);
        }
        Ok(Plan { planned, shown, warnings })
    }

    /// With cloud access on: products with a cloud copy come from S3 (falling back to MAST
    /// unless `cloud_only`), the others from MAST or, with `cloud_only`, are skipped. Rows
    /// already decided stay as they are.
    #[cfg_attr(not(feature = "cloud"), allow(unused_variables))]
    async fn route(
        &self,
        planned: Vec<Planned>,
        shown: &[PathBuf],
        cloud_only: bool,
        warnings: &mut Vec<Warning>,
    ) -> Result<Vec<Planned>> {
        #[cfg(feature = "cloud")]
        if self.cloud_enabled {
            return self.route_to_cloud(planned, shown, cloud_only, warnings).await;
        }
        // (s3:// sources are read from the bucket whatever the setting.)
        if cloud_only
            && planned.iter().any(|p| matches!(p, Planned::Fetch(i, _) if !matches!(i.source(), Source::S3 { .. })))
        {
            warn(
                warnings,
                WarningCategory::Input,
                "`cloud_only` is True but cloud data access is not enabled. Falling back to MAST download.",
            );
        }
        Ok(planned)
    }

    #[cfg(feature = "cloud")]
    async fn route_to_cloud(
        &self,
        planned: Vec<Planned>,
        shown: &[PathBuf],
        cloud_only: bool,
        warnings: &mut Vec<Warning>,
    ) -> Result<Vec<Planned>> {
        let bucket = self.client.config().s3_bucket().to_owned();
        let uris: Vec<String> = planned
            .iter()
            .filter_map(|p| if let Planned::Fetch(i, _) = p { mast_uri(i.source()) } else { None })
            .map(str::to_owned)
            .collect();
        let keys = if uris.is_empty() { Vec::new() } else { self.client.path_lookup(&uris).await? };
        let key_of: std::collections::HashMap<&str, Option<String>> =
            uris.iter().map(String::as_str).zip(keys).collect();
        let mut routed = Vec::with_capacity(planned.len());
        for (plan, path) in planned.into_iter().zip(shown) {
            let item = match plan {
                Planned::Fetch(item, _) => item,
                decided => {
                    routed.push(decided);
                    continue;
                }
            };
            if matches!(item.source(), Source::S3 { .. }) {
                // Already a cloud URI (e.g. `download_file("s3://stpubdata/...")`).
                routed.push(Planned::Fetch(item, None));
                continue;
            }
            let uri = mast_uri(item.source()).map(str::to_owned);
            match uri.as_deref().and_then(|u| key_of.get(u).cloned().flatten()) {
                Some(key) => {
                    let https = item.source().clone();
                    let cloud = item.with_source(Source::S3 { bucket: bucket.clone(), key });
                    let item = if cloud_only { cloud } else { cloud.fallback(https) };
                    routed.push(Planned::Fetch(item, uri));
                }
                None => {
                    warn_not_in_cloud(warnings, &uri.unwrap_or_else(|| item.source().to_uri()), cloud_only);
                    routed.push(if cloud_only {
                        Planned::Decided(ManifestRow::skipped(path, Some(NOT_IN_CLOUD.into()), None))
                    } else {
                        Planned::Fetch(item, None)
                    });
                }
            }
        }
        Ok(routed)
    }

    /// The warnings (and `SKIPPED` rows, with `cloud_only`) of products whose cloud copy
    /// could not be read.
    ///
    /// A copy the path lookup names but the bucket does not hold (`NotInCloud` on the read)
    /// is reported as astroquery reports a product without a cloud copy (it finds out with
    /// a `HEAD` per product, which we skip).
    fn cloud_outcome(
        &self,
        mut row: ManifestRow,
        source: &Source,
        data_uri: Option<&str>,
        cloud_only: bool,
        warnings: &mut Vec<Warning>,
    ) -> ManifestRow {
        // The downloader's notes on a kept file (the size policy) reach the caller's warnings.
        warnings.extend(row.warnings.iter().cloned());
        let uri = data_uri.map_or_else(|| source.to_uri(), str::to_owned);
        let not_in_cloud = |e: &mast_download::Error| matches!(e, mast_download::Error::NotInCloud { .. });
        if let Some(e) = &row.fallback_from {
            if not_in_cloud(e) {
                warn_not_in_cloud(warnings, &uri, false);
            } else {
                let text =
                    format!("Could not download {} from cloud: {e}. Falling back to MAST download.", source.to_uri());
                warn(warnings, WarningCategory::Input, text);
            }
        } else if cloud_only
            && row.status == Status::Error
            && matches!(source, Source::S3 { .. })
            && let Some(e) = row.error.take()
        {
            let (message, url) = if not_in_cloud(&e) {
                warn_not_in_cloud(warnings, &uri, true);
                (NOT_IN_CLOUD.to_owned(), None)
            } else {
                let text = format!("Could not download {} from cloud: {e}. Skipping download.", source.to_uri());
                warn(warnings, WarningCategory::NoResults, text);
                (e.to_string(), row.url.take())
            };
            row = ManifestRow::skipped(std::mem::take(&mut row.local_path), Some(message), url);
        }
        row
    }

    /// Downloads one product by its `mast:` URI (astroquery's `download_file`): to the
    /// options' `local_path` when it has a file suffix, into it as a directory when it has
    /// none, else into `.` under the URI's last path segment. The manifest has one row
    /// (`COMPLETE`/`SKIPPED`/`ERROR`, message, URL), returned with the warnings.
    ///
    /// With cloud access ([`Observations::enable_cloud_dataset`]) the file comes from MAST's
    /// public S3 bucket when it is there, as in [`Observations::download_products`], unless
    /// [`DownloadFileOptions::force_on_prem`].
    ///
    /// ```
    /// use mast_emulator::{Emulator, EmulatorConfig};
    /// use mast_observations::{DownloadFileOptions, Observations};
    /// use mast_proto::{MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::start(EmulatorConfig::default()).await?;
    /// let obs = Observations::new(MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?);
    /// let dir = std::env::temp_dir().join(format!("mast-doc-download-file-{}", std::process::id()));
    /// let done = obs.download_file("mast:HST/product/u9o40504m_c3m.fits", &DownloadFileOptions::new().local_path(&dir)).await?;
    /// let row = &done.manifest.rows()[0];
    /// assert_eq!((row.status.as_str(), row.message.as_deref(), row.url.as_deref()), ("COMPLETE", None, None));
    /// assert!(dir.join("u9o40504m_c3m.fits").is_file());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn download_file(&self, uri: &str, options: &DownloadFileOptions) -> Result<Downloaded> {
        let uri = uri.trim();
        if uri.is_empty() {
            return Err(invalid("A valid data product URI must be provided."));
        }
        if options.cloud_only && options.force_on_prem {
            return Err(invalid("Invalid argument combination: `cloud_only` and `force_on_prem` cannot both be True."));
        }
        let file = uri.rsplit('/').next().unwrap_or(uri).to_owned();
        // A URI that is not mast:, http(s): or s3: is refused here, before any request.
        let source = Source::parse(uri)?;
        if options.force_on_prem && matches!(source, Source::S3 { .. }) {
            return Err(invalid(format!(
                "{uri} is a cloud URI: it cannot be downloaded from MAST (`force_on_prem`); give the product's mast: URI instead."
            )));
        }
        let item = match &options.local_path {
            Some(p) if p.extension().is_some() => DownloadItem::to_path(source, p),
            Some(dir) => DownloadItem::new(source, dir, file),
            None => DownloadItem::new(source, ".", file),
        };
        let shown = [item.destination()];
        let mut warnings = Vec::new();
        let planned = if options.force_on_prem {
            vec![Planned::Fetch(item, None)]
        } else {
            self.route(vec![Planned::Fetch(item, None)], &shown, options.cloud_only, &mut warnings).await?
        };
        let row = match planned.into_iter().next() {
            Some(Planned::Fetch(item, data_uri)) => {
                let row = self.downloader.download_with(item.clone(), &BatchOptions::new().cache(options.cache)).await;
                self.cloud_outcome(row, item.source(), data_uri.as_deref(), options.cloud_only, &mut warnings)
            }
            Some(Planned::Decided(row)) => row,
            None => unreachable!("route plans every item"),
        };
        // astroquery's download_file says only ('SKIPPED', None, None); the reason is in the
        // warning.
        let row = if row.status == Status::Skipped { ManifestRow::skipped(row.local_path, None, None) } else { row };
        let mut manifest = Manifest::new();
        manifest.push(row);
        Ok(Downloaded { manifest, warnings })
    }
}

/// Options of [`Observations::download_file`] (astroquery's keyword arguments).
///
/// ```
/// use mast_observations::DownloadFileOptions;
/// let opts = DownloadFileOptions::new().local_path("data/u9o40504m_c3m.fits").cache(false).cloud_only(true);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone)]
pub struct DownloadFileOptions {
    local_path: Option<PathBuf>,
    cache: bool,
    cloud_only: bool,
    force_on_prem: bool,
}

impl Default for DownloadFileOptions {
    fn default() -> Self {
        DownloadFileOptions { local_path: None, cache: true, cloud_only: false, force_on_prem: false }
    }
}

impl DownloadFileOptions {
    /// `./<file>`, cache on, cloud when enabled.
    pub fn new() -> Self {
        Self::default()
    }
    /// A file path (it has a suffix) or a directory to put the file in.
    pub fn local_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.local_path = Some(path.into());
        self
    }
    /// Skip the download when the file is complete on disk (default true).
    pub fn cache(mut self, cache: bool) -> Self {
        self.cache = cache;
        self
    }
    /// With cloud access: `SKIPPED` instead of MAST when the product is not in the cloud or
    /// its copy cannot be read ([`DownloadOptions::cloud_only`]).
    pub fn cloud_only(mut self, cloud_only: bool) -> Self {
        self.cloud_only = cloud_only;
        self
    }
    /// Always download from MAST over HTTPS, even with cloud access (astroquery's
    /// `force_on_prem`; not together with `cloud_only`).
    pub fn force_on_prem(mut self, force_on_prem: bool) -> Self {
        self.force_on_prem = force_on_prem;
        self
    }
}

/// The `Message` of a product skipped because it has no cloud copy (astroquery's words).
const NOT_IN_CLOUD: &str = "Product not found in cloud";

/// astroquery's warning for a product without a cloud copy: skipped with `cloud_only`, else
/// fetched from MAST.
fn warn_not_in_cloud(warnings: &mut Vec<Warning>, uri: &str, cloud_only: bool) {
    if cloud_only {
        let text = format!("The product {uri} was not found in the cloud. Skipping download.");
        warn(warnings, WarningCategory::NoResults, text);
    } else {
        let text = format!("The product {uri} was not found in the cloud. Falling back to MAST download.");
        warn(warnings, WarningCategory::Input, text);
    }
}

/// The `mast:` URI of a source, if it is one.
#[cfg(feature = "cloud")]
fn mast_uri(source: &Source) -> Option<&str> {
    match source {
        Source::Mast(uri) => Some(uri),
        _ => None,
    }
}

/// A product URI as a download source: http(s) URLs as they are, `s3://<bucket>/<key>` from
/// the bucket, anything else through MAST's `Download/file` endpoint.
fn source_for(uri: &str) -> Source {
    match Source::from(uri) {
        Source::Url(text) if !(text.starts_with("http://") || text.starts_with("https://")) => Source::Mast(text),
        source => source,
    }
}

/// A product's path below the download directory for `layout`, as `/`-separated text built
/// from the product's fields (`productFilename`'s last segment as the file name). Not
/// checked here: see [`check_paths`].
fn relative_path(layout: Layout, collection: &str, obs_id: &str, product_filename: &str) -> String {
    let file = product_filename.rsplit('/').next().unwrap_or("");
    match layout {
        Layout::Flat => file.to_owned(),
        Layout::NestedNoPrefix => mast_download::join_relative([collection, obs_id, file]),
        Layout::Nested => mast_download::join_relative(["mastDownload", collection, obs_id, file]),
    }
}

/// Checks every product's path (`(relative path, dataURI, size)`, in order) as the download
/// will: [`mast_download::safe_join`] under `dir` (this reads the file system, so it runs
/// on the blocking pool), then against the paths of the products accepted before it: the
/// same file, a file where an earlier product needs a directory, or a directory where an
/// earlier product has its file is refused, naming that product's `dataURI`. Names are
/// compared as given, and without case on Windows and macOS, whose usual file systems
/// ignore it.
async fn check_paths(dir: &Path, products: &[(String, String, Option<u64>)]) -> Vec<mast_download::Result<()>> {
    let names: Arc<Vec<(String, String)>> = Arc::new(products.iter().map(|(r, u, _)| (r.clone(), u.clone())).collect());
    let (task_dir, task_names) = (dir.to_path_buf(), Arc::clone(&names));
    match tokio::task::spawn_blocking(move || check_paths_blocking(&task_dir, &task_names)).await {
        Ok(checks) => checks,
        // The blocking pool is gone (the runtime is shutting down): check here instead.
        Err(_) => check_paths_blocking(dir, &names),
    }
}

fn check_paths_blocking(dir: &Path, names: &[(String, String)]) -> Vec<mast_download::Result<()>> {
    use std::collections::HashMap;
    let fold = |name: &str| if cfg!(any(windows, target_os = "macos")) { name.to_lowercase() } else { name.to_owned() };
    // Accepted files and the directories on their way, each to the first product needing it.
    let mut files: HashMap<String, usize> = HashMap::with_capacity(names.len());
    let mut dirs: HashMap<String, usize> = HashMap::new();
    let mut checks = Vec::with_capacity(names.len());
    for (i, (relative, _)) in names.iter().enumerate() {
        if let Err(e) = mast_download::safe_join(dir, relative) {
            checks.push(Err(e));
            continue;
        }
        let key = fold(relative);
        let parents: Vec<&str> = key.match_indices('/').map(|(at, _)| &key[..at]).collect();
        let clash = if let Some(&first) = files.get(&key) {
            Some((first, "is saved to the same file"))
        } else if let Some(&first) = dirs.get(&key) {
            Some((first, "needs this path as a directory"))
        } else {
            parents
                .iter()
                .find_map(|p| files.get(*p))
                .map(|&first| (first, "has its file where this one needs a directory"))
        };
        if let Some((first, how)) = clash {
            let reason = format!("the product {} (listed before it) {how}", names[first].1);
            checks.push(Err(mast_download::Error::UnsafePath { name: relative.clone(), reason }));
            continue;
        }
        for p in parents {
            dirs.entry(p.to_owned()).or_insert(i);
        }
        files.insert(key, i);
        checks.push(Ok(()));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_slash_joined_text_on_every_platform() {
        assert_eq!(relative_path(Layout::Nested, "HST", "U9", "a/b/x.fits"), "mastDownload/HST/U9/x.fits");
        assert_eq!(relative_path(Layout::NestedNoPrefix, "HST", "U9", "x.fits"), "HST/U9/x.fits");
        assert_eq!(relative_path(Layout::Flat, "..", "..", "../../evil.fits"), "evil.fits");
        assert_eq!(relative_path(Layout::Flat, "HST", "U9", "/etc/evil.fits"), "evil.fits");
        // The checks see the hostile parts as they are.
        assert_eq!(relative_path(Layout::Nested, "/tmp", "o", "x"), "mastDownload//tmp/o/x");
        assert_eq!(relative_path(Layout::NestedNoPrefix, "..", "o", "x"), "../o/x");
    }

    #[test]
    fn clashes_name_the_first_product() {
        let names: Vec<(String, String)> =
            [("a/x", "u1"), ("a/x", "u2"), ("a/x/y", "u3"), ("b/c/d", "u4"), ("b/c", "u5")]
                .iter()
                .map(|(r, u)| (r.to_string(), u.to_string()))
                .collect();
        let dir = std::env::temp_dir().join(format!("mast-obs-clash-{}", std::process::id()));
        let checks = check_paths_blocking(&dir, &names);
        let reasons: Vec<Option<String>> = checks
            .iter()
            .map(|c| match c {
                Ok(()) => None,
                Err(mast_download::Error::UnsafePath { reason, .. }) => Some(reason.clone()),
                Err(e) => Some(format!("unexpected {e}")),
            })
            .collect();
        assert_eq!(reasons[0], None);
        assert_eq!(reasons[1].as_deref(), Some("the product u1 (listed before it) is saved to the same file"));
        assert_eq!(
            reasons[2].as_deref(),
            Some("the product u1 (listed before it) has its file where this one needs a directory")
        );
        assert_eq!(reasons[3], None);
        assert_eq!(reasons[4].as_deref(), Some("the product u4 (listed before it) needs this path as a directory"));
    }
}
