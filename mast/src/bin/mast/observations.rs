//! `mast observations ...`: astroquery's `Observations`, one subcommand per method.

use clap::{Args, Subcommand};
use mast::{
    Column, Criteria, DataType, MastClient, NameResolver, Observations, Position, ProductFilter, QueryOptions, Radius,
    Table, Value, Warning, WarningCategory,
};

/// Options shared by the query subcommands: the count's, and paging.
#[derive(Args, Debug, Default)]
pub struct QueryArgs {
    #[command(flatten)]
    count: CountArgs,
    /// Rows per page
    #[arg(long, allow_hyphen_values = true)]
    pagesize: Option<u64>,
    /// Only this page
    #[arg(long, allow_hyphen_values = true)]
    page: Option<u64>,
}

/// Options of `count` (a count has no pages).
#[derive(Args, Debug, Default)]
pub struct CountArgs {
    /// Search radius: 0.2 (degrees), "0.2 deg", "5 arcmin", "30 arcsec" [default: 0.2 deg]
    #[arg(long, value_name = "RADIUS", allow_hyphen_values = true)]
    radius: Option<String>,
    /// Name resolver for object names: SIMBAD or NED
    #[arg(long)]
    resolver: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ObservationsCommand {
    /// Observations within a radius of a position
    #[command(after_help = "Examples:
  mast observations query-region \"322.49324 12.16683\" --radius \"0.02 deg\"
  mast observations query-region \"-0.5 -10\" --pagesize 500 --page 2 --format csv")]
    QueryRegion {
        /// "322.49324 12.16683", "21h29m58.38s +12d10m00.6s", "21:29:58.38 +12:10:00.6"
        #[arg(allow_hyphen_values = true)]
        position: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Observations around a named object (resolved first)
    #[command(after_help = "Examples:
  mast observations query-object M8 --radius \".02 deg\"
  mast observations query-object \"TIC 141914082\" --resolver SIMBAD --format csv")]
    QueryObject {
        /// Object name, e.g. M8
        name: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Observations matching criteria on any CAOM column
    #[command(after_help = "Examples:
  mast observations query-criteria --criteria obs_collection=HST,JWST --criteria s_dec=-45.5..-43.5
  mast observations query-criteria --criteria dataproduct_type=image --object-name M101")]
    QueryCriteria {
        /// KEY=VALUE: comma list ORed, `a..b` range for float columns, `*`/`%` wildcards
        #[arg(long = "criteria", value_name = "KEY=VALUE", allow_hyphen_values = true)]
        criteria: Vec<String>,
        /// Only around this position
        #[arg(long, value_name = "POSITION", allow_hyphen_values = true)]
        coordinates: Option<String>,
        /// Only around this object (resolved first)
        #[arg(long, value_name = "NAME")]
        object_name: Option<String>,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Count observations: around a position or object, matching criteria, or both
    #[command(after_help = "Examples:
  mast observations count --position \"322.49324 12.16683\" --radius \"5 arcmin\"
  mast observations count --criteria obs_collection=HST --object-name M101")]
    Count {
        /// Around this position
        #[arg(long, value_name = "POSITION", allow_hyphen_values = true)]
        position: Option<String>,
        /// Around this object (resolved first)
        #[arg(long, value_name = "NAME")]
        object_name: Option<String>,
        /// KEY=VALUE criteria, as for query-criteria
        #[arg(long = "criteria", value_name = "KEY=VALUE", allow_hyphen_values = true)]
        criteria: Vec<String>,
        #[command(flatten)]
        query: CountArgs,
    },
    /// The missions (obs_collection values) MAST holds
    #[command(after_help = "Example:
  mast observations missions --format csv")]
    Missions,
    /// What the columns of observations or products mean
    #[command(after_help = "Examples:
  mast observations metadata observations
  mast observations metadata products --columns \"Column Name,Description\"")]
    Metadata {
        /// observations or products
        query_type: String,
    },
    /// Data products of observations
    #[command(after_help = "Examples:
  mast observations products 2003738726 2003520266 --unique
  mast observations query-criteria --criteria obs_collection=HST --columns obsid --format csv \\
    | tail -n +3 | tr -d '\"' | mast observations products - --format csv > products.csv
  mast observations products @obsids.txt --batch-size 200")]
    Products {
        #[command(flatten)]
        source: ProductSource,
        /// Without duplicate products (same dataURI)
        #[arg(long)]
        unique: bool,
    },
    /// Data products of observations, filtered (astroquery's filter_products)
    #[command(after_help = "Examples:
  mast observations filter 2003738726 --mrp-only --extension fits
  mast observations filter --from-csv products.csv --filter productType=SCIENCE --filter size=<50000")]
    Filter {
        #[command(flatten)]
        source: ProductSource,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

/// Which observations to list products for.
#[derive(Args, Debug)]
pub struct ProductSource {
    /// Observation ids (obsid, the product group id); `-` reads them from stdin and `@FILE`
    /// from a file, one per line (blank lines and `#` comments ignored)
    #[arg(value_name = "OBSID")]
    obsids: Vec<String>,
    /// The observations query-region finds around this position (with --criteria: the
    /// criteria query's coordinates)
    #[arg(long, value_name = "POSITION", allow_hyphen_values = true)]
    position: Option<String>,
    /// The observations matching these criteria, as for query-criteria (KEY=VALUE)
    #[arg(
        long = "criteria",
        value_name = "KEY=VALUE",
        conflicts_with_all = ["obsids", "from_csv"],
        allow_hyphen_values = true
    )]
    criteria: Vec<String>,
    /// Radius for --position [default: 0.2 deg]
    #[arg(long, value_name = "RADIUS", requires = "position", allow_hyphen_values = true)]
    radius: Option<String>,
    /// A CSV written by `mast ... --format csv`: observations (an obsid column) or, for
    /// `filter` and `download products`, products (a dataURI column)
    #[arg(long, value_name = "FILE")]
    from_csv: Option<std::path::PathBuf>,
    /// Observations per product-list request
    #[arg(long, default_value_t = 500, allow_hyphen_values = true)]
    batch_size: usize,
}

/// astroquery's filter_products keywords.
#[derive(Args, Debug, Default)]
pub struct FilterArgs {
    /// Only "Minimum Recommended Products"
    #[arg(long)]
    mrp_only: bool,
    /// File name endings to keep (fits, .fits, jpg, ...)
    #[arg(long, value_name = "EXT")]
    extension: Vec<String>,
    /// COLUMN=VALUE[,VALUE...]: OR within a column, `!` negates, numbers take
    /// `>=x`, `<=x`, `>x`, `<x`, `a..b`
    #[arg(long = "filter", value_name = "COLUMN=VALUES", allow_hyphen_values = true)]
    filters: Vec<String>,
}

impl FilterArgs {
    pub fn to_filter(&self) -> mast::Result<ProductFilter> {
        let mut filter = ProductFilter::new().mrp_only(self.mrp_only);
        if !self.extension.is_empty() {
            filter = filter.extension(self.extension.iter().cloned());
        }
        let filter = self.filters.iter().try_fold(filter, |f, arg| f.arg(arg))?;
        // Checked here, before the products are fetched (e.g. `--extension ""`).
        filter.check()?;
        Ok(filter)
    }
}

impl QueryArgs {
    fn options(&self) -> mast::Result<QueryOptions> {
        let mut options = self.count.options()?;
        if let Some(n) = self.pagesize {
            options = options.pagesize(n);
        }
        if let Some(n) = self.page {
            options = options.page(n);
        }
        Ok(options)
    }
}

impl CountArgs {
    fn options(&self) -> mast::Result<QueryOptions> {
        let mut options = QueryOptions::new();
        if let Some(r) = &self.radius {
            options = options.radius(r.parse::<Radius>()?);
        }
        if let Some(r) = &self.resolver {
            options = options.resolver(NameResolver::parse(r)?);
        }
        Ok(options)
    }
}

/// Parses a position given as text, with astroquery's warning about how it was read.
pub fn parse_position(text: &str, warnings: &mut Vec<Warning>) -> mast::Result<Position> {
    let position: Position = text.parse()?;
    let message = if text.contains(':') {
        "Coordinate string is being interpreted as an ICRS coordinate (right ascension in hours, declination in degrees)."
    } else if text.chars().any(|c| "hdmsHDMS°'\"".contains(c)) {
        "Coordinate string is being interpreted as an ICRS coordinate."
    } else {
        "Coordinate string is being interpreted as an ICRS coordinate provided in degrees."
    };
    warnings.push(Warning::new(WarningCategory::Input, message));
    Ok(position)
}

/// Runs one subcommand; everything given on the command line is checked before any request.
pub async fn run(client: MastClient, command: ObservationsCommand) -> anyhow::Result<Table> {
    let mut warnings = Vec::new();
    let mut table = run_command(client, command, &mut warnings).await?;
    for w in warnings.into_iter().rev() {
        table.insert_warning(w);
    }
    Ok(table)
}

async fn run_command(
    client: MastClient,
    command: ObservationsCommand,
    warnings: &mut Vec<Warning>,
) -> anyhow::Result<Table> {
    let obs = Observations::new(client);
    Ok(match command {
        ObservationsCommand::QueryRegion { position, query } => {
            let position = parse_position(&position, warnings)?;
            obs.query_region(position, &query.options()?).await?
        }
        ObservationsCommand::QueryObject { name, query } => obs.query_object(&name, &query.options()?).await?,
        ObservationsCommand::QueryCriteria { criteria, coordinates, object_name, query } => {
            let criteria = Criteria::from_args(&criteria)?;
            let mut options = query.options()?;
            if let Some(c) = coordinates {
                options = options.coordinates(parse_position(&c, warnings)?);
            }
            if let Some(n) = object_name {
                options = options.object_name(n);
            }
            obs.query_criteria(&criteria, &options).await?
        }
        ObservationsCommand::Count { position, object_name, criteria, query } => {
            let criteria = Criteria::from_args(&criteria)?;
            let mut options = query.options()?;
            let position: Option<Position> = position.map(|p| parse_position(&p, warnings)).transpose()?;
            let count = match (position, object_name, criteria.is_empty()) {
                (Some(p), None, true) => obs.query_region_count(p, &options).await?,
                (None, Some(name), true) => obs.query_object_count(&name, &options).await?,
                (p, name, _) => {
                    if let Some(p) = p {
                        options = options.coordinates(p);
                    }
                    if let Some(n) = name {
                        options = options.object_name(n);
                    }
                    obs.query_criteria_count(&criteria, &options).await?
                }
            };
            // The count's warnings are the query's (one validation path): shown the same way.
            let (count, count_warnings) = count.into_parts();
            let count = i64::try_from(count)?;
            let mut table = Table::new(vec![Column::from_values("count", DataType::Int64, [Value::Int(count)])])?;
            count_warnings.into_iter().for_each(|w| table.push_warning(w));
            table
        }
        ObservationsCommand::Missions => {
            let missions = obs.list_missions().await?;
            Table::new(vec![Column::from_values("mission", DataType::String, missions.iter().map(|m| Value::Str(m)))])?
        }
        ObservationsCommand::Metadata { query_type } => obs.get_metadata(&query_type).await?,
        ObservationsCommand::Products { source, unique } => {
            let (obs, ids, table) = product_source(obs, source, warnings).await?;
            match (&table, unique) {
                (Some(t), false) => obs.get_product_list(t).await?,
                (Some(t), true) => obs.get_unique_product_list(t).await?,
                (None, false) => obs.get_product_list(&ids).await?,
                (None, true) => obs.get_unique_product_list(&ids).await?,
            }
        }
        ObservationsCommand::Filter { source, filter } => {
            let filter = filter.to_filter()?;
            let (obs, ids, table) = product_source(obs, source, warnings).await?;
            let products = match table {
                // A products CSV is filtered as it is.
                Some(t) if t.column("dataURI").is_some() => t,
                Some(t) => obs.get_product_list(&t).await?,
                None => obs.get_product_list(&ids).await?,
            };
            let mut kept = obs.filter_products(&products, &filter)?;
            for w in products.warnings() {
                kept.push_warning(w.clone());
            }
            kept
        }
    })
}

/// The observation ids or table a products subcommand works on.
pub async fn product_source(
    obs: Observations,
    source: ProductSource,
    warnings: &mut Vec<Warning>,
) -> anyhow::Result<(Observations, Vec<String>, Option<Table>)> {
    let obs = obs.with_batch_size(source.batch_size);
    if !source.criteria.is_empty() {
        let criteria = Criteria::from_args(&source.criteria)?;
        let mut options = QueryOptions::new();
        if let Some(position) = source.position {
            options = options.coordinates(parse_position(&position, warnings)?);
        }
        if let Some(r) = source.radius {
            options = options.radius(r.parse()?);
        }
        let table = obs.query_criteria(&criteria, &options).await?;
        return Ok((obs, Vec::new(), Some(table)));
    }
    if let Some(position) = source.position {
        let position = parse_position(&position, warnings)?;
        let mut options = QueryOptions::new();
        if let Some(r) = source.radius {
            options = options.radius(r.parse()?);
        }
        let table = obs.query_region(position, &options).await?;
        return Ok((obs, Vec::new(), Some(table)));
    }
    if let Some(path) = source.from_csv {
        use anyhow::Context as _;
        if !source.obsids.is_empty() {
            return Err(invalid("give observation ids or --from-csv, not both").into());
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let table = Table::from_csv(&text).with_context(|| format!("reading {}", path.display()))?;
        return Ok((obs, Vec::new(), Some(table)));
    }
    let ids = expand_ids(source.obsids, "observation ids", &mut std::io::stdin().lock())?;
    Ok((obs, ids, None))
}

/// An `InvalidQueryError` with this message.
pub fn invalid(message: impl Into<String>) -> mast::Error {
    mast::Error::InvalidQuery { message: message.into() }
}

/// The values of a list argument with `-` replaced by the lines of `stdin` and `@FILE` by the
/// lines of FILE: one value per line, surrounding whitespace trimmed, blank lines and lines
/// starting with `#` ignored. `-` may appear once. An unreadable file is an I/O error naming
/// it (`FileNotFoundError: reading observation ids from x.txt: ...`).
pub fn expand_ids(args: Vec<String>, what: &str, stdin: &mut dyn std::io::BufRead) -> anyhow::Result<Vec<String>> {
    use anyhow::Context as _;
    fn lines(text: &str, out: &mut Vec<String>) {
        out.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned));
    }
    let mut ids = Vec::with_capacity(args.len());
    let mut read_stdin = false;
    for arg in args {
        if arg == "-" {
            if read_stdin {
                return Err(invalid(format!("`-` (read {what} from stdin) may be given once")).into());
            }
            read_stdin = true;
            let mut text = String::new();
            stdin.read_to_string(&mut text).with_context(|| format!("reading {what} from stdin"))?;
            lines(&text, &mut ids);
        } else if let Some(file) = arg.strip_prefix('@') {
            if file.is_empty() {
                return Err(invalid(format!("`@` needs a file name: @FILE reads {what} from FILE")).into());
            }
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {what} from {file}"))?;
            lines(&text, &mut ids);
        } else {
            ids.push(arg);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ids_from_stdin_and_files() {
        let dir = std::env::temp_dir().join(format!("mast-expand-ids-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ids.txt");
        std::fs::write(&file, "# header\n\n  3 \r\n4\n# 5\n").unwrap();
        let mut stdin = std::io::Cursor::new("1\n\n  2\t\n#x\n");
        let args = strings(&["0", "-", &format!("@{}", file.display()), "9"]);
        let ids = expand_ids(args, "observation ids", &mut stdin).unwrap();
        assert_eq!(ids, ["0", "1", "2", "3", "4", "9"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ids_refused() {
        let mut stdin = std::io::Cursor::new("1\n");
        let err = expand_ids(strings(&["-", "-"]), "ids", &mut stdin).unwrap_err();
        assert!(err.to_string().contains("may be given once"), "{err}");
        let err = expand_ids(strings(&["@"]), "ids", &mut stdin).unwrap_err();
        assert!(matches!(err.downcast_ref::<mast::Error>(), Some(mast::Error::InvalidQuery { .. })), "{err}");
        let err = expand_ids(strings(&["@/nonexistent/x"]), "ids", &mut stdin).unwrap_err();
        assert_eq!(crate::output::error_class(&err), "FileNotFoundError");
    }
}
