//! [`Mast`]: astroquery's direct MAST queries and name resolution.

use bytes::Bytes;

use super::{MastClient, Resolution, ResolveOptions};
use crate::{Position, Result, ServiceRequest, Table};

/// Direct MAST queries, as astroquery's `Mast` object: any Portal service by name, its raw
/// answer, and object-name resolution.
///
/// ```no_run
/// use mast_proto::{Mast, MastClient, ServiceRequest};
/// # async fn run() -> mast_proto::Result<()> {
/// let mast = Mast::new(MastClient::from_env()?);
/// let m101 = mast.resolve_object("M101").await?;
/// let table = mast
///     .service_request(
///         ServiceRequest::new("Mast.Caom.Cone").param("ra", m101.ra()).param("dec", m101.dec()).param("radius", 0.2),
///     )
///     .await?;
/// println!("{} observations", table.num_rows());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Mast {
    client: MastClient,
}

impl Mast {
    /// Direct queries over `client`.
    pub fn new(client: MastClient) -> Mast {
        Mast { client }
    }

    /// The client underneath.
    pub fn client(&self) -> &MastClient {
        &self.client
    }

    /// Runs any Portal service and returns its result as a table (every page, fetched
    /// concurrently, unless the request names one page). MAST's `status: ERROR` becomes
    /// [`crate::Error::Remote`] quoting MAST's message.
    pub async fn service_request(&self, request: ServiceRequest) -> Result<Table> {
        self.client.portal_table(request).await
    }

    /// Runs any Portal service and returns the raw response bodies, one per page (for
    /// services whose answer is not a table, e.g. `Mast.Name.Lookup`).
    pub async fn service_request_raw(&self, request: ServiceRequest) -> Result<Vec<Bytes>> {
        self.client.portal_raw(request).await
    }

    /// Resolves one object name to a position (SANTA's preferred resolver). An unknown name
    /// is [`crate::Error::Resolver`] naming it.
    pub async fn resolve_object(&self, name: &str) -> Result<Position> {
        let resolution = self.client.resolve(&[name.to_owned()], &ResolveOptions::new()).await?;
        Ok(resolution.objects[0].position)
    }

    /// Resolves several names (batches of 30). See [`Resolution`] for the shape of the
    /// answer and [`ResolveOptions`] for resolver choice and `resolve_all`.
    pub async fn resolve_objects<S: AsRef<str>>(&self, names: &[S], options: &ResolveOptions) -> Result<Resolution> {
        let names: Vec<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
        self.client.resolve(&names, options).await
    }
}
