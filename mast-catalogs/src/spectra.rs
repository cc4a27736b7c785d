//! `download_hsc_spectra`: HSC spectra from the Hubble Legacy Archive, one file per spectrum
//! through mast-download's [`Downloader`](mast_download::Downloader), or a curl script
//! through the Portal's `Mast.Bundle.Request` (spec §8.7).

use std::path::Path;
use std::sync::Arc;

use mast_download::{BatchOptions, DownloadItem, Manifest, ProgressEvent, Source};
use mast_proto::{MastConfig, Table, Value, endpoints};

use crate::Catalogs;
use crate::error::{Result, invalid};

/// Options of [`Catalogs::download_hsc_spectra`] (astroquery's `cache` and `curl_flag`).
///
/// ```
/// use mast_catalogs::SpectraOptions;
/// let options = SpectraOptions::new().cache(false).curl(true);
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct SpectraOptions {
    no_cache: bool,
    curl: bool,
    progress: Option<Progress>,
}

/// A progress callback ([`SpectraOptions::on_progress`]).
type Progress = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

impl std::fmt::Debug for SpectraOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpectraOptions")
            .field("cache", &!self.no_cache)
            .field("curl", &self.curl)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl SpectraOptions {
    /// Files complete on disk kept, the files themselves rather than a curl script.
    pub fn new() -> Self {
        Self::default()
    }
    /// Keep a spectrum already complete on disk (default true; see the size policy of
    /// [`mast_download::Downloader`]: HLA answers often have no length, so such a file is
    /// fetched again, as astroquery does).
    pub fn cache(mut self, cache: bool) -> Self {
        self.no_cache = !cache;
        self
    }
    /// astroquery's `curl_flag=True`: a curl script from MAST instead of the files.
    pub fn curl(mut self, curl: bool) -> Self {
        self.curl = curl;
        self
    }
    /// Calls `f` with every [`ProgressEvent`] of the downloads (keep it quick).
    pub fn on_progress(mut self, f: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// The HLA URL of a spectrum as astroquery builds it (spec §8.7; the name inserted as it
/// is, so a `+` stays a `+`): `SpectrumType < 2` → `<HLA>/cgi-bin/getdata.cgi?config=ops&
/// dataset=<name>`, else `<HLA>/cgi-bin/ecfproxy?file_id=<name>.fits`.
///
/// ```
/// let config = mast_proto::MastConfig::new();
/// assert_eq!(
///     mast_catalogs::spectrum_url(&config, "HAG_J072656.64+691436.7_J8HPAXAEQ_V01.SPEC1D", 2),
///     "https://hla.stsci.edu/cgi-bin/ecfproxy?file_id=HAG_J072656.64+691436.7_J8HPAXAEQ_V01.SPEC1D.fits"
/// );
/// assert_eq!(mast_catalogs::spectrum_url(&config, "O6H", 1), "https://hla.stsci.edu/cgi-bin/getdata.cgi?config=ops&dataset=O6H");
/// ```
pub fn spectrum_url(config: &MastConfig, dataset_name: &str, spectrum_type: i64) -> String {
    if spectrum_type < 2 {
        format!("{}?config=ops&dataset={dataset_name}", config.url(&endpoints::HLA_GETDATA))
    } else {
        format!("{}?file_id={dataset_name}.fits", config.url(&endpoints::HLA_ECFPROXY))
    }
}

/// `(DatasetName, SpectrumType)` of every row, or an error naming the first row lacking one.
fn spectra_of(spectra: &Table) -> Result<Vec<(String, i64)>> {
    (0..spectra.num_rows())
        .map(|row| {
            let name = match spectra.value(row, "DatasetName") {
                None => return Err(invalid("The spectra table has no DatasetName column.")),
                Some(Value::Str(s)) if !s.trim().is_empty() => s.to_owned(),
                Some(_) => return Err(invalid(format!("Row {row} of the spectra table has no DatasetName."))),
            };
            let kind = match spectra.value(row, "SpectrumType") {
                None => return Err(invalid("The spectra table has no SpectrumType column.")),
                Some(Value::Int(i)) => i,
                Some(Value::UInt8(i)) => i64::from(i),
                Some(Value::Float(f)) if f.is_finite() => f.floor() as i64,
                Some(Value::Str(s)) => match s.trim().parse::<i64>() {
                    Ok(i) => i,
                    Err(_) => return Err(invalid(format!("Row {row}: SpectrumType {s:?} is not a number."))),
                },
                Some(_) => return Err(invalid(format!("Row {row} of the spectra table has no SpectrumType."))),
            };
            Ok((name, kind))
        })
        .collect()
}

impl Catalogs {
    /// Downloads HSC spectra (astroquery's `download_hsc_spectra`), the rows of
    /// [`Catalogs::get_hsc_spectra`] or any table with `DatasetName` and `SpectrumType`
    /// (checked for every row before any request).
    ///
    /// Files: one per spectrum from the HLA host ([`spectrum_url`]) to
    /// `<download_dir>/mastDownload/HSC/<DatasetName>.fits`, through this `Catalogs`'
    /// downloader (shared by its clones: MAST's limit of files at once per host holds;
    /// each file through `.part` and a rename, resumed when the server allows it; answers
    /// without `Content-Length` read to their end). Returns astroquery's manifest, one row
    /// per spectrum in order: `Local Path` (the directory and the name joined as text:
    /// `./mastDownload/HSC/...` for `.`), `Status` `COMPLETE` or `ERROR` (the others go on),
    /// `Message` (`HTTPError: 404 Client Error: ...`) and `URL`.
    ///
    /// With [`SpectraOptions::curl`]: MAST's curl script instead (`Mast.Bundle.Request`,
    /// then the staged script fetched to `<download_dir>/mastDownload_<YYYYmmddHHMMSS>.sh`;
    /// see [`mast_download::Downloader::bundle_request_script`]), one row. An empty table
    /// gives an empty manifest without a request.
    ///
    /// ```
    /// use mast_catalogs::{Catalogs, QueryOptions, SpectraOptions};
    /// use mast_emulator::{Emulator, EmulatorConfig};
    /// use mast_proto::{MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::start(EmulatorConfig::default()).await?;
    /// let catalogs = Catalogs::new(MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?);
    /// let spectra = catalogs.get_hsc_spectra(&QueryOptions::new()).await?.slice(10..12);
    /// let dir = std::env::temp_dir().join(format!("mast-doc-spectra-{}", std::process::id()));
    /// let manifest = catalogs.download_hsc_spectra(&spectra, &dir, &SpectraOptions::new()).await?;
    /// assert!(manifest.iter().all(|r| r.status == mast_download::Status::Complete));
    /// assert!(dir.join("mastDownload/HSC/HAG_J072656.64+691436.7_J8HPAXAEQ_V01.SPEC1D.fits").is_file());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn download_hsc_spectra(
        &self,
        spectra: &Table,
        download_dir: impl AsRef<Path>,
        options: &SpectraOptions,
    ) -> Result<Manifest> {
        let dir = download_dir.as_ref();
        let spectra = spectra_of(spectra)?;
        if spectra.is_empty() {
            return Ok(Manifest::new());
        }
        let config = self.client.config();
        if options.curl {
            let files: Vec<(String, String)> = spectra
                .iter()
                .map(|(name, kind)| (format!("HSC/{name}.fits"), spectrum_url(config, name, *kind)))
                .collect();
            let row = self.downloader.bundle_request_script(&files, "spectrum", dir).await?;
            return Ok(std::iter::once(row).collect());
        }
        let mut shown = Vec::with_capacity(spectra.len());
        let items: Vec<DownloadItem> = spectra
            .iter()
            .map(|(name, kind)| {
                let relative = mast_download::join_relative(["mastDownload", "HSC", &format!("{name}.fits")]);
                shown.push(mast_download::join_text(dir, &relative));
                DownloadItem::new(Source::Url(spectrum_url(config, name, *kind)), dir, relative)
            })
            .collect();
        let mut batch = BatchOptions::new().cache(!options.no_cache);
        if let Some(f) = &options.progress {
            let f = Arc::clone(f);
            batch = batch.on_progress(move |e| f(e));
        }
        let manifest = self.downloader.download_all_with(items, &batch).await;
        Ok(manifest
            .into_iter()
            .zip(shown)
            .map(|(mut row, path)| {
                row.local_path = path;
                row
            })
            .collect())
    }
}
