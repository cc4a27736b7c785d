//! `mast catalogs ...`: astroquery's `Catalogs`, one subcommand per method, with its
//! keyword names as flags.

use clap::{Args, Subcommand};
use mast::catalogs::{MatchId, PanstarrsCriteria, QueryOptions, SortKey, SpectraOptions, Target};
use mast::{Catalogs, Criteria, MastClient, NameResolver, Position, Radius, Table, Warning};

use crate::Rows;
use crate::observations::{invalid, parse_position};

/// Paging and the resolver, shared by every query subcommand.
#[derive(Args, Debug, Default)]
pub struct PagingArgs {
    /// Rows per page
    #[arg(long, allow_hyphen_values = true)]
    pagesize: Option<u64>,
    /// Only this page
    #[arg(long, allow_hyphen_values = true)]
    page: Option<u64>,
}

/// astroquery's catalog keywords.
#[derive(Args, Debug, Default)]
pub struct CatalogArgs {
    /// Catalog: Hsc (default), Galex, Gaia, Plato, PanSTARRS, Tic, Ctl, DiskDetective, or
    /// any other MAST catalog name (any case)
    #[arg(long, value_name = "CATALOG")]
    catalog: Option<String>,
    /// Catalog version (HSC 3 or 2, Gaia 3, 2 or 1, PLATO 1)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    version: Option<i64>,
    /// Search radius: 0.2 (degrees), "0.2 deg", "5 arcmin", "30 arcsec" [default: 0.2 deg]
    #[arg(long, value_name = "RADIUS", allow_hyphen_values = true)]
    radius: Option<String>,
    /// Name resolver for object names: SIMBAD or NED
    #[arg(long)]
    resolver: Option<String>,
    /// KEY=VALUE: a cone's extras (HSC nr, ni, magtype; GALEX maxrecords); TIC, CTL,
    /// Disk Detective columns (comma list ORed, `a..b` range, `*` wildcards); PanSTARRS
    /// columns with decorators: nDetections=gte:2, qualityFlag=48, col=gte:1,lt:5
    #[arg(long = "criteria", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    criteria: Vec<String>,
    /// PanSTARRS data release: dr1 or dr2 [default: dr2]
    #[arg(long, value_name = "RELEASE")]
    data_release: Option<String>,
    /// PanSTARRS table: mean, stack, detection, forced_mean [default: mean]
    #[arg(long, value_name = "TABLE")]
    table: Option<String>,
    /// PanSTARRS sort keys, in order: COLUMN, COLUMN:asc or COLUMN:desc (repeatable)
    #[arg(long, value_name = "COLUMN[:DIR]")]
    sort_by: Vec<String>,
    #[command(flatten)]
    paging: PagingArgs,
}

#[derive(Subcommand, Debug)]
pub enum CatalogsCommand {
    /// Catalog sources within a radius of a position
    #[command(after_help = "Examples:
  mast catalogs query-region \"158.47924 -7.30962\" --radius 0.002
  mast catalogs query-region \"158.47924 -7.30962\" --catalog Gaia --version 2
  mast catalogs query-region \"322.49324 12.16683\" --catalog HSC --criteria nr=28 --criteria magtype=2
  mast catalogs query-region \"322.49324 12.16683\" --radius 0.02 --catalog panstarrs \\
    --columns objID,iMeanApMag,objName --sort-by iMeanApMag:desc

With --catalog panstarrs, --columns (an output option elsewhere) is sent to the catalogs API,
which returns those columns only.")]
    QueryRegion {
        /// "322.49324 12.16683", "21h29m58.38s +12d10m00.6s", "21:29:58.38 +12:10:00.6"
        #[arg(allow_hyphen_values = true)]
        position: String,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Catalog sources around a named object (resolved first)
    #[command(after_help = "Examples:
  mast catalogs query-object M10 --radius \".02 deg\"
  mast catalogs query-object M101 --radius \".002 deg\" --catalog panstarrs --table mean")]
    QueryObject {
        /// Object name, e.g. M10
        name: String,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Catalog sources matching criteria (TIC, CTL, Disk Detective, PanSTARRS)
    #[command(after_help = "Examples:
  mast catalogs query-criteria --catalog Tic --criteria Bmag=30..50 --criteria objType=STAR
  mast catalogs query-criteria --catalog DiskDetective --object-name M10 --radius 2 --criteria state=complete
  mast catalogs query-criteria --catalog PANSTARRS --coordinates \"5.97754 32.53617\" --radius 0.01 \\
    --table mean --data-release dr2 --criteria nStackDetections=gte:2 \\
    --columns objName,objID,nStackDetections,distance --sort-by distance:desc --pagesize 15")]
    QueryCriteria {
        /// Only around this position
        #[arg(long, value_name = "POSITION", allow_hyphen_values = true)]
        coordinates: Option<String>,
        /// Only around this object (resolved first)
        #[arg(long, visible_alias = "objectname", value_name = "NAME")]
        object_name: Option<String>,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Every HSC source matched with a MatchID
    #[command(after_help = "Examples:
  mast catalogs hsc-matchid 82371983
  mast catalogs hsc-matchid 82371983 --version 2
  mast catalogs hsc-matchid --position \"322.49324 12.16683\" --radius 0.002 --row 0
  mast catalogs hsc-matchid --from-csv hsc.csv --row 3")]
    HscMatchid {
        /// The MatchID
        #[arg(value_name = "MATCH_ID", required_unless_present_any = ["position", "from_csv"])]
        match_id: Option<String>,
        /// Take the MatchID of a row of the HSC cone around this position
        #[arg(long, value_name = "POSITION", allow_hyphen_values = true, conflicts_with_all = ["match_id", "from_csv"])]
        position: Option<String>,
        /// Radius of that cone [default: 0.2 deg]
        #[arg(long, value_name = "RADIUS", requires = "position", allow_hyphen_values = true)]
        radius: Option<String>,
        /// Take the MatchID of a row of this CSV (written by `mast ... --format csv`)
        #[arg(long, value_name = "FILE", conflicts_with = "match_id")]
        from_csv: Option<std::path::PathBuf>,
        /// Which row (from 0) of the cone or CSV
        #[arg(long, default_value_t = 0)]
        row: usize,
        /// HSC version: 3 (default) or 2
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        version: Option<i64>,
        #[command(flatten)]
        paging: PagingArgs,
    },
    /// Every HSC spectrum
    #[command(after_help = "Example:
  mast catalogs hsc-spectra --format csv > spectra.csv")]
    HscSpectra {
        #[command(flatten)]
        paging: PagingArgs,
    },
    /// One cone per target, run concurrently, stacked in input order with the target of each
    /// row (`_target`, `_target_name`, `_target_ra`, `_target_dec`)
    #[command(after_help = "Targets are positions (\"RA DEC\" in degrees or sexagesimal) or object names, as
arguments, one per line from stdin (`-`) or a file (`@FILE`), or the rows of a CSV written by
mast (`--from-csv`, with `ra` and `dec` columns, or a `name` column).
A target that fails is reported on stderr (`ERROR: target N (...): Class: message`) and the
others go on; the exit status is then 3.

Examples:
  mast catalogs query-many M101 M10 \"322.49324 12.16683\" --catalog Gaia --radius \"30 arcsec\"
  mast resolve M1 M8 M10 --format csv > targets.csv
  mast catalogs query-many --from-csv targets.csv --radius 0.01 --format csv
  cut -d, -f1,2 positions.txt | tr , ' ' | mast catalogs query-many - --catalog panstarrs")]
    QueryMany {
        /// Targets: positions or object names; `-` reads them from stdin, `@FILE` from FILE
        /// (after `--` for a target that starts with `-`)
        targets: Vec<String>,
        /// Targets from a CSV written by mast: `ra` and `dec` columns (degrees), or `name`
        #[arg(long, value_name = "FILE")]
        from_csv: Option<std::path::PathBuf>,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Download HSC spectra from the Hubble Legacy Archive (or MAST's curl script for them)
    #[command(after_help = concat!("Examples:
  mast catalogs download-hsc-spectra --rows 10:13
  mast catalogs hsc-spectra --format csv > spectra.csv
  mast catalogs download-hsc-spectra --from-csv spectra.csv --download-dir data
  mast catalogs download-hsc-spectra --rows 20:24 --curl

Each spectrum goes to <DIR>/mastDownload/HSC/<DatasetName>.fits; with --curl, MAST's curl
script for them to <DIR>/mastDownload_<YYYYmmddHHMMSS>.sh. The manifest (Local Path, Status,
Message, URL) is printed.

", crate::download::exit_status_help!()))]
    DownloadHscSpectra {
        /// The spectra: a CSV with DatasetName and SpectrumType (written by `mast catalogs
        /// hsc-spectra --format csv`; `-` reads standard input) [default: every HSC spectrum]
        #[arg(long, value_name = "FILE")]
        from_csv: Option<std::path::PathBuf>,
        /// Only these rows (from 0) of the spectra: START:END, END excluded, as a Python
        /// slice (`10:13`, `:5`, `20:`, `-3:`)
        #[arg(long, value_name = "START:END", allow_hyphen_values = true)]
        rows: Option<String>,
        /// Base directory
        #[arg(long, default_value = ".", value_name = "DIR")]
        download_dir: std::path::PathBuf,
        /// Download nothing but MAST's curl script for the spectra (astroquery's curl_flag=True)
        #[arg(long)]
        curl: bool,
        /// Download again even when a file is complete on disk
        #[arg(long)]
        no_cache: bool,
    },
}

/// The rows `START:END` of a table of `n` rows, as Python slices them (negative ends count
/// from the end, both clamped, an empty range when END <= START).
fn slice_rows(spec: &str, n: usize) -> anyhow::Result<std::ops::Range<usize>> {
    let bad = || invalid(format!("--rows {spec:?}: expected START:END (e.g. 10:13, :5, 20:, -3:)"));
    let (a, b) = spec.split_once(':').ok_or_else(bad)?;
    let end_of = |t: &str, default: usize| -> anyhow::Result<usize> {
        let t = t.trim();
        if t.is_empty() {
            return Ok(default);
        }
        let i: i64 = t.parse().map_err(|_| bad())?;
        let n = n as i64;
        Ok((if i < 0 { (n + i).max(0) } else { i.min(n) }) as usize)
    };
    let (start, end) = (end_of(a, 0)?, end_of(b, n)?);
    Ok(start..end.max(start))
}

impl PagingArgs {
    fn apply(&self, mut options: QueryOptions) -> QueryOptions {
        if let Some(n) = self.pagesize {
            options = options.pagesize(n);
        }
        if let Some(n) = self.page {
            options = options.page(n);
        }
        options
    }
}

impl CatalogArgs {
    /// The options; with PanSTARRS, `columns` (the global output option) is sent to the
    /// catalogs API.
    fn options(&self, columns: &[String]) -> anyhow::Result<QueryOptions> {
        let mut options = self.paging.apply(QueryOptions::new());
        let panstarrs = self.catalog.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("panstarrs"));
        if let Some(c) = &self.catalog {
            options = options.catalog(c);
        }
        if let Some(v) = self.version {
            options = options.version(v);
        }
        if let Some(r) = &self.radius {
            options = options.radius(r.parse::<Radius>()?);
        }
        if let Some(r) = &self.resolver {
            options = options.resolver(NameResolver::parse(r)?);
        }
        if panstarrs {
            let criteria = self.criteria.iter().try_fold(PanstarrsCriteria::new(), |c, arg| c.arg(arg))?;
            options = options.panstarrs(criteria);
            if !columns.is_empty() {
                options = options.columns(columns.iter().cloned());
            }
        } else {
            options = options.criteria(Criteria::from_args(&self.criteria)?);
        }
        if let Some(r) = &self.data_release {
            options = options.data_release(r);
        }
        if let Some(t) = &self.table {
            options = options.table(t);
        }
        if !self.sort_by.is_empty() {
            options = options.sort_by(self.sort_by.iter().map(|s| SortKey::parse(s)).collect::<Result<Vec<_>, _>>()?);
        }
        Ok(options)
    }
}

/// Whether the command's result is a download manifest (its `ERROR` rows set the exit
/// status, as for `mast download`).
pub fn is_download(command: &CatalogsCommand) -> bool {
    matches!(command, CatalogsCommand::DownloadHscSpectra { .. })
}

/// Whether the command sends `--columns` to the service (PanSTARRS), so the output should
/// not select them again.
pub fn sends_columns(command: &CatalogsCommand) -> bool {
    let args = match command {
        CatalogsCommand::QueryRegion { args, .. }
        | CatalogsCommand::QueryObject { args, .. }
        | CatalogsCommand::QueryCriteria { args, .. }
        | CatalogsCommand::QueryMany { args, .. } => args,
        _ => return false,
    };
    args.catalog.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("panstarrs"))
}

/// Runs one subcommand; everything given on the command line is checked before any request.
/// The warnings issued before a failure (astroquery's about a coordinate string) are
/// reported too, as astroquery shows them before its exception.
pub async fn run(
    client: MastClient,
    command: CatalogsCommand,
    columns: &[String],
    quiet: bool,
) -> anyhow::Result<(Table, Rows)> {
    let mut warnings: Vec<Warning> = Vec::new();
    match run_command(client, command, columns, &mut warnings, quiet).await {
        Ok((mut table, rows)) => {
            for w in warnings.into_iter().rev() {
                table.insert_warning(w);
            }
            Ok((table, rows))
        }
        Err(e) => {
            crate::output::report_warnings(&warnings, quiet);
            Err(e)
        }
    }
}

async fn run_command(
    client: MastClient,
    command: CatalogsCommand,
    columns: &[String],
    warnings: &mut Vec<Warning>,
    quiet: bool,
) -> anyhow::Result<(Table, Rows)> {
    let catalogs = Catalogs::new(client);
    let table = match command {
        CatalogsCommand::QueryRegion { position, args } => {
            let position = parse_position(&position, warnings)?;
            let options = args.options(columns)?;
            catalogs.query_region(position, &options).await?
        }
        CatalogsCommand::QueryObject { name, args } => catalogs.query_object(&name, &args.options(columns)?).await?,
        CatalogsCommand::QueryCriteria { coordinates, object_name, args } => {
            let mut options = args.options(columns)?;
            if let Some(c) = coordinates {
                options = options.coordinates(parse_position(&c, warnings)?);
            }
            if let Some(n) = object_name {
                options = options.object_name(n);
            }
            catalogs.query_criteria(&options).await?
        }
        CatalogsCommand::HscMatchid { match_id, position, radius, from_csv, row, version, paging } => {
            let mut options = paging.apply(QueryOptions::new());
            if let Some(v) = version {
                options = options.version(v);
            }
            let id = match (match_id, position, from_csv) {
                (Some(id), _, _) => MatchId::from(id),
                (None, Some(p), _) => {
                    let mut cone = QueryOptions::new();
                    if let Some(r) = radius {
                        cone = cone.radius(r.parse::<Radius>()?);
                    }
                    let position = parse_position(&p, warnings)?;
                    let hsc = catalogs.query_region(position, &cone).await?;
                    MatchId::from_row(&hsc, row)?
                }
                (None, None, Some(path)) => {
                    use anyhow::Context as _;
                    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    let table = Table::from_csv(&text).with_context(|| format!("reading {}", path.display()))?;
                    MatchId::from_row(&table, row)?
                }
                (None, None, None) => return Err(invalid("give a MatchID, --position or --from-csv").into()),
            };
            catalogs.query_hsc_matchid(id, &options).await?
        }
        CatalogsCommand::HscSpectra { paging } => catalogs.get_hsc_spectra(&paging.apply(QueryOptions::new())).await?,
        CatalogsCommand::QueryMany { targets, from_csv, args } => {
            return query_many(&catalogs, targets, from_csv.as_deref(), &args, columns).await;
        }
        CatalogsCommand::DownloadHscSpectra { from_csv, rows, download_dir, curl, no_cache } => {
            let spectra = match from_csv {
                Some(path) => {
                    use anyhow::Context as _;
                    use std::io::Read as _;
                    let mut text = String::new();
                    if path.as_os_str() == "-" {
                        std::io::stdin().read_to_string(&mut text).context("reading the spectra from stdin")?;
                    } else {
                        text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    }
                    Table::from_csv(&text).with_context(|| format!("reading {}", path.display()))?
                }
                None => catalogs.get_hsc_spectra(&QueryOptions::new()).await?,
            };
            warnings.extend(spectra.warnings().iter().cloned());
            let spectra = match rows {
                Some(spec) => spectra.slice(slice_rows(&spec, spectra.num_rows())?),
                None => spectra,
            };
            let mut options = SpectraOptions::new().cache(!no_cache).curl(curl);
            let progress = (!quiet && !curl).then(crate::download::Progress::new);
            if let Some(p) = &progress {
                let p = p.clone();
                options = options.on_progress(move |e| p.event(e));
            }
            let manifest = catalogs.download_hsc_spectra(&spectra, &download_dir, &options).await?;
            if let Some(p) = progress {
                p.finish(manifest.rows());
            }
            warnings.extend(manifest.warnings().cloned());
            manifest.to_table()
        }
    };
    Ok((table, Rows::default()))
}

/// `query-many`: the stacked table, and one `ERROR:` line on stderr per failed target
/// (which makes the exit status 3).
async fn query_many(
    catalogs: &Catalogs,
    targets: Vec<String>,
    from_csv: Option<&std::path::Path>,
    args: &CatalogArgs,
    columns: &[String],
) -> anyhow::Result<(Table, Rows)> {
    let targets = read_targets(targets, from_csv)?;
    let found = catalogs.query_many(&targets, &args.options(columns)?).await?;
    for e in &found.errors {
        let target = e.target.to_string();
        let message = e.error.to_string().replace('\n', " ");
        let what = mast::download::escape_for_terminal(&target);
        eprintln!("ERROR: target {} ({what}): {}: {message}", e.index, e.error.class_name());
    }
    Ok((found.table, Rows { total: targets.len(), failed: found.errors.len() }))
}

/// The targets of `query-many`: the arguments (`-` and `@FILE` expanded, one per line),
/// each a position when it reads as one and an object name otherwise, then the rows of
/// `from_csv` (`ra`/`dec` columns, else `name`). No target at all is an error.
fn read_targets(args: Vec<String>, from_csv: Option<&std::path::Path>) -> anyhow::Result<Vec<Target>> {
    use anyhow::Context as _;
    let lines = crate::observations::expand_ids(args, "targets", &mut std::io::stdin().lock())?;
    let mut targets: Vec<Target> = lines
        .into_iter()
        .map(|t| match Position::parse(&t) {
            Ok(p) => Target::Position(p),
            Err(_) => Target::Name(t),
        })
        .collect();
    if let Some(path) = from_csv {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let table = Table::from_csv(&text).with_context(|| format!("reading {}", path.display()))?;
        match (table.column("ra"), table.column("dec"), table.column("name")) {
            (Some(ra), Some(dec), _) => {
                for i in 0..table.num_rows() {
                    let (Some(r), Some(d)) = (ra.get_f64(i), dec.get_f64(i)) else {
                        return Err(invalid(format!("{}: row {i} has no ra or dec", path.display())).into());
                    };
                    targets.push(Target::Position(Position::new(r, d)?));
                }
            }
            (_, _, Some(name)) => {
                for i in 0..table.num_rows() {
                    let n =
                        name.get_str(i).ok_or_else(|| invalid(format!("{}: row {i} has no name", path.display())))?;
                    targets.push(Target::Name(n.to_owned()));
                }
            }
            _ => return Err(invalid(format!("{}: no ra and dec columns, and no name column", path.display())).into()),
        }
    }
    if targets.is_empty() {
        return Err(invalid("query-many needs at least one target (arguments, `-`, @FILE or --from-csv)").into());
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::slice_rows;

    #[test]
    fn rows_slice_as_python_does() {
        assert_eq!(slice_rows("10:13", 26).unwrap(), 10..13);
        assert_eq!(slice_rows(":5", 26).unwrap(), 0..5);
        assert_eq!(slice_rows("20:", 26).unwrap(), 20..26);
        assert_eq!(slice_rows("-3:", 26).unwrap(), 23..26);
        assert_eq!(slice_rows("20:40", 26).unwrap(), 20..26);
        assert_eq!(slice_rows("5:2", 26).unwrap(), 5..5);
        assert_eq!(slice_rows(":-30", 26).unwrap(), 0..0);
        assert!(slice_rows("10", 26).is_err());
        assert!(slice_rows("a:b", 26).is_err());
    }
}
