//! The command-line form of criteria: `key=value` with comma lists and `a..b` ranges, read
//! with [`crate::pyparse`]'s list splitter and `KEY=VALUE` parser.

use super::{Criteria, CriterionValue, CriterionValues, invalid};
use crate::pyparse;
use crate::{Error, Result};

impl CriterionValues {
    /// Parses the value part of a command-line criterion (`key=value`, see [`Criteria::parse_arg`]).
    ///
    /// - Unescaped commas separate values: `NUV,FUV` is two values.
    /// - A single value with an unescaped `..` is a range: `43.5..45.5`, `-1..1e3`.
    /// - A backslash escapes a comma, a dot or itself: `Osten\, Rachel A.` is one value,
    ///   `a\.\.b` is the text `a..b`; any other backslash is kept as it is.
    /// - Whitespace around each value (and around range bounds) is removed.
    /// - Values stay text: a discrete column receives them exactly as typed, a continuous one
    ///   reads them as numbers (see [`build_filters`](super::build_filters)).
    ///
    /// Errors ([`Error::InvalidQuery`]): an empty value (`key=`, `a,,b`:
    /// [`pyparse::split_values`], shared with product filters), a range mixed with other values
    /// (`1..2,5`) or with two `..` (`1..2..3`), a range with an empty bound (`..5`), a reversed
    /// numeric range (`10..5`: [`pyparse::check_range`]).
    ///
    /// ```
    /// use mast_proto::criteria::{CriterionValue, CriterionValues};
    /// assert_eq!(
    ///     CriterionValues::parse(r"*UV,Kepler, Osten\, R.")?,
    ///     CriterionValues::from(["*UV", "Kepler", "Osten, R."])
    /// );
    /// assert_eq!(CriterionValues::parse("-1 .. 2")?, CriterionValues::range("-1", "2"));
    /// assert!(CriterionValues::parse("1..2,5").is_err());
    /// assert!(CriterionValues::parse("").is_err());
    /// assert!(CriterionValues::parse("10..5").is_err());
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<CriterionValues> {
        let items = pyparse::split_values(text)?;
        let single = items.len() == 1;
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            match item.split_once_unescaped("..") {
                Some((lo, hi)) => {
                    if !single {
                        return Err(invalid(format!(
                            "'{text}' mixes a range with other values; give either one range min..max or a list of values"
                        )));
                    }
                    if hi.find_unescaped("..").is_some() {
                        return Err(invalid(format!("'{text}' has more than one '..'; a range is written min..max")));
                    }
                    if lo.as_str().is_empty() || hi.as_str().is_empty() {
                        return Err(invalid(format!(
                            "'{text}' is a range with an empty bound; a range is written min..max with both bounds"
                        )));
                    }
                    pyparse::check_range(lo.as_str(), hi.as_str())?;
                    return Ok(CriterionValues::range(lo.into_string(), hi.into_string()));
                }
                None => values.push(CriterionValue::Text(item.into_string())),
            }
        }
        Ok(CriterionValues::List(values))
    }
}

impl Criteria {
    /// Parses one command-line criterion `key=value`: the keyword is everything before the
    /// first `=` (trimmed, not empty; [`pyparse::split_key_value`]); the value is read by [`CriterionValues::parse`]
    /// (comma lists, `a..b` ranges, `\,` to escape a comma).
    ///
    /// ```
    /// use mast_proto::criteria::{Criteria, CriterionValues};
    /// assert_eq!(Criteria::parse_arg("dataproduct_type=image")?, ("dataproduct_type".to_owned(), CriterionValues::from("image")));
    /// assert_eq!(Criteria::parse_arg("proposal_pi=Osten*")?.1, CriterionValues::from("Osten*"));
    /// assert_eq!(Criteria::parse_arg("s_dec=43.5..45.5")?.1, CriterionValues::range("43.5", "45.5"));
    /// assert_eq!(Criteria::parse_arg("filters=*UV,Kepler")?.1, CriterionValues::from(["*UV", "Kepler"]));
    /// assert!(Criteria::parse_arg("image").is_err());
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn parse_arg(arg: &str) -> Result<(String, CriterionValues)> {
        let (key, value) = pyparse::split_key_value(
            arg,
            "criterion",
            "keyword=value (e.g. dataproduct_type=image, s_dec=43.5..45.5)",
        )?;
        let values =
            CriterionValues::parse(value).map_err(|e| invalid(format!("criterion '{key}': {}", error_message(&e))))?;
        Ok((key.to_owned(), values))
    }

    /// Adds one command-line criterion `key=value` (see [`Criteria::parse_arg`]).
    ///
    /// ```
    /// use mast_proto::criteria::Criteria;
    /// let c = Criteria::new().arg("filters=NUV,FUV")?.arg("s_dec=43.5..45.5")?;
    /// assert_eq!(c.len(), 2);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn arg(mut self, arg: &str) -> Result<Self> {
        let (key, values) = Criteria::parse_arg(arg)?;
        self.insert(key, values);
        Ok(self)
    }

    /// Criteria from command-line arguments `key=value`, in order.
    ///
    /// ```
    /// use mast_proto::criteria::Criteria;
    /// let c = Criteria::from_args(["obs_collection=HST", "s_dec=43.5..45.5"])?;
    /// assert_eq!(c.keywords().collect::<Vec<_>>(), ["obs_collection", "s_dec"]);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn from_args<I, S>(args: I) -> Result<Criteria>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        args.into_iter().try_fold(Criteria::new(), |c, a| c.arg(a.as_ref()))
    }
}

fn error_message(e: &Error) -> String {
    match e {
        Error::InvalidQuery { message } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_parsing() {
        let p = |s: &str| Criteria::parse_arg(s).unwrap();
        assert_eq!(p("dataproduct_type=image"), ("dataproduct_type".into(), CriterionValues::from("image")));
        assert_eq!(p(" s_dec = 43.5..45.5 "), ("s_dec".into(), CriterionValues::range("43.5", "45.5")));
        assert_eq!(p("filters=*UV,Kepler").1, CriterionValues::from(["*UV", "Kepler"]));
        assert_eq!(p(r"proposal_pi=Osten\, Rachel A.").1, CriterionValues::from("Osten, Rachel A."));
        assert_eq!(p(r"target_name=a\.\.b").1, CriterionValues::from("a..b"));
        assert_eq!(p(r"target_name=a\..b").1, CriterionValues::from("a..b"));
        assert_eq!(p(r"x=C:\data\\,y").1, CriterionValues::from([r"C:\data\", "y"]));
        assert_eq!(p("x=a=b").1, CriterionValues::from("a=b"));
        assert_eq!(p("x=-1e3..-5").1, CriterionValues::range("-1e3", "-5"));
        assert_eq!(p("x=5..5").1, CriterionValues::range("5", "5"));
        assert_eq!(p("x=b..a").1, CriterionValues::range("b", "a"), "text bounds are the column's business");
        for bad in [
            "image",
            "=image",
            " =x",
            "x=1..2,3",
            "x=1,2..3",
            "x=1..2..3",
            "x=",
            "x= ",
            "x=a,,b",
            "x=a,",
            "x=..5",
            "x=1..",
            "x=10..5",
        ] {
            let e = Criteria::parse_arg(bad).unwrap_err();
            assert_eq!(e.class_name(), "InvalidQueryError", "{bad}");
        }
        assert_eq!(
            Criteria::parse_arg("s_dec=1..2,3").unwrap_err().to_string(),
            "criterion 's_dec': '1..2,3' mixes a range with other values; give either one range min..max or a list of values"
        );
        assert_eq!(
            Criteria::parse_arg("obs_id=").unwrap_err().to_string(),
            "criterion 'obs_id': no value after '='; give one or more values separated by commas"
        );
        assert_eq!(
            Criteria::parse_arg("s_dec=10..5").unwrap_err().to_string(),
            "criterion 's_dec': the range 10..5 is reversed: its minimum 10 is greater than its maximum 5; write it as min..max"
        );
        // Same keyword twice: the last value wins, in the first position.
        let c = Criteria::from_args(["a=1", "b=2", "a=3"]).unwrap();
        assert_eq!(
            c.iter().map(|(k, v)| (k, v.clone())).collect::<Vec<_>>(),
            [("a", CriterionValues::from("3")), ("b", CriterionValues::from("2"))]
        );
        let c: Criteria = [("a", 1), ("b", 2)].into_iter().collect();
        assert_eq!(c.len(), 2);
    }
}
