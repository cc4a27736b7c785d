//! Object names → sky positions through MAST's SANTA resolver (spec §7.1).

use std::fmt;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use super::MastClient;
use crate::config::defaults::RESOLVER_BATCH;
use crate::{Error, Position, Result, Warning, WarningCategory};

/// A name service SANTA can be restricted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameResolver {
    /// SIMBAD (CDS).
    Simbad,
    /// NED (NASA/IPAC Extragalactic Database).
    Ned,
}

impl NameResolver {
    /// Parses `"SIMBAD"` or `"NED"`, case-insensitively, as astroquery does.
    pub fn parse(name: &str) -> Result<NameResolver> {
        match name.to_ascii_uppercase().as_str() {
            "SIMBAD" => Ok(NameResolver::Simbad),
            "NED" => Ok(NameResolver::Ned),
            _ => Err(Error::Resolver { message: "Invalid resolver. Must be \"NED\" or \"SIMBAD\".".into() }),
        }
    }

    /// The name SANTA uses (`SIMBAD`, `NED`).
    pub fn as_str(self) -> &'static str {
        match self {
            NameResolver::Simbad => "SIMBAD",
            NameResolver::Ned => "NED",
        }
    }
}

impl fmt::Display for NameResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How names are resolved: which resolver, and whether to return every resolver's answer.
///
/// ```
/// use mast_proto::{NameResolver, ResolveOptions};
/// let opts = ResolveOptions::new().resolver(NameResolver::Ned);
/// let all = ResolveOptions::new().resolve_all(true);
/// # let _ = (opts, all);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolveOptions {
    resolver: Option<NameResolver>,
    resolve_all: bool,
}

impl ResolveOptions {
    /// SANTA's preferred resolver for each name, one position per name.
    pub fn new() -> Self {
        Self::default()
    }
    /// Only this resolver's answer counts.
    pub fn resolver(mut self, resolver: NameResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }
    /// Return every resolver's position for each name (the resolver choice is then ignored,
    /// with a warning, as astroquery does).
    pub fn resolve_all(mut self, yes: bool) -> Self {
        self.resolve_all = yes;
        self
    }
}

/// One resolved name.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedObject {
    /// The name as given.
    pub name: String,
    /// The resolver that answered (`SIMBAD`, `NED`, `TIC`, ...).
    pub resolver: String,
    /// The resolver's canonical name for the object, if it gave one.
    pub canonical_name: Option<String>,
    /// ICRS position.
    pub position: Position,
}

/// The answer to [`super::Mast::resolve_objects`]: resolved names in input order (several
/// entries per name with `resolve_all`), plus warnings for names that did not resolve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// Resolved names, in input order.
    pub objects: Vec<ResolvedObject>,
    /// One warning per name that did not resolve, and any position disagreements.
    pub warnings: Vec<Warning>,
}

#[derive(Deserialize)]
struct SantaResponse {
    #[serde(rename = "resolvedCoordinate", default)]
    resolved: Option<Vec<SantaEntry>>,
}

#[derive(Deserialize, Clone)]
struct SantaEntry {
    #[serde(rename = "searchString", default)]
    search_string: String,
    #[serde(default)]
    resolver: String,
    #[serde(rename = "canonicalName", default)]
    canonical_name: Option<String>,
    ra: Option<f64>,
    decl: Option<f64>,
}

/// The longest object name sent to the resolver, in characters (real names are a few
/// dozen; a longer one is a mistake, such as a file pasted in place of a name).
pub const MAX_OBJECT_NAME_CHARS: usize = 1000;

/// Checks an object name before it is sent to the resolver: not empty, not only whitespace,
/// at most [`MAX_OBJECT_NAME_CHARS`] characters. The error is [`Error::InvalidQuery`]; a name
/// that is too long is shown by its first 40 characters, an ellipsis and its length, never
/// whole.
///
/// ```
/// use mast_proto::check_object_name;
/// assert!(check_object_name("M101").is_ok());
/// assert_eq!(check_object_name("").unwrap_err().to_string(), "The object name is empty: give a name such as M101.");
/// assert!(check_object_name(" \t").unwrap_err().to_string().contains("blank"));
/// let err = check_object_name(&"M".repeat(100_000)).unwrap_err().to_string();
/// assert!(err.contains("(100000 characters)") && err.len() < 200, "{err}");
/// ```
pub fn check_object_name(name: &str) -> Result<()> {
    let invalid = |message: String| Err(Error::InvalidQuery { message });
    if name.is_empty() {
        return invalid("The object name is empty: give a name such as M101.".into());
    }
    if name.trim().is_empty() {
        return invalid(format!("The object name {name:?} is blank: give a name such as M101."));
    }
    let chars = name.chars().count();
    if chars > MAX_OBJECT_NAME_CHARS {
        let head: String = name.chars().take(40).collect();
        return invalid(format!(
            "The object name {:?} ({chars} characters) is too long: names are at most {MAX_OBJECT_NAME_CHARS} characters.",
            format!("{head}…")
        ));
    }
    Ok(())
}

impl MastClient {
    /// Resolves `names` through SANTA (batches of 30, fetched concurrently within the page
    /// concurrency bound). Single-name failures are typed errors; with several names the
    /// unresolved ones are left out with a warning each, and it is an error only when none
    /// resolved.
    pub(crate) async fn resolve(&self, names: &[String], options: &ResolveOptions) -> Result<Resolution> {
        if names.is_empty() {
            return Err(Error::InvalidQuery { message: "No object names were given to resolve.".into() });
        }
        // Every name is checked before the first batch is sent.
        names.iter().try_for_each(|n| check_object_name(n))?;
        let mut warnings = Vec::new();
        if options.resolve_all && options.resolver.is_some() {
            warnings.push(Warning::new(
                WarningCategory::Input,
                "The resolver parameter is ignored when resolve_all is True. Results will be returned for all resolvers.",
            ));
        }
        let resolver = options.resolver.filter(|_| !options.resolve_all);
        // For TIC/KIC/EPIC names SANTA is also asked for the catalog itself (spec §7.1).
        let catalog = resolver.and_then(|_| {
            let mut last = None;
            for (prefix, cat) in [("TIC ", "TIC"), ("KIC ", "KEPLER"), ("EPIC ", "K2")] {
                if names.iter().any(|n| n.starts_with(prefix)) {
                    last = Some(cat);
                }
            }
            last
        });
        let deadline = Instant::now() + self.config().timeout();
        let entries: Vec<Vec<SantaEntry>> = futures::stream::iter(names.chunks(RESOLVER_BATCH))
            .map(|batch| self.santa_batch(batch, options.resolve_all, resolver, catalog, deadline))
            .buffered(self.config().page_concurrency())
            .try_collect()
            .await?;
        let entries: Vec<SantaEntry> = entries.into_iter().flatten().collect();

        let single = names.len() == 1;
        let mut objects = Vec::new();
        for name in names {
            let key = name.to_lowercase();
            let matching: Vec<&SantaEntry> = entries.iter().filter(|e| e.search_string == key).collect();
            let chosen: Vec<&SantaEntry> = if options.resolve_all {
                matching.clone()
            } else if let Some(r) = resolver {
                matching.iter().copied().filter(|e| e.resolver.eq_ignore_ascii_case(r.as_str())).take(1).collect()
            } else {
                matching.iter().copied().take(1).collect()
            };
            if chosen.is_empty() {
                let message = match resolver {
                    Some(r) if !matching.is_empty() => format!(
                        "Could not resolve \"{name}\" to a sky position using resolver \"{r}\". Check that the object name is correct and that the resolver is able to resolve it."
                    ),
                    _ => format!("Could not resolve \"{name}\" to a sky position."),
                };
                if single {
                    return Err(Error::Resolver { message });
                }
                warnings.push(Warning::new(WarningCategory::Input, message));
                continue;
            }
            for entry in &chosen {
                let (Some(ra), Some(dec)) = (entry.ra, entry.decl) else { continue };
                let position = Position::new(ra, dec).map_err(|e| {
                    let detail = format!("the resolver gave an invalid position for {name:?}");
                    Error::decode_caused("resolver JSON", detail, e)
                })?;
                objects.push(ResolvedObject {
                    name: name.clone(),
                    resolver: entry.resolver.clone(),
                    canonical_name: entry.canonical_name.clone(),
                    position,
                });
            }
            if let (Some(cat), Some(first)) = (catalog, objects.last())
                && !options.resolve_all
                && let Some(cat_entry) = matching.iter().find(|e| e.resolver.eq_ignore_ascii_case(cat))
                && let (Some(ra), Some(dec)) = (cat_entry.ra, cat_entry.decl)
                && let Ok(cat_pos) = Position::new(ra, dec)
            {
                let sep_arcsec = first.position.separation(&cat_pos) * 3600.0;
                if sep_arcsec > 1.0 {
                    warnings.push(Warning::new(
                        WarningCategory::Input,
                        format!(
                            "Resolver {} resolved \"{name}\" to a position {sep_arcsec:.2} arcsec from the {cat} catalog position.",
                            first.resolver
                        ),
                    ));
                }
            }
        }
        if objects.is_empty() {
            return Err(Error::Resolver {
                message: if single {
                    format!("Could not resolve \"{}\" to a sky position.", names[0])
                } else {
                    "Could not resolve any of the given object names to sky positions.".into()
                },
            });
        }
        for w in &warnings {
            tracing::warn!("{w}");
        }
        Ok(Resolution { objects, warnings })
    }

    async fn santa_batch(
        &self,
        batch: &[String],
        resolve_all: bool,
        resolver: Option<NameResolver>,
        catalog: Option<&str>,
        deadline: Instant,
    ) -> Result<Vec<SantaEntry>> {
        let mut query: Vec<(&str, &str)> =
            vec![("outputFormat", "json"), ("resolveAll", if resolve_all { "True" } else { "False" })];
        if let Some(r) = resolver {
            query.push(("resolver", r.as_str()));
            if let Some(cat) = catalog {
                query.push(("resolver", cat));
            }
        }
        query.extend(batch.iter().map(|n| ("name", n.as_str())));
        let url = self.config().santa_url();
        let response: SantaResponse = self
            .send(
                "the name resolver",
                deadline,
                || self.http().get(&url).header(reqwest::header::ACCEPT, "text/plain").query(&query),
                |body| {
                    serde_json::from_slice(&body)
                        .map_err(|e| Error::decode_caused("resolver JSON", "not the resolver's JSON", e))
                },
            )
            .await?;
        Ok(response.resolved.unwrap_or_default())
    }
}
