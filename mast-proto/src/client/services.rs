//! Services-API queries (catalogs API, MastMissions search): the first page, then the
//! others concurrently, joined in page order. The request side and the paging rules are
//! sans-IO in [`crate::services`].

use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::MastClient;
use crate::auth::RequestKind;
use crate::services::{PageEnd, Remaining, reported_total};
use crate::{Result, ServicesRequest, Table, decode};

impl MastClient {
    /// Runs a services-API query and returns the whole result as one table.
    ///
    /// Unless the request names a page ([`ServicesRequest::page`]) or does not page, page 1
    /// is fetched first; then, when the answer reports a total (MastMissions'
    /// `totalResults`), exactly the pages it needs, or else (the catalogs API reports none)
    /// the following pages until one is not full. Pages are fetched at most
    /// [`crate::MastConfig::page_concurrency`] at once (pages fetched past the last one are
    /// dropped) and appended in page order. Each request goes through the client's retry
    /// policy and deadline, and carries the MAST token when one is configured
    /// ([`MastClient::authorize`]). The services do not answer "not ready" (no polling, see
    /// [`crate::services`]). A result beyond [`ServicesRequest::max_rows`] rows, a page
    /// larger than asked or a total that is not a row count is an error.
    ///
    /// ```no_run
    /// use mast_proto::{MastClient, ServicesRequest};
    /// # async fn run() -> mast_proto::Result<()> {
    /// let client = MastClient::from_env()?;
    /// let request = ServicesRequest::panstarrs("dr2", "mean")?
    ///     .param("ra", 5.97754)
    ///     .param("dec", 32.53617)
    ///     .param("radius", 0.01)
    ///     .pagesize(1_000);
    /// let table = client.services_table(request).await?;
    /// println!("{table}");
    /// # Ok(()) }
    /// ```
    pub async fn services_table(&self, request: ServicesRequest) -> Result<Table> {
        let deadline = Instant::now() + self.config().timeout();
        let request = request.with_default_pagesize(self.config().pagesize());
        let url = request.url(self.config());
        let (mut table, total) = self.services_page(&request, &url, request.first_page(), deadline).await?;
        let remaining = request.remaining(table.num_rows(), total.as_ref())?;
        let last_page = match remaining {
            Remaining::None => return Ok(table),
            Remaining::Known { last_page } => last_page,
            Remaining::Open { max_page } => max_page,
        };
        let size = request.rows_per_page().unwrap_or(1);
        tracing::debug!(
            path = request.path(),
            ?remaining,
            concurrency = self.config().page_concurrency(),
            "fetching the remaining pages"
        );
        table.reserve(remaining.reserve_rows(size));
        let mut rest = futures::stream::iter(2..=last_page)
            .map(|page| {
                let (request, url) = (&request, &url);
                async move { Ok::<_, crate::Error>((page, self.services_page(request, url, page, deadline).await?.0)) }
            })
            .buffered(self.config().page_concurrency());
        // Appended in page order as they arrive; dropping the stream cancels pages asked for
        // past the end.
        while let Some((page, t)) = rest.try_next().await? {
            let end = request.check_page(page, t.num_rows())?;
            if t.num_rows() > 0 {
                table.append(&t)?;
            }
            if end == PageEnd::Last && matches!(remaining, Remaining::Open { .. }) {
                break;
            }
        }
        Ok(table)
    }

    /// One page: the table and the reported total.
    async fn services_page(
        &self,
        request: &ServicesRequest,
        url: &str,
        page: u64,
        deadline: Instant,
    ) -> Result<(Table, Option<Value>)> {
        let body = request.body_for_page(page)?;
        let what = format!("the services API {} (page {page})", request.path());
        let data_key = request.data_key().to_owned();
        let content_type = request.content_type();
        self.send_with(
            super::Patience::Computes,
            &what,
            deadline,
            || {
                let builder = self
                    .http()
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .body(body.clone());
                self.authorize(builder, url, RequestKind::Services)
            },
            move |bytes| {
                let table = decode::services_table(&bytes, &data_key)?;
                let total = reported_total(&bytes)?;
                Ok((table, total))
            },
        )
        .await
    }
}
