//! Product lists: batches of observations fetched concurrently, merged in input order.

use futures::{StreamExt, TryStreamExt};
use mast_proto::products::{ProductFilter, filter_products, unique_products};
use mast_proto::{ServiceRequest, Table, Warning, WarningCategory};

use crate::error::invalid;
use crate::{Observations, Result};

/// Which observations to list products for: a table of observations (its `obsid` column;
/// TESS and TICA full-frame images are dropped with a warning, as astroquery does), or
/// observation ids.
#[derive(Debug, Clone, Copy)]
pub enum ObsIds<'a> {
    /// Rows of an observations table.
    Table(&'a Table),
    /// Observation ids (`obsid`, the product group id, not `obs_id`).
    Ids(&'a [String]),
    /// One observation id (or several joined by commas, passed through as one value).
    One(&'a str),
}

impl<'a> From<&'a Table> for ObsIds<'a> {
    fn from(t: &'a Table) -> Self {
        ObsIds::Table(t)
    }
}
impl<'a> From<&'a [String]> for ObsIds<'a> {
    fn from(ids: &'a [String]) -> Self {
        ObsIds::Ids(ids)
    }
}
impl<'a> From<&'a Vec<String>> for ObsIds<'a> {
    fn from(ids: &'a Vec<String>) -> Self {
        ObsIds::Ids(ids)
    }
}
impl<'a> From<&'a str> for ObsIds<'a> {
    fn from(id: &'a str) -> Self {
        ObsIds::One(id)
    }
}
impl<'a> From<&'a String> for ObsIds<'a> {
    fn from(id: &'a String) -> Self {
        ObsIds::One(id)
    }
}

/// The obsids to ask for and the warnings about what was left out.
fn obsids(input: ObsIds<'_>) -> Result<(Vec<String>, Vec<Warning>)> {
    let mut warnings = Vec::new();
    let ids: Vec<String> = match input {
        ObsIds::One(id) => vec![id.to_owned()],
        ObsIds::Ids(ids) => ids.to_vec(),
        ObsIds::Table(table) => {
            let obsid = table.column("obsid").ok_or_else(|| {
                invalid("The observations table has no \"obsid\" column; pass observation ids instead.")
            })?;
            let target = table.column("target_name");
            let mut ffis = Vec::new();
            let mut ids = Vec::with_capacity(table.num_rows());
            for row in 0..table.num_rows() {
                let name = target.and_then(|c| c.get_str(row));
                if matches!(name, Some("TESS FFI" | "TICA FFI")) {
                    let obs_id = table.value(row, "obs_id").map(|v| v.to_string()).unwrap_or_default();
                    ffis.push(obs_id);
                    continue;
                }
                ids.push(obsid.get(row).to_string());
            }
            if !ffis.is_empty() {
                warnings.push(Warning::new(
                    WarningCategory::Input,
                    format!(
                        "Filtered out {} TESS/TICA FFI observations ({}): their products are full-frame images; use TESScut (Tesscut.get_cutouts) or the TESS/TICA bulk download pages instead.",
                        ffis.len(),
                        ffis.join(", ")
                    ),
                ));
            }
            ids
        }
    };
    let ids: Vec<String> =
        ids.into_iter().map(|id| id.trim().to_owned()).filter(|id| !id.is_empty() && id != "--").collect();
    if ids.is_empty() {
        return Err(invalid("Observation list is empty, no associated products."));
    }
    let (ids, note) = unique_obsids(ids);
    if let Some(note) = note {
        warnings.push(Warning::new(WarningCategory::Input, note));
    }
    Ok((ids, warnings))
}

/// `ids` without repeats (the first of each kept, order kept; ids inside a comma-joined
/// entry count one by one), and a note saying how many were dropped, if any. astroquery
/// sends repeats as they are, so MAST lists the same products once per repeat.
fn unique_obsids(ids: Vec<String>) -> (Vec<String>, Option<String>) {
    let total: usize = ids.iter().map(|id| id.split(',').count()).sum();
    let mut seen = std::collections::HashSet::with_capacity(total);
    let mut unique = Vec::with_capacity(ids.len());
    for entry in &ids {
        if !entry.contains(',') {
            if seen.insert(entry.as_str()) {
                unique.push(entry.clone());
            }
            continue;
        }
        let kept: Vec<&str> = entry.split(',').filter(|id| seen.insert(id.trim())).collect();
        if !kept.is_empty() {
            unique.push(kept.join(","));
        }
    }
    let kept: usize = unique.iter().map(|id| id.split(',').count()).sum();
    let note = (kept < total).then(|| {
        format!(
            "{} of {total} observation ids were repeats and are sent once: fetching products for {kept} unique observations.",
            total - kept
        )
    });
    (unique, note)
}

impl Observations {
    /// The data products of observations (`Mast.Caom.Products`), in input order.
    ///
    /// Observations go out in batches ([`Observations::with_batch_size`], default 500),
    /// several batches at once within the client's concurrency bound, and every page of
    /// every batch is kept (astroquery keeps only the first page of each batch and silently
    /// loses products beyond 50,000 per batch). Rows are not de-duplicated; see
    /// [`Observations::get_unique_product_list`].
    pub async fn get_product_list(&self, observations: impl Into<ObsIds<'_>>) -> Result<Table> {
        self.product_list(observations.into(), None).await
    }

    /// A products table as given (it has a `dataURI` column), else the product list of the
    /// observations: the input of [`Observations::download_products`] and
    /// [`Observations::get_cloud_uris`].
    pub(crate) async fn products_of<'a>(&self, input: ObsIds<'a>) -> Result<std::borrow::Cow<'a, Table>> {
        match input {
            ObsIds::Table(t) if t.column("dataURI").is_some() => Ok(std::borrow::Cow::Borrowed(t)),
            other => Ok(std::borrow::Cow::Owned(self.get_product_list(other).await?)),
        }
    }

    /// [`Observations::get_product_list`] with each batch filtered as it arrives
    /// ([`Observations::filter_products`]), so a huge product list is never held whole when
    /// only a few rows are wanted. MAST's product service has no server-side filters, so
    /// every row is still transferred.
    pub async fn get_product_list_filtered(
        &self,
        observations: impl Into<ObsIds<'_>>,
        filter: &ProductFilter,
    ) -> Result<Table> {
        self.product_list(observations.into(), Some(filter)).await
    }

    /// [`Observations::get_product_list`] without duplicate products (same `dataURI`; the
    /// first is kept, order preserved).
    pub async fn get_unique_product_list(&self, observations: impl Into<ObsIds<'_>>) -> Result<Table> {
        let products = self.get_product_list(observations).await?;
        let (mut unique, note) = unique_products(&products, "dataURI")?;
        if let Some(note) = note {
            tracing::info!("{note} To return all products, use Observations::get_product_list.");
        }
        for w in products.warnings() {
            unique.push_warning(w.clone());
        }
        Ok(unique)
    }

    /// Keeps the products that pass `filter` (astroquery's `filter_products`: AND across
    /// keys, OR within a key, `!` negation, numeric expressions, extensions, MRP only).
    pub fn filter_products(&self, products: &Table, filter: &ProductFilter) -> Result<Table> {
        Ok(filter_products(products, filter)?)
    }

    async fn product_list(&self, input: ObsIds<'_>, filter: Option<&ProductFilter>) -> Result<Table> {
        let (ids, warnings) = obsids(input)?;
        for w in &warnings {
            tracing::warn!("{w}");
        }
        let batches: Vec<String> = ids.chunks(self.batch_size).map(|b| b.join(",")).collect();
        if batches.len() > 1 {
            tracing::info!("Fetching products for {} observations in {} batches", ids.len(), batches.len());
        }
        let tables: Vec<Table> = futures::stream::iter(batches)
            .map(|batch| async move {
                let table =
                    self.client.portal_table(ServiceRequest::new("Mast.Caom.Products").param("obsid", batch)).await?;
                match filter {
                    Some(f) => filter_products(&table, f),
                    None => Ok(table),
                }
            })
            .buffered(self.client.config().page_concurrency())
            .try_collect()
            .await?;
        let mut products = Table::concat(tables)?;
        for w in warnings {
            products.push_warning(w);
        }
        if products.is_empty() {
            products.push_warning(Warning::no_results());
        }
        for w in products.warnings() {
            tracing::warn!("{w}");
        }
        Ok(products)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_obsids_are_dropped_in_order() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(unique_obsids(ids(&["3", "1", "2"])), (ids(&["3", "1", "2"]), None));
        let (unique, note) = unique_obsids(ids(&["3", "1", "3", "2", "1"]));
        assert_eq!(unique, ids(&["3", "1", "2"]));
        assert_eq!(
            note.as_deref(),
            Some("2 of 5 observation ids were repeats and are sent once: fetching products for 3 unique observations.")
        );
        // Inside comma-joined entries too; an entry left empty is dropped.
        let (unique, note) = unique_obsids(ids(&["1,2", "2, 3,1", "3"]));
        assert_eq!(unique, ids(&["1,2", " 3"]));
        assert!(note.unwrap().starts_with("3 of 6 "));
    }
}
