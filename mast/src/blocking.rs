//! The async API behind a private runtime (feature `blocking`), for scripts and programs
//! without async. Calling it from inside a Tokio runtime is an error
//! ([`Error::BlockingInsideRuntime`]), never a panic or a deadlock.

use crate::{Error, Position, Resolution, ResolveOptions, Result, ServiceRequest, Table};

/// Blocking twin of [`crate::Mast`].
///
/// ```no_run
/// use mast::blocking::Mast;
/// use mast::{MastClient, ServiceRequest};
/// let mast = Mast::new(MastClient::from_env()?)?;
/// let m8 = mast.resolve_object("M8")?;
/// let table = mast.service_request(ServiceRequest::new("Mast.Caom.Cone")
///     .param("ra", m8.ra()).param("dec", m8.dec()).param("radius", 0.02))?;
/// println!("{table}");
/// # Ok::<(), mast::Error>(())
/// ```
#[derive(Debug)]
pub struct Mast {
    inner: crate::Mast,
    runtime: tokio::runtime::Runtime,
}

impl Mast {
    /// Direct queries over `client`, on a private runtime.
    pub fn new(client: crate::MastClient) -> Result<Mast> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Config { key: "runtime".into(), message: e.to_string() })?;
        Ok(Mast { inner: crate::Mast::new(client), runtime })
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> Result<F::Output> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInsideRuntime);
        }
        Ok(self.runtime.block_on(f))
    }

    /// See [`crate::Mast::service_request`].
    pub fn service_request(&self, request: ServiceRequest) -> Result<Table> {
        self.block_on(self.inner.service_request(request))?
    }

    /// See [`crate::Mast::service_request_raw`].
    pub fn service_request_raw(&self, request: ServiceRequest) -> Result<Vec<Vec<u8>>> {
        let bodies = self.block_on(self.inner.service_request_raw(request))??;
        Ok(bodies.into_iter().map(|b| b.to_vec()).collect())
    }

    /// See [`crate::Mast::resolve_object`].
    pub fn resolve_object(&self, name: &str) -> Result<Position> {
        self.block_on(self.inner.resolve_object(name))?
    }

    /// See [`crate::Mast::resolve_objects`].
    pub fn resolve_objects<S: AsRef<str>>(&self, names: &[S], options: &ResolveOptions) -> Result<Resolution> {
        self.block_on(self.inner.resolve_objects(names, options))?
    }
}
