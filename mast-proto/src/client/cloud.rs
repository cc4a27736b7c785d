//! The path lookup over HTTP (spec §9.3): batches of 40 URIs, fetched concurrently within
//! the client's bound.

use std::time::Instant;

use futures::{StreamExt, TryStreamExt};

use super::MastClient;
use crate::Result;
use crate::cloud::{PATH_LOOKUP_BATCH, parse_path_lookup, path_lookup_url};

impl MastClient {
    /// The S3 key of each `mast:` URI in MAST's public bucket, in the order given: `None`
    /// where MAST has no cloud copy. Sends `⌈n/40⌉` path-lookup requests, concurrently
    /// within the client's bound, each retried like any other request.
    ///
    /// ```
    /// use mast_emulator::{Emulator, EmulatorConfig};
    /// use mast_proto::{MastClient, MastConfig};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let emulator = Emulator::start(EmulatorConfig::default()).await?;
    /// let client = MastClient::new(MastConfig::new().with_all_urls(emulator.base_url())?)?;
    /// let keys = client.path_lookup(&["mast:HST/product/u9o40504m_c3m.fits", "mast:HST/product/does_not_exist.fits"]).await?;
    /// assert_eq!(keys, [Some("hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits".to_owned()), None]);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn path_lookup<S: AsRef<str> + Sync>(&self, uris: &[S]) -> Result<Vec<Option<String>>> {
        let deadline = Instant::now() + self.config().timeout();
        let batches: Vec<Vec<Option<String>>> = futures::stream::iter(uris.chunks(PATH_LOOKUP_BATCH))
            .map(|batch| {
                let url = path_lookup_url(self.config(), batch);
                let names: Vec<String> = batch.iter().map(|u| u.as_ref().to_owned()).collect();
                async move {
                    self.send(
                        "the path lookup",
                        deadline,
                        || self.http().get(&url),
                        move |body| parse_path_lookup(&body, &names),
                    )
                    .await
                }
            })
            .buffered(self.config().page_concurrency())
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }
}
