//! Warnings returned with results, named as astroquery names them.

use std::fmt;

/// The kind of a [`Warning`], using astroquery's warning class names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningCategory {
    /// Something about the input was ignored or adjusted (astroquery `InputWarning`).
    Input,
    /// The query matched nothing (astroquery `NoResultsWarning`).
    NoResults,
    /// The result hit a server-side row cap (astroquery `MaxResultsWarning`).
    MaxResults,
    /// Some values could not be converted and were masked (astroquery `BlankResponseWarning`).
    BlankResponse,
}

impl WarningCategory {
    /// astroquery's class name for this category.
    pub fn class_name(self) -> &'static str {
        match self {
            WarningCategory::Input => "InputWarning",
            WarningCategory::NoResults => "NoResultsWarning",
            WarningCategory::MaxResults => "MaxResultsWarning",
            WarningCategory::BlankResponse => "BlankResponseWarning",
        }
    }
}

/// A warning that goes with a result: never silent, always returned to the caller.
///
/// ```
/// use mast_proto::{Warning, WarningCategory};
/// let w = Warning::new(WarningCategory::NoResults, "Query returned no results.");
/// assert_eq!(w.to_string(), "NoResultsWarning: Query returned no results.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    /// What kind of warning this is.
    pub category: WarningCategory,
    /// The message, worded as astroquery words it where astroquery has the same warning.
    pub message: String,
}

impl Warning {
    /// A warning of `category` saying `message`.
    pub fn new(category: WarningCategory, message: impl Into<String>) -> Self {
        Warning { category, message: message.into() }
    }

    /// astroquery's `NoResultsWarning("Query returned no results.")`.
    pub fn no_results() -> Self {
        Warning::new(WarningCategory::NoResults, "Query returned no results.")
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.category.class_name(), self.message)
    }
}
