//! `mast observations ...`: astroquery's `Observations`, one subcommand per method.

use clap::{Args, Subcommand};
use mast::{
    Column, Criteria, DataType, MastClient, NameResolver, Observations, Position, ProductFilter, QueryOptions, Radius,
    Table, Value, Warning, WarningCategory,
};

/// Options shared by the query subcommands.
#[derive(Args, Debug, Default)]
pub struct QueryArgs {
    /// Search radius: 0.2 (degrees), "0.2 deg", "5 arcmin", "30 arcsec" [default: 0.2 deg]
    #[arg(long, value_name = "RADIUS")]
    radius: Option<String>,
    /// Rows per page
    #[arg(long)]
    pagesize: Option<u64>,
    /// Only this page
    #[arg(long)]
    page: Option<u64>,
    /// Name resolver for object names: SIMBAD or NED
    #[arg(long)]
    resolver: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ObservationsCommand {
    /// Observations within a radius of a position
    QueryRegion {
        /// "322.49324 12.16683", "21h29m58.38s +12d10m00.6s", "21:29:58.38 +12:10:00.6"
        position: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Observations around a named object (resolved first)
    QueryObject {
        /// Object name, e.g. M8
        name: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Observations matching criteria on any CAOM column
    QueryCriteria {
        /// KEY=VALUE: comma list ORed, `a..b` range for float columns, `*`/`%` wildcards
        #[arg(long = "criteria", value_name = "KEY=VALUE")]
        criteria: Vec<String>,
        /// Only around this position
        #[arg(long, value_name = "POSITION")]
        coordinates: Option<String>,
        /// Only around this object (resolved first)
        #[arg(long, value_name = "NAME")]
        object_name: Option<String>,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Count observations: around a position or object, matching criteria, or both
    Count {
        /// Around this position
        #[arg(long, value_name = "POSITION")]
        position: Option<String>,
        /// Around this object (resolved first)
        #[arg(long, value_name = "NAME")]
        object_name: Option<String>,
        /// KEY=VALUE criteria, as for query-criteria
        #[arg(long = "criteria", value_name = "KEY=VALUE")]
        criteria: Vec<String>,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The missions (obs_collection values) MAST holds
    Missions,
    /// What the columns of observations or products mean
    Metadata {
        /// observations or products
        query_type: String,
    },
    /// Data products of observations
    Products {
        #[command(flatten)]
        source: ProductSource,
        /// Without duplicate products (same dataURI)
        #[arg(long)]
        unique: bool,
    },
    /// Data products of observations, filtered (astroquery's filter_products)
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
    /// Observation ids (obsid, the product group id)
    obsids: Vec<String>,
    /// The observations query-region finds around this position (with --criteria: the
    /// criteria query's coordinates)
    #[arg(long, value_name = "POSITION")]
    position: Option<String>,
    /// The observations matching these criteria, as for query-criteria (KEY=VALUE)
    #[arg(long = "criteria", value_name = "KEY=VALUE", conflicts_with_all = ["obsids", "from_csv"])]
    criteria: Vec<String>,
    /// Radius for --position [default: 0.2 deg]
    #[arg(long, value_name = "RADIUS", requires = "position")]
    radius: Option<String>,
    /// A CSV written by `mast ... --format csv`: observations (an obsid column) or, for
    /// `filter` and `download products`, products (a dataURI column)
    #[arg(long, value_name = "FILE")]
    from_csv: Option<std::path::PathBuf>,
    /// Observations per product-list request
    #[arg(long, default_value_t = 500)]
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
    #[arg(long = "filter", value_name = "COLUMN=VALUES")]
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
        let mut options = QueryOptions::new();
        if let Some(r) = &self.radius {
            options = options.radius(r.parse::<Radius>()?);
        }
        if let Some(n) = self.pagesize {
            options = options.pagesize(n);
        }
        if let Some(n) = self.page {
            options = options.page(n);
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
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let table = Table::from_csv(&text).with_context(|| format!("reading {}", path.display()))?;
        anyhow::ensure!(source.obsids.is_empty(), "give observation ids or --from-csv, not both");
        return Ok((obs, Vec::new(), Some(table)));
    }
    Ok((obs, source.obsids, None))
}
