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

    /// Checks `token` and makes it this client's token (feature `auth`); see
    /// [`crate::auth::MastAuth::login`]. Every clone of the client given to [`Mast::new`]
    /// sends it from then on.
    ///
    /// ```no_run
    /// use mast::auth::Token;
    /// let mast = mast::blocking::Mast::new(mast::MastClient::from_env()?)?;
    /// let info = mast.login(Token::new(std::env::var("MY_TOKEN").unwrap_or_default()))?;
    /// println!("logged in as {:?}", info.display_name());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "auth")]
    pub fn login(&self, token: crate::auth::Token) -> crate::auth::Result<crate::auth::SessionInfo> {
        let auth = crate::auth::MastAuth::new(self.inner.client().clone());
        self.block_on(auth.login(token))?
    }

    /// The session as MAST sees it (feature `auth`); see
    /// [`crate::auth::MastAuth::session_info`].
    #[cfg(feature = "auth")]
    pub fn session_info(&self) -> crate::auth::Result<crate::auth::SessionInfo> {
        self.block_on(crate::auth::MastAuth::new(self.inner.client().clone()).session_info())?
    }

    /// Forgets the token in the client and its clones, without a request (feature `auth`).
    #[cfg(feature = "auth")]
    pub fn logout(&self) {
        self.inner.client().set_token(None);
    }
}
