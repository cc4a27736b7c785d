//! Portal queries: poll while EXECUTING, fetch page 1, then the other pages concurrently,
//! and join them in page order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::MastClient;
use super::http::timeout;
use crate::decode::{self, Paging, Status};
use crate::{ColumnConfig, Error, Result, ServiceRequest, Table};

/// Rows reserved up front at most (the rest grows as pages arrive).
const MAX_RESERVED_ROWS: u64 = 2_000_000;
/// Rows a query may announce: far above what MAST serves (about 500,000 rows per query);
/// more is a broken or hostile answer, refused before any page is fetched.
pub const MAX_QUERY_ROWS: u64 = 1_000_000_000;
/// Pages a query may announce.
pub const MAX_QUERY_PAGES: u64 = 10_000_000;

/// The number of pages page 1 announces, once it is checked against the rows it announces
/// and against [`MAX_QUERY_ROWS`] / [`MAX_QUERY_PAGES`]: a typed error, never a walk over
/// 2^40 pages or a terabyte reservation.
fn checked_pages(paging: &Paging, service: &str) -> Result<u64> {
    let what = format!("MAST service {service}");
    if paging.rows_filtered > MAX_QUERY_ROWS || paging.pages_filtered > MAX_QUERY_PAGES {
        return Err(Error::TooLarge {
            what,
            detail: format!(
                "the answer announces {} rows in {} pages, more than this client accepts ({MAX_QUERY_ROWS} rows, {MAX_QUERY_PAGES} pages); narrow the query",
                paging.rows_filtered, paging.pages_filtered
            ),
        });
    }
    if paging.page_size > 0 && paging.pages_filtered > paging.rows_filtered.div_ceil(paging.page_size).max(1) {
        return Err(Error::Decode {
            format: "portal JSON",
            detail: format!(
                "inconsistent paging in the answer of {what}: {} pages for {} rows of {} per page",
                paging.pages_filtered, paging.rows_filtered, paging.page_size
            ),
            source: None,
        });
    }
    Ok(paging.pages_filtered)
}

const FIRST_POLL_DELAY: Duration = Duration::from_millis(100);
const MAX_POLL_DELAY: Duration = Duration::from_secs(3);

enum Page<T> {
    Executing,
    Done(T, Option<Paging>),
}

impl MastClient {
    /// Runs a Portal query and returns the whole result as one table.
    ///
    /// Unless the request names a page ([`ServiceRequest::page`]), page 1 is fetched (and
    /// polled while MAST says EXECUTING), then pages 2..N concurrently, at most
    /// [`crate::MastConfig::page_concurrency`] at once, and the pages are joined in page
    /// order. The service's columns config is fetched alongside page 1 (once per client and
    /// service) so that its `ignoreValue`s mask cells and its units describe columns.
    ///
    /// The request is checked first ([`ServiceRequest::validate`]: an empty service name,
    /// `pagesize` or `page` 0 are [`crate::Error::InvalidQuery`]), so an invalid request sends
    /// nothing; [`MastClient::portal_raw`] does the same.
    pub async fn portal_table(&self, request: ServiceRequest) -> Result<Table> {
        let config_id = request.service().to_owned();
        self.portal_table_with_config(request, &config_id).await
    }

    /// [`MastClient::portal_table`] with the columns config of `config_id` instead of the
    /// service's own (MAST's filtered services describe their rows with the config of the
    /// cone service, e.g. `Mast.Caom.Cone` for `Mast.Caom.Filtered`).
    pub async fn portal_table_with_config(&self, request: ServiceRequest, config_id: &str) -> Result<Table> {
        request.validate()?;
        let deadline = Instant::now() + self.config().timeout();
        let request = request.with_default_pagesize(self.config().pagesize());
        let service = request.service().to_owned();
        let first = request.clone().page(request.page_number().unwrap_or(1));
        let (config, (mut table, paging)) =
            futures::try_join!(self.column_config(config_id), self.fetch_table_page(&first, deadline))?;
        table.apply_column_config(&config);
        if request.is_single_page() {
            return Ok(table);
        }
        let pages = match paging {
            Some(p) => checked_pages(&p, &service)?,
            None => 1,
        };
        if pages <= 1 {
            return Ok(table);
        }
        tracing::debug!(service, pages, concurrency = self.config().page_concurrency(), "fetching the remaining pages");
        // Room for every row up front, estimated from page 1, so appending rarely re-copies;
        // bounded, because the count comes from the server.
        let rows_filtered = paging.map_or(0, |p| p.rows_filtered);
        let first_rows = table.num_rows() as u64;
        let estimate =
            rows_filtered.saturating_sub(first_rows).min(first_rows.saturating_mul(pages - 1)).min(MAX_RESERVED_ROWS);
        table.reserve(estimate as usize);
        let mut rest = futures::stream::iter(2..=pages)
            .map(|page| {
                let request = request.clone().page(page);
                let config: Arc<ColumnConfig> = config.clone();
                async move {
                    let (mut t, _) = self.fetch_table_page(&request, deadline).await?;
                    t.apply_column_config(&config);
                    Ok::<_, crate::Error>(t)
                }
            })
            .buffered(self.config().page_concurrency());
        // Pages are appended (and dropped) in page order as they arrive.
        while let Some(page) = rest.try_next().await? {
            table.append(&page)?;
        }
        Ok(table)
    }

    /// Runs a Portal query and returns the raw response bodies, one per page (polling while
    /// EXECUTING, following `paging` unless the request names a page). For services whose
    /// answer is not a table (`Mast.Name.Lookup`, `Mast.Bundle.Request`, ...).
    pub async fn portal_raw(&self, request: ServiceRequest) -> Result<Vec<Bytes>> {
        request.validate()?;
        let deadline = Instant::now() + self.config().timeout();
        let request = request.with_default_pagesize(self.config().pagesize());
        let first = request.clone().page(request.page_number().unwrap_or(1));
        let (body, paging) = self.poll(&first, deadline, raw_page).await?;
        let mut bodies = vec![body];
        if !request.is_single_page() {
            let pages = match paging {
                Some(p) => checked_pages(&p, request.service())?,
                None => 1,
            };
            let rest: Vec<Bytes> = futures::stream::iter(2..=pages)
                .map(|page| {
                    let request = request.clone().page(page);
                    async move { Ok::<_, crate::Error>(self.poll(&request, deadline, raw_page).await?.0) }
                })
                .buffered(self.config().page_concurrency())
                .try_collect()
                .await?;
            bodies.extend(rest);
        }
        Ok(bodies)
    }

    async fn fetch_table_page(&self, request: &ServiceRequest, deadline: Instant) -> Result<(Table, Option<Paging>)> {
        let service = request.service().to_owned();
        self.poll(request, deadline, move |body| {
            let response = decode::parse_portal(&body)?;
            if *response.status() == Status::Executing {
                return Ok(Page::Executing);
            }
            let paging = response.paging();
            Ok(Page::Done(response.into_table(&service, None)?, paging))
        })
        .await
    }

    /// Sends `request` until MAST stops answering EXECUTING (the identical request, same
    /// `cacheBreaker`, with a growing delay), within the deadline.
    async fn poll<T, D>(&self, request: &ServiceRequest, deadline: Instant, decode: D) -> Result<(T, Option<Paging>)>
    where
        D: Fn(Bytes) -> Result<Page<T>> + Clone + Send + 'static,
        T: Send + 'static,
    {
        let what = format!("MAST service {}", request.service());
        let url = self.config().invoke_url();
        let body = request.form_body();
        let mut delay = FIRST_POLL_DELAY;
        loop {
            let page = self.send(&what, deadline, || self.portal_post(&url, &body), decode.clone()).await?;
            match page {
                Page::Done(value, paging) => return Ok((value, paging)),
                Page::Executing => {
                    if Instant::now() + delay >= deadline {
                        return Err(timeout(&what, self.config().timeout()));
                    }
                    tracing::debug!(
                        service = request.service(),
                        delay_ms = delay.as_millis() as u64,
                        "EXECUTING; polling again"
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(MAX_POLL_DELAY);
                }
            }
        }
    }
}

fn raw_page(body: Bytes) -> Result<Page<Bytes>> {
    let response = decode::parse_portal(&body)?;
    match response.status() {
        Status::Executing => Ok(Page::Executing),
        _ => {
            let paging = response.paging();
            Ok(Page::Done(body.clone(), paging))
        }
    }
}
