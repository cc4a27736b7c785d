//! PanSTARRS through the catalogs API (spec §6), sans-IO: typed criteria (column,
//! decorator, value), `columns`, `sort_by`, and the request body in astroquery's form.

use std::fmt;

use mast_proto::criteria::{CriterionValue, CriterionValues, difflib};
use mast_proto::pyparse;
use mast_proto::{Position, Radius, ServicesRequest};
use serde_json::{Map, Value};

use crate::catalog::criterion_json;
use crate::error::{Result, invalid};

/// The catalogs API's comparison decorators (`col.gte`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decorator {
    /// `min`: at least (as `gte`).
    Min,
    /// `gte`: greater than or equal.
    Gte,
    /// `gt`: greater than.
    Gt,
    /// `max`: at most (as `lte`).
    Max,
    /// `lte`: less than or equal.
    Lte,
    /// `lt`: less than.
    Lt,
    /// `like`: an SQL `LIKE` pattern.
    Like,
    /// `contains`: a substring.
    Contains,
}

impl Decorator {
    /// Every decorator.
    pub const ALL: [Decorator; 8] = [
        Decorator::Min,
        Decorator::Gte,
        Decorator::Gt,
        Decorator::Max,
        Decorator::Lte,
        Decorator::Lt,
        Decorator::Like,
        Decorator::Contains,
    ];

    /// The decorator's name on the wire.
    ///
    /// ```
    /// assert_eq!(mast_catalogs::Decorator::Gte.as_str(), "gte");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Decorator::Min => "min",
            Decorator::Gte => "gte",
            Decorator::Gt => "gt",
            Decorator::Max => "max",
            Decorator::Lte => "lte",
            Decorator::Lt => "lt",
            Decorator::Like => "like",
            Decorator::Contains => "contains",
        }
    }

    /// The decorator named `name` (without case).
    ///
    /// ```
    /// assert_eq!(mast_catalogs::Decorator::parse("GTE"), Some(mast_catalogs::Decorator::Gte));
    /// assert_eq!(mast_catalogs::Decorator::parse("ge"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Decorator> {
        Decorator::ALL.into_iter().find(|d| d.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Decorator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One PanSTARRS condition: a column, an optional decorator, a value (astroquery's
/// `col=v` or `col=[("gte", v)]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The column, as typed (checked without case against the table's metadata).
    pub column: String,
    /// The comparison; `None` is equality (several equalities on a column are ORed).
    pub decorator: Option<Decorator>,
    /// The value.
    pub value: CriterionValue,
}

impl Condition {
    /// The body key: `col` or `col.<decorator>`.
    pub fn key(&self) -> String {
        match self.decorator {
            Some(d) => format!("{}.{}", self.column, d),
            None => self.column.clone(),
        }
    }
}

/// PanSTARRS criteria: conditions in the order given. Conditions on different columns are
/// ANDed by the service, equalities on one column ORed.
///
/// ```
/// use mast_catalogs::{Decorator, PanstarrsCriteria};
/// let c = PanstarrsCriteria::new().equals("qualityFlag", 48).with("nDetections", Decorator::Gte, 2);
/// assert_eq!(c.len(), 2);
/// let parsed = PanstarrsCriteria::new().arg("nDetections=gte:2")?.arg("qualityFlag=48")?;
/// assert_eq!(parsed, PanstarrsCriteria::new().with("nDetections", Decorator::Gte, 2).equals("qualityFlag", 48));
/// # Ok::<(), mast_catalogs::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanstarrsCriteria {
    conditions: Vec<Condition>,
}

impl PanstarrsCriteria {
    /// No conditions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `column == value` (astroquery's `column=value`; several are ORed).
    pub fn equals(mut self, column: impl Into<String>, value: impl Into<CriterionValue>) -> Self {
        self.conditions.push(Condition { column: column.into(), decorator: None, value: value.into() });
        self
    }

    /// Adds `column <decorator> value` (astroquery's `column=[("gte", value)]`).
    pub fn with(mut self, column: impl Into<String>, decorator: Decorator, value: impl Into<CriterionValue>) -> Self {
        self.conditions.push(Condition { column: column.into(), decorator: Some(decorator), value: value.into() });
        self
    }

    /// Adds one condition.
    pub fn push(&mut self, condition: Condition) {
        self.conditions.push(condition);
    }

    /// Adds the command-line form `COLUMN=ITEM[,ITEM...]`, each item `VALUE` or
    /// `DECORATOR:VALUE` (`nDetections=gte:2`, `qualityFlag=48`, `nDetections=gte:2,lt:10`);
    /// commas, dots and backslashes escape as for criteria ([`mast_proto::pyparse`]).
    /// Numeric text becomes a JSON number, as a Python caller's `2` would be; a prefix
    /// before `:` that is not a decorator keeps the item as text (`objName=PSO J0:1` stays
    /// one value). An empty column or value is an [`crate::Error`] (`InvalidQueryError`).
    pub fn arg(mut self, arg: &str) -> Result<Self> {
        let (column, text) = pyparse::split_key_value(
            arg,
            "criterion",
            "column=value or column=decorator:value (e.g. nDetections=gte:2)",
        )?;
        if column.trim().is_empty() {
            return Err(invalid(format!("'{arg}' has no column name before '='.")));
        }
        for item in pyparse::split_values(text)? {
            let item = item.into_string();
            let (decorator, value) = match item.split_once(':') {
                Some((d, v)) if Decorator::parse(d.trim()).is_some() => {
                    (Decorator::parse(d.trim()), v.trim().to_owned())
                }
                _ => (None, item),
            };
            if value.is_empty() {
                return Err(invalid(format!("'{arg}' has an empty value.")));
            }
            let value = match criterion_json(&CriterionValue::Text(value.clone())) {
                Value::Number(n) => match n.as_i64() {
                    Some(i) => CriterionValue::Int(i),
                    None => n.as_f64().map_or(CriterionValue::Text(value), CriterionValue::Float),
                },
                _ => CriterionValue::Text(value),
            };
            self.conditions.push(Condition { column: column.trim().to_owned(), decorator, value });
        }
        Ok(self)
    }

    /// Criteria from the generic keyword form: every listed value an equality, a range
    /// `min..max` the pair `gte`/`lte`.
    pub fn from_criteria(criteria: &mast_proto::criteria::Criteria) -> Self {
        let mut out = PanstarrsCriteria::new();
        for (column, values) in criteria.iter() {
            match values {
                CriterionValues::List(items) => {
                    for v in items {
                        out = out.equals(column, v.clone());
                    }
                }
                CriterionValues::Range { min, max } => {
                    out = out.with(column, Decorator::Gte, min.clone()).with(column, Decorator::Lte, max.clone());
                }
            }
        }
        out
    }

    /// The conditions in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Condition> + '_ {
        self.conditions.iter()
    }

    /// The number of conditions.
    pub fn len(&self) -> usize {
        self.conditions.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }
}

/// Sort direction of a `sort_by` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    /// Ascending (`col.asc`).
    Asc,
    /// Descending (`col.desc`).
    Desc,
}

/// One `sort_by` key: a column, ascending unless a direction is given.
///
/// ```
/// use mast_catalogs::SortKey;
/// assert_eq!(SortKey::parse("distance:desc")?.to_wire(), "distance.desc");
/// assert_eq!(SortKey::parse("objID")?.to_wire(), "objID");
/// # Ok::<(), mast_catalogs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// The column.
    pub column: String,
    /// The direction, if given (the service's default is ascending).
    pub direction: Option<SortDirection>,
}

impl SortKey {
    /// Ascending by `column`, with no direction sent (astroquery's `sort_by="col"`).
    pub fn by(column: impl Into<String>) -> Self {
        SortKey { column: column.into(), direction: None }
    }
    /// Descending by `column` (astroquery's `sort_by=[("desc", "col")]`).
    pub fn desc(column: impl Into<String>) -> Self {
        SortKey { column: column.into(), direction: Some(SortDirection::Desc) }
    }
    /// Ascending by `column`, sent with its direction (`[("asc", "col")]`).
    pub fn asc(column: impl Into<String>) -> Self {
        SortKey { column: column.into(), direction: Some(SortDirection::Asc) }
    }
    /// The command-line form `COLUMN[:asc|:desc]`.
    pub fn parse(text: &str) -> Result<SortKey> {
        let (column, direction) = match text.rsplit_once(':') {
            Some((c, d)) if d.eq_ignore_ascii_case("desc") => (c, Some(SortDirection::Desc)),
            Some((c, d)) if d.eq_ignore_ascii_case("asc") => (c, Some(SortDirection::Asc)),
            Some(_) => return Err(invalid(format!("'{text}': a sort key is COLUMN, COLUMN:asc or COLUMN:desc."))),
            None => (text, None),
        };
        if column.trim().is_empty() {
            return Err(invalid(format!("'{text}' has no column to sort by.")));
        }
        Ok(SortKey { column: column.trim().to_owned(), direction })
    }
    /// The value sent: `col`, `col.asc` or `col.desc`.
    pub fn to_wire(&self) -> String {
        match self.direction {
            None => self.column.clone(),
            Some(SortDirection::Asc) => format!("{}.asc", self.column),
            Some(SortDirection::Desc) => format!("{}.desc", self.column),
        }
    }
}

/// A PanSTARRS search: release and table (lower-cased in the path), the parameters in
/// astroquery's order, and the paging the caller asked for.
///
/// ```
/// use mast_catalogs::{Decorator, PanstarrsCriteria, PanstarrsRequest, SortKey};
/// use mast_proto::{Position, Radius};
/// let req = PanstarrsRequest::new(
///     "dr2",
///     "mean",
///     Some((Position::new(5.97754, 32.53617)?, Radius::from_degrees(0.01)?)),
///     &PanstarrsCriteria::new().with("nStackDetections", Decorator::Gte, 2),
///     Some(&["objName".into(), "objID".into(), "nStackDetections".into(), "distance".into()]),
///     &[SortKey::desc("distance")],
/// )
/// .pagesize(15);
/// assert_eq!(
///     req.astroquery_body(),
///     r#"{"pagesize": 15, "ra": 5.97754, "dec": 32.53617, "radius": 0.01, "nStackDetections.gte": 2, "columns": ["objName", "objID", "nStackDetections", "distance"], "sort_by": ["distance.desc"]}"#
/// );
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PanstarrsRequest {
    release: String,
    table: String,
    params: Vec<(String, Value)>,
    page: Option<u64>,
    pagesize: Option<u64>,
}

impl PanstarrsRequest {
    /// The search around `position` (if any) with `criteria`, `columns` and `sort_by`.
    ///
    /// Body rules (astroquery's): `ra`, `dec`, `radius` first; then one key per condition
    /// (`col` or `col.<decorator>`), values of a key given more than once collected into a
    /// list at the key's first place, a key given once a scalar; then `columns` (one column
    /// is sent as a bare string, several as a list) and `sort_by` (always a list).
    pub fn new(
        release: &str,
        table: &str,
        position: Option<(Position, Radius)>,
        criteria: &PanstarrsCriteria,
        columns: Option<&[String]>,
        sort_by: &[SortKey],
    ) -> PanstarrsRequest {
        let mut pairs: Vec<(String, Value)> = Vec::new();
        if let Some((p, r)) = position {
            pairs.push(("ra".into(), Value::from(p.ra())));
            pairs.push(("dec".into(), Value::from(p.dec())));
            pairs.push(("radius".into(), Value::from(r.degrees())));
        }
        pairs.extend(criteria.iter().map(|c| (c.key(), criterion_json(&c.value))));
        pairs.extend(columns.unwrap_or_default().iter().map(|c| ("columns".to_owned(), Value::from(c.as_str()))));
        let mut collected: Vec<(String, Vec<Value>)> = Vec::new();
        for (k, v) in pairs {
            match collected.iter_mut().find(|(key, _)| *key == k) {
                Some((_, values)) => values.push(v),
                None => collected.push((k, vec![v])),
            }
        }
        let mut params: Vec<(String, Value)> = collected
            .into_iter()
            .map(|(k, mut v)| if v.len() == 1 { (k, v.remove(0)) } else { (k, Value::Array(v)) })
            .collect();
        if !sort_by.is_empty() {
            params.push(("sort_by".into(), Value::Array(sort_by.iter().map(|s| Value::from(s.to_wire())).collect())));
        }
        PanstarrsRequest {
            release: release.to_lowercase(),
            table: table.to_lowercase(),
            params,
            page: None,
            pagesize: None,
        }
    }

    /// Rows per page.
    pub fn pagesize(mut self, rows: u64) -> Self {
        self.pagesize = Some(rows);
        self
    }

    /// Only this page.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// The parameters after the paging keys, in order.
    pub fn params(&self) -> &[(String, Value)] {
        &self.params
    }

    /// The body astroquery sends: `page` and `pagesize` only when given, then the
    /// parameters, written as Python's `json.dumps`.
    pub fn astroquery_body(&self) -> String {
        let mut map = Map::new();
        if let Some(p) = self.page {
            map.insert("page".into(), p.into());
        }
        if let Some(s) = self.pagesize {
            map.insert("pagesize".into(), s.into());
        }
        for (k, v) in &self.params {
            map.insert(k.clone(), v.clone());
        }
        mast_proto::pyfmt::json_dumps(&Value::Object(map))
    }

    /// The request mast-rs sends through the services pager: the same parameters, with
    /// `page` and `pagesize` always first (the pager walks the pages unless a page is
    /// named; see ARCHITECTURE.md's departures).
    pub fn services_request(&self) -> Result<ServicesRequest> {
        let mut request = ServicesRequest::panstarrs(&self.release, &self.table)?;
        for (k, v) in &self.params {
            request = request.param(k.clone(), v.clone());
        }
        if let Some(s) = self.pagesize {
            request = request.pagesize(s);
        }
        if let Some(p) = self.page {
            request = request.page(p);
        }
        Ok(request)
    }
}

/// The keywords besides column names that a PanSTARRS query accepts (astroquery's).
pub(crate) const SEARCH_OPTIONS: [&str; 4] = ["columns", "sort_by", "table", "data_release"];

/// Checks every condition's column against the table's column names (without case); the
/// first unknown one is astroquery's error with a did-you-mean suggestion.
pub(crate) fn check_columns(criteria: &PanstarrsCriteria, names: &[String], release: &str, table: &str) -> Result<()> {
    let valid: Vec<&str> = names.iter().map(String::as_str).chain(SEARCH_OPTIONS).collect();
    for c in criteria.iter() {
        if !valid.iter().any(|v| v.eq_ignore_ascii_case(&c.column)) {
            let best = difflib::get_close_matches(&c.column, valid.iter().copied(), 1, 0.6);
            let head = format!("Filter '{}' does not exist for panstarrs catalog {table}, {release}.", c.column);
            return Err(invalid(match best.first() {
                Some(b) => format!("{head} Did you mean '{b}'?"),
                None => head,
            }));
        }
    }
    Ok(())
}

/// The column names of a `metadata.json` answer (a list of descriptors; `column_name`, else
/// `name`; entries without a name or `db_type` skipped).
pub(crate) fn metadata_names(body: &[u8]) -> mast_proto::Result<Vec<String>> {
    let value: Value = serde_json::from_slice(body).map_err(|e| mast_proto::Error::Decode {
        format: "catalogs metadata JSON",
        detail: e.to_string(),
        source: Some(Box::new(e)),
    })?;
    let items = value.as_array().ok_or_else(|| mast_proto::Error::Decode {
        format: "catalogs metadata JSON",
        detail: "the answer is not a list of columns".into(),
        source: None,
    })?;
    Ok(items
        .iter()
        .filter(|e| e.get("db_type").is_some_and(|t| !t.is_null()))
        .filter_map(|e| {
            e.get("column_name")
                .and_then(Value::as_str)
                .or_else(|| e.get("name").and_then(Value::as_str))
                .map(str::to_owned)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(criteria: &PanstarrsCriteria, columns: Option<&[String]>, sort: &[SortKey]) -> String {
        PanstarrsRequest::new("DR2", "Mean", None, criteria, columns, sort).astroquery_body()
    }

    #[test]
    fn value_transforms() {
        // col=[48, ("lt", 5), ("gte", 1)]
        let c = PanstarrsCriteria::new().equals("col", 48).with("col", Decorator::Lt, 5).with("col", Decorator::Gte, 1);
        assert_eq!(body(&c, None, &[]), r#"{"col": 48, "col.lt": 5, "col.gte": 1}"#);
        // col=[1, 2]
        let c = PanstarrsCriteria::new().equals("col", 1).equals("col", 2);
        assert_eq!(body(&c, None, &[]), r#"{"col": [1, 2]}"#);
        // columns=["a"] is a bare string; sort_by="objID" a list.
        assert_eq!(
            body(&PanstarrsCriteria::new(), Some(&["a".into()]), &[SortKey::by("objID")]),
            r#"{"columns": "a", "sort_by": ["objID"]}"#
        );
        assert_eq!(
            body(&PanstarrsCriteria::new(), Some(&["a".into(), "b".into()]), &[SortKey::asc("x"), SortKey::desc("y")]),
            r#"{"columns": ["a", "b"], "sort_by": ["x.asc", "y.desc"]}"#
        );
        let r = PanstarrsRequest::new("DR2", "Mean", None, &PanstarrsCriteria::new(), None, &[]).page(2).pagesize(10);
        assert_eq!(r.astroquery_body(), r#"{"page": 2, "pagesize": 10}"#);
        assert_eq!(
            r.services_request().unwrap().url(&mast_proto::MastConfig::new()),
            "https://catalogs.mast.stsci.edu/api/v0.1/panstarrs/dr2/mean.json"
        );
    }

    #[test]
    fn command_line_forms() {
        let c = PanstarrsCriteria::new().arg("objName=PSO J0:1,like:PSO%").unwrap();
        let items: Vec<_> = c.iter().map(|c| (c.key(), c.value.clone())).collect();
        assert_eq!(
            items,
            vec![
                ("objName".into(), CriterionValue::Text("PSO J0:1".into())),
                ("objName.like".into(), CriterionValue::Text("PSO%".into()))
            ]
        );
        assert!(PanstarrsCriteria::new().arg("=3").is_err());
        assert!(PanstarrsCriteria::new().arg("x=gte:").is_err());
        assert!(SortKey::parse("x:up").is_err());
        assert!(SortKey::parse(":desc").is_err());
    }

    #[test]
    fn metadata() {
        let names = metadata_names(br#"[{"column_name": "objID", "db_type": "BIGINT"}, {"name": "nDetections", "db_type": "SMALLINT"}, {"name": "x"}]"#).unwrap();
        assert_eq!(names, ["objID", "nDetections"]);
        assert!(metadata_names(b"{}").is_err());
        let c = PanstarrsCriteria::new().equals("nDetection", 2);
        assert_eq!(
            check_columns(&c, &names, "dr2", "mean").unwrap_err().to_string(),
            "Filter 'nDetection' does not exist for panstarrs catalog mean, dr2. Did you mean 'nDetections'?"
        );
        assert!(check_columns(&PanstarrsCriteria::new().equals("NDETECTIONS", 2), &names, "dr2", "mean").is_ok());
    }

    proptest::proptest! {
        /// Any command-line text: an error or criteria whose body is JSON with one key per
        /// distinct condition key (no panic); any sort key likewise; any metadata body an
        /// error or names.
        #[test]
        fn any_input_is_an_error_or_a_valid_body(arg in "\\PC{0,8}=\\PC{0,30}", sort in "\\PC{0,20}", meta in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let sort_keys: Vec<SortKey> = SortKey::parse(&sort).into_iter().collect();
            if let Ok(c) = PanstarrsCriteria::new().arg(&arg) {
                let body = PanstarrsRequest::new("dr2", "mean", None, &c, None, &sort_keys).astroquery_body();
                let parsed: Value = serde_json::from_str(&body).expect("the body is JSON");
                let mut keys: Vec<String> = c.iter().map(Condition::key).collect();
                keys.dedup();
                proptest::prop_assert!(parsed.as_object().is_some_and(|o| keys.iter().all(|k| o.contains_key(k))));
            }
            let _ = metadata_names(&meta);
        }
    }
}
