//! Cloud (S3) access (feature `cloud`): cloud URIs of products through MAST's path lookup,
//! the datasets of MAST's public bucket, and the switch that makes downloads prefer it.

use futures::{StreamExt, TryStreamExt};
use mast_download::CloudStore;
use mast_proto::cloud::CloudUriStyle;
use mast_proto::criteria::Criteria;
use mast_proto::products::{ProductFilter, filter_products};
use mast_proto::{Column, DataType, Table, Value, Warning, WarningCategory};

use crate::error::invalid;
use crate::{ObsIds, Observations, QueryOptions, Result, warn};

/// `HEAD` requests in flight when checking that looked-up keys are in the bucket.
const HEAD_CONCURRENCY: usize = 16;

/// What to find cloud URIs for ([`Observations::get_cloud_uris`]).
#[derive(Debug, Clone, Copy)]
pub enum CloudUriInput<'a> {
    /// A products table (its `dataURI` column), or observations (a table or obsids) whose
    /// product lists are fetched first, as for [`Observations::download_products`]; filtered
    /// with the options' filter.
    Products(ObsIds<'a>),
    /// `mast:` data URIs, used as they are (filters do not apply).
    Uris(&'a [String]),
    /// Observations matching these criteria (queried with the options' query options),
    /// then their products, filtered.
    Criteria(&'a Criteria),
}

impl<'a> From<&'a Table> for CloudUriInput<'a> {
    fn from(t: &'a Table) -> Self {
        CloudUriInput::Products(ObsIds::Table(t))
    }
}
impl<'a> From<&'a [String]> for CloudUriInput<'a> {
    fn from(uris: &'a [String]) -> Self {
        CloudUriInput::Uris(uris)
    }
}
impl<'a> From<&'a Vec<String>> for CloudUriInput<'a> {
    fn from(uris: &'a Vec<String>) -> Self {
        CloudUriInput::Uris(uris)
    }
}
impl<'a> From<&'a Criteria> for CloudUriInput<'a> {
    fn from(c: &'a Criteria) -> Self {
        CloudUriInput::Criteria(c)
    }
}

/// Options of [`Observations::get_cloud_uris`] (astroquery's keyword arguments).
///
/// ```
/// use mast_observations::CloudUriOptions;
/// use mast_proto::cloud::CloudUriStyle;
/// use mast_proto::products::ProductFilter;
/// let opts = CloudUriOptions::new().style(CloudUriStyle::Key).filter(ProductFilter::new().extension(["fits"])).verify(false);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone)]
pub struct CloudUriOptions {
    style: CloudUriStyle,
    filter: ProductFilter,
    query: QueryOptions,
    verify: bool,
}

impl Default for CloudUriOptions {
    fn default() -> Self {
        CloudUriOptions {
            style: CloudUriStyle::S3,
            filter: ProductFilter::new(),
            query: QueryOptions::new(),
            verify: true,
        }
    }
}

impl CloudUriOptions {
    /// `s3://` URIs, no filter, keys checked in the bucket.
    pub fn new() -> Self {
        Self::default()
    }
    /// How URIs are written (astroquery's `include_bucket` / `full_url`).
    pub fn style(mut self, style: CloudUriStyle) -> Self {
        self.style = style;
        self
    }
    /// Products to keep (for tables and criteria; astroquery's `mrp_only`, `extension`,
    /// `filter_products`).
    pub fn filter(mut self, filter: ProductFilter) -> Self {
        self.filter = filter;
        self
    }
    /// Paging of the criteria query (astroquery's `pagesize`, `page`).
    pub fn query(mut self, query: QueryOptions) -> Self {
        self.query = query;
        self
    }
    /// Check each looked-up key with an S3 `HEAD` (default true, as astroquery does; the
    /// slow part for long lists: `false` trusts MAST's path lookup).
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }
}

/// Cloud URIs found for products: astroquery's list (`uris`) and its `return_uri_map`
/// (`get`, `entries`) in one value, with the warnings.
#[derive(Debug, Clone, Default)]
pub struct CloudUris {
    entries: Vec<(String, Option<String>)>,
    warnings: Vec<Warning>,
}

impl CloudUris {
    /// The cloud URIs found, in the order of the products (missing ones left out).
    pub fn uris(&self) -> Vec<&str> {
        self.entries.iter().filter_map(|(_, c)| c.as_deref()).collect()
    }
    /// Each data URI (de-duplicated, in order) with its cloud URI, `None` when there is no
    /// cloud copy.
    pub fn entries(&self) -> &[(String, Option<String>)] {
        &self.entries
    }
    /// The cloud URI of one data URI.
    pub fn get(&self, data_uri: &str) -> Option<&str> {
        self.entries.iter().find(|(u, _)| u == data_uri).and_then(|(_, c)| c.as_deref())
    }
    /// The warnings (products without a cloud copy, nothing to look up).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
    /// A table of `dataURI` and `cloudURI` (masked when there is no cloud copy), with the
    /// warnings.
    pub fn to_table(&self) -> Table {
        let data = Column::from_values("dataURI", DataType::String, self.entries.iter().map(|(u, _)| Value::Str(u)));
        let cloud = Column::from_values(
            "cloudURI",
            DataType::String,
            self.entries.iter().map(|(_, c)| c.as_deref().map_or(Value::Masked, Value::Str)),
        );
        let mut table = Table::new(vec![data, cloud]).expect("two distinct columns of equal length");
        self.warnings.iter().cloned().for_each(|w| table.push_warning(w));
        table
    }
}

impl Observations {
    /// Makes downloads prefer MAST's public S3 bucket (astroquery's
    /// `enable_cloud_dataset`): products with a cloud copy come from S3 (anonymous, no AWS
    /// account), the others from MAST over HTTPS, unless
    /// [`crate::DownloadOptions::cloud_only`]. Fails when the S3 endpoint is not usable.
    ///
    /// Unlike astroquery, whose default depends on whether boto3 is installed, downloads
    /// use HTTPS only until this is called; the cloud lookups ([`Observations::get_cloud_uris`],
    /// [`Observations::list_cloud_datasets`]) work either way.
    ///
    /// ```
    /// use mast_download::Status;
    /// use mast_emulator::{Emulator, EmulatorConfig};
    /// use mast_observations::{DownloadOptions, Observations};
    /// use mast_proto::products::ProductFilter;
    /// use mast_proto::{MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::start(EmulatorConfig::default()).await?; // MAST and its bucket
    /// let mut obs = Observations::new(MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?);
    /// obs.enable_cloud_dataset()?;
    /// let dir = std::env::temp_dir().join(format!("mast-doc-cloud-{}", std::process::id()));
    /// let options = DownloadOptions::new()
    ///     .download_dir(&dir)
    ///     .filter(ProductFilter::new().column("productSubGroupDescription", ["C3M"]))
    ///     .cloud_only(true);
    /// let done = obs.download_products("2003738726", &options).await?;
    /// assert_eq!(done.manifest.count(Status::Complete), 1);
    /// assert_eq!(emulator.stats().count("download"), 0, "nothing came from MAST's HTTPS endpoint");
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enable_cloud_dataset(&mut self) -> Result<()> {
        self.cloud_store()?;
        self.cloud_enabled = true;
        Ok(())
    }

    /// Downloads go to MAST over HTTPS again (astroquery's `disable_cloud_dataset`).
    pub fn disable_cloud_dataset(&mut self) {
        self.cloud_enabled = false;
    }

    /// Whether downloads prefer the cloud.
    pub fn is_cloud_enabled(&self) -> bool {
        self.cloud_enabled
    }

    /// The datasets of MAST's public bucket (astroquery's `list_cloud_datasets`): its
    /// top-level prefixes, with `mast` replaced by the prefixes below `mast/hlsp/`.
    ///
    /// ```
    /// use mast_emulator::{Emulator, EmulatorConfig};
    /// use mast_observations::Observations;
    /// use mast_proto::{MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::start(EmulatorConfig::default()).await?;
    /// let obs = Observations::new(MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?);
    /// let datasets = obs.list_cloud_datasets().await?;
    /// assert!(datasets.iter().any(|d| d == "hst") && datasets.iter().any(|d| d == "mast/hlsp/tica"));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn list_cloud_datasets(&self) -> Result<Vec<String>> {
        Ok(self.cloud_store()?.list_datasets().await?)
    }

    /// The cloud URIs of products (astroquery's `get_cloud_uris`): from a products table
    /// (filtered with [`CloudUriOptions::filter`]), from `mast:` URIs, or from criteria
    /// (observations, then their products, then the filter). Data URIs are
    /// de-duplicated keeping order, looked up through MAST's path lookup (batches of 40,
    /// concurrently) and, with [`CloudUriOptions::verify`], checked in the bucket.
    ///
    /// Before anything is sent: a given URI that is not a `mast:` URI with a path (`notmast`,
    /// `s3://...`, a bare `mast:`) is an [`mast_download::Error::InvalidSource`], and the
    /// filter is checked ([`ProductFilter::check`]).
    ///
    /// ```
    /// use mast_emulator::{Emulator, EmulatorConfig};
    /// use mast_observations::{CloudUriOptions, Observations};
    /// use mast_proto::{MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::start(EmulatorConfig::default()).await?;
    /// let obs = Observations::new(MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?);
    /// let uris = vec!["mast:HST/product/u9o40504m_c3m.fits".to_owned(), "mast:HST/product/does_not_exist.fits".to_owned()];
    /// let found = obs.get_cloud_uris(&uris, &CloudUriOptions::new()).await?;
    /// assert_eq!(found.uris(), ["s3://stpubdata/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"]);
    /// assert_eq!(found.get("mast:HST/product/does_not_exist.fits"), None);
    /// assert_eq!(found.warnings().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn get_cloud_uris(
        &self,
        input: impl Into<CloudUriInput<'_>>,
        options: &CloudUriOptions,
    ) -> Result<CloudUris> {
        let input = input.into();
        // Checked before anything is sent: the filter, and each given URI is a mast: URI.
        options.filter.check()?;
        if let CloudUriInput::Uris(uris) = input {
            uris.iter().try_for_each(|u| check_data_uri(u))?;
        }
        let store = self.cloud_store()?;
        let mut warnings = Vec::new();
        let uris: Vec<String> = match input {
            CloudUriInput::Uris(uris) => {
                if !options.filter.is_empty() {
                    warn(
                        &mut warnings,
                        WarningCategory::Input,
                        "Filtering is not supported when providing a list of MAST URIs. To apply filters, please provide query criteria or a table of data products as returned by `Observations.get_product_list`",
                    );
                }
                uris.to_vec()
            }
            CloudUriInput::Products(input) => {
                let products = self.products_of(input).await?;
                self.filtered_uris(&products, options, &mut warnings)?
            }
            CloudUriInput::Criteria(criteria) => {
                let observations = self.query_criteria(criteria, &options.query).await?;
                warnings.extend(observations.warnings().iter().cloned());
                if observations.is_empty() {
                    return Ok(CloudUris { entries: Vec::new(), warnings });
                }
                let products = self.get_product_list(&observations).await?;
                self.filtered_uris(&products, options, &mut warnings)?
            }
        };
        let mut seen = std::collections::HashSet::new();
        let uris: Vec<String> = uris.into_iter().filter(|u| seen.insert(u.clone())).collect();
        if uris.is_empty() {
            warn(&mut warnings, WarningCategory::NoResults, "No matching products to fetch associated cloud URIs.");
            return Ok(CloudUris { entries: Vec::new(), warnings });
        }
        let mut keys = self.client.path_lookup(&uris).await?;
        if options.verify {
            // Only the keys are checked, HEAD_CONCURRENCY at a time whatever order the
            // answers come in: an ordered buffer would keep finished checks (and the URIs
            // with no key) in its window behind a slower one, so fewer would be in flight.
            let checks: Vec<(usize, bool)> =
                futures::stream::iter(keys.iter().enumerate().filter_map(|(i, key)| key.clone().map(|k| (i, k))))
                    .map(|(i, key)| {
                        let store = &store;
                        async move { store.head(&key).await.map(|found| (i, found.is_some())) }
                    })
                    .buffer_unordered(HEAD_CONCURRENCY)
                    .try_collect()
                    .await?;
            for (i, found) in checks {
                if !found && let Some(missing) = keys[i].take() {
                    tracing::warn!("Failed to retrieve cloud path for {missing}");
                }
            }
        }
        let mut entries = Vec::with_capacity(uris.len());
        for (uri, key) in uris.into_iter().zip(keys) {
            if key.is_none() {
                warn(
                    &mut warnings,
                    WarningCategory::NoResults,
                    format!("Failed to retrieve cloud path for {uri}. Skipping..."),
                );
            }
            entries.push((uri, key.map(|k| store.uri(&k, options.style))));
        }
        Ok(CloudUris { entries, warnings })
    }

    /// The cloud URI of one product (astroquery's `get_cloud_uri`), `None` when it has no
    /// cloud copy.
    ///
    /// ```
    /// use mast_emulator::{Emulator, EmulatorConfig};
    /// use mast_observations::Observations;
    /// use mast_proto::cloud::CloudUriStyle;
    /// use mast_proto::{MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::start(EmulatorConfig::default()).await?;
    /// let obs = Observations::new(MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?);
    /// let url = obs.get_cloud_uri("mast:HST/product/u9o40504m_c3m.fits", CloudUriStyle::HttpUrl).await?;
    /// assert_eq!(url.as_deref(), Some("http://s3.amazonaws.com/stpubdata/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn get_cloud_uri(&self, data_uri: &str, style: CloudUriStyle) -> Result<Option<String>> {
        let uris = [data_uri.to_owned()];
        let found = self.get_cloud_uris(&uris[..], &CloudUriOptions::new().style(style)).await?;
        Ok(found.get(data_uri).map(str::to_owned))
    }

    /// The S3 store of the configured bucket and endpoint: the downloader's, so that
    /// listings, lookups and downloads share one connection pool.
    pub(crate) fn cloud_store(&self) -> Result<CloudStore> {
        Ok(self.downloader.cloud_store(self.client.config().s3_bucket())?)
    }

    fn filtered_uris(
        &self,
        products: &Table,
        options: &CloudUriOptions,
        warnings: &mut Vec<Warning>,
    ) -> Result<Vec<String>> {
        let kept = filter_products(products, &options.filter)?;
        warnings.extend(products.warnings().iter().cloned());
        let column = kept.column("dataURI").ok_or_else(|| invalid("The products table has no \"dataURI\" column."))?;
        Ok((0..kept.num_rows()).filter_map(|i| column.get_str(i)).map(str::to_owned).collect())
    }
}

/// A data URI given to [`Observations::get_cloud_uris`] must be a `mast:` URI with a path
/// (parsed by [`mast_download::Source::parse`], the one URI parser).
fn check_data_uri(uri: &str) -> Result<()> {
    match mast_download::Source::parse(uri)? {
        mast_download::Source::Mast(_) => Ok(()),
        _ => Err(mast_download::Error::InvalidSource {
            input: uri.to_owned(),
            reason: "cloud URIs are looked up for mast: data URIs, e.g. mast:HST/product/u9o40504m_c3m.fits".into(),
        }
        .into()),
    }
}
