//! `mast`: query MAST from the command line.

mod catalogs;
mod cloud;
mod download;
mod login;
mod observations;
mod output;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use mast::{Mast, MastClient, MastConfig, NameResolver, Radius, ResolveOptions, ServiceRequest};
use serde_json::Value;

use output::{Output, report_warnings};

/// Query MAST, the Barbara A. Mikulski Archive for Space Telescopes.
///
/// Every base URL defaults to the real MAST hosts; the MAST_* environment variables and the
/// flags below override them. `--emulator` runs everything against a local MAST instead.
#[derive(Parser, Debug)]
#[command(name = "mast", version, max_term_width = 100, after_help = TOP_AFTER_HELP)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Examples and exit statuses, after the top command's options.
const TOP_AFTER_HELP: &str = "\
Examples:
  mast --emulator observations query-region \"322.49324 12.16683\" --radius \"0.02 deg\"
  mast observations products 2003738726 --format csv > products.csv
  mast download products --from-csv products.csv --mrp-only

Exit status:
  0  success (for downloads: every row COMPLETE or SKIPPED)
  1  the command failed; the last stderr line is `ErrorClass: message`
  2  usage error (unknown option, missing or malformed argument)
  3  the command ran but some rows are ERROR (downloads, URL lists, curl scripts): the
     manifest is printed and says which and why (0 instead with --allow-error-rows)";

/// Options every subcommand takes: where MAST is and how long to wait ("Connection
/// options"), and how results are shown ("Output options"). Their headings put them after
/// each subcommand's own options in `--help`.
#[derive(Args, Debug)]
#[command(next_help_heading = "Connection options")]
struct GlobalArgs {
    /// Main MAST host [env: MAST_URL]
    #[arg(long, global = true, value_name = "URL")]
    mast_url: Option<String>,
    /// Catalogs API host [env: MAST_CATALOGS_URL]
    #[arg(long, global = true, value_name = "URL")]
    catalogs_url: Option<String>,
    /// SANTA name resolver host [env: MAST_RESOLVER_URL]
    #[arg(long, global = true, value_name = "URL")]
    resolver_url: Option<String>,
    /// Hubble Legacy Archive host [env: MAST_HLA_URL]
    #[arg(long, global = true, value_name = "URL")]
    hla_url: Option<String>,
    /// S3 endpoint for cloud data [env: MAST_S3_ENDPOINT]
    #[arg(long, global = true, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// S3 bucket for cloud data [env: MAST_S3_BUCKET]
    #[arg(long, global = true, value_name = "NAME")]
    s3_bucket: Option<String>,
    /// Wall-clock budget per query, in seconds [env: MAST_TIMEOUT]
    #[arg(long, global = true, value_name = "SECONDS", allow_hyphen_values = true)]
    timeout: Option<String>,
    /// Connection set-up limit, in seconds [env: MAST_CONNECT_TIMEOUT]
    #[arg(long, global = true, value_name = "SECONDS", allow_hyphen_values = true)]
    connect_timeout: Option<String>,
    /// Longest wait for an answer from the Portal, the resolver, downloads and S3, in seconds
    /// [env: MAST_FIRST_BYTE_TIMEOUT]
    #[arg(long, global = true, value_name = "SECONDS", allow_hyphen_values = true)]
    first_byte_timeout: Option<String>,
    /// Longest wait for an answer from the services, catalogs and cutout APIs, in seconds
    /// [env: MAST_SERVICES_FIRST_BYTE_TIMEOUT]
    #[arg(long, global = true, value_name = "SECONDS", allow_hyphen_values = true)]
    services_first_byte_timeout: Option<String>,
    /// Longest silence while a response streams, in seconds [env: MAST_IDLE_TIMEOUT]
    #[arg(long, global = true, value_name = "SECONDS", allow_hyphen_values = true)]
    idle_timeout: Option<String>,
    /// Retries of a failed request [env: MAST_RETRIES]
    #[arg(long, global = true, value_name = "N", allow_hyphen_values = true)]
    retries: Option<String>,
    /// Longest Retry-After honoured, in seconds [env: MAST_RETRY_AFTER_MAX]
    #[arg(long, global = true, value_name = "SECONDS", allow_hyphen_values = true)]
    retry_after_max: Option<String>,
    /// Largest answer read into memory, in bytes [env: MAST_MAX_RESPONSE_BYTES]
    #[arg(long, global = true, value_name = "BYTES", allow_hyphen_values = true)]
    max_response_bytes: Option<String>,
    /// Where the stored MAST API token is kept: the system keyring (shared with astroquery)
    /// or the token file [env: MAST_TOKEN_STORE]
    #[arg(long, global = true, value_enum, value_name = "STORE", ignore_case = true)]
    token_store: Option<login::StoreChoice>,
    /// A MAST API token on the command line. Other users can read it in the process list
    /// and it stays in shell history: prefer MAST_API_TOKEN, a stored token or `mast login
    /// --with-token`
    #[arg(long, global = true, value_name = "TOKEN")]
    insecure_token: Option<String>,
    /// Start an embedded MAST emulator and send every request to it (no network needed)
    #[arg(long, global = true)]
    emulator: bool,
    /// Output format (any case)
    #[arg(long, global = true, value_enum, default_value_t = Format::Table, ignore_case = true, help_heading = "Output options")]
    format: Format,
    /// Only these columns, comma-separated, in this order
    #[arg(long, global = true, value_delimiter = ',', value_name = "COLUMNS", help_heading = "Output options")]
    columns: Vec<String>,
    /// Rows shown in `--format table` (0: all); CSV and JSON always have every row
    #[arg(
        long,
        global = true,
        default_value_t = 25,
        value_name = "N",
        allow_hyphen_values = true,
        help_heading = "Output options"
    )]
    max_rows: usize,
    /// More logging (-v: requests and retries, -vv: everything); errors show their causes
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Output options")]
    verbose: u8,
    /// Only errors on stderr: no warnings (still appended to $MAST_WARNINGS_JSONL), no
    /// progress
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = "Output options")]
    quiet: bool,
    /// Exit 0 even when some manifest rows are ERROR (instead of 3), for scripts that read
    /// the manifest's Status and Message themselves, as astroquery's callers do
    #[arg(long, global = true, help_heading = "Output options")]
    allow_error_rows: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// astropy-like text table
    Table,
    /// canonical CSV (quoted names, dtype line, masked = empty)
    Csv,
    /// JSON array of row objects (masked = null)
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run any MAST Portal service (astroquery's Mast.service_request)
    #[command(after_help = "Examples:
  mast service Mast.Caom.Cone --position \"322.49324 12.16683\" --radius \"5 arcmin\"
  mast service Mast.Caom.Cone -p ra=184.3 -p dec=-5.5 -p radius=0.2 --pagesize 500 --format csv")]
    Service {
        /// Service name, e.g. Mast.Caom.Cone
        service: String,
        /// Service parameter KEY=VALUE; VALUE is read as JSON when it is JSON (numbers,
        /// true/false, lists, objects, "quoted strings"), as text otherwise
        #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// Fetch only this page
        #[arg(long, allow_hyphen_values = true)]
        page: Option<u64>,
        /// Rows per page [env: MAST_PAGESIZE]
        #[arg(long, allow_hyphen_values = true)]
        pagesize: Option<u64>,
        /// Extra request property KEY=VALUE (removenullcolumns=true, timeout=30, ...)
        #[arg(long = "property", value_name = "KEY=VALUE")]
        properties: Vec<String>,
        /// Sky position, sent as `ra` and `dec` in degrees: "322.49324 12.16683",
        /// "21h29m58.38s +12d10m00.6s", "21:29:58.38 +12:10:00.6"
        #[arg(long, value_name = "POSITION", allow_hyphen_values = true)]
        position: Option<String>,
        /// Search radius, sent as `radius` in degrees: 0.2, "0.2 deg", "5 arcmin", "30 arcsec"
        #[arg(long, value_name = "RADIUS", requires = "position", allow_hyphen_values = true)]
        radius: Option<String>,
        /// Print the raw JSON response bodies (one per page) instead of a table
        #[arg(long)]
        raw: bool,
    },
    /// MAST's observation archive (astroquery's Observations)
    #[command(subcommand)]
    Observations(observations::ObservationsCommand),
    /// MAST's catalogs: HSC, GALEX, Gaia, PLATO, TIC, CTL, Disk Detective, PanSTARRS
    /// (astroquery's Catalogs)
    #[command(subcommand)]
    Catalogs(catalogs::CatalogsCommand),
    /// Download data products (HTTPS, or MAST's public S3 bucket with --cloud): verified,
    /// resumable, into astroquery's layout
    #[command(subcommand, after_help = download::DOWNLOAD_AFTER_HELP)]
    Download(download::DownloadCommand),
    /// MAST's public S3 bucket: cloud URIs of products, datasets
    #[command(subcommand)]
    Cloud(cloud::CloudCommand),
    /// astroquery's Mast.mast_query: for *Filtered* services every -p becomes a filter
    #[command(after_help = "Examples:
  mast mast-query Mast.Caom.Cone -p ra=184.3 -p dec=54.5 -p radius=0.2
  mast mast-query Mast.Caom.Filtered -p obs_collection='[\"HST\"]' -p 't_exptime={\"min\": 100, \"max\": 200}'")]
    MastQuery {
        /// Service name, e.g. Mast.Caom.Filtered
        service: String,
        /// KEY=VALUE, VALUE read as JSON when it is JSON; {"min": a, "max": b} is a range;
        /// ra, dec, radius, position, pagesize, page, timeout, removenullcolumns, ... are
        /// recognised as astroquery does
        #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// Columns the service returns (filtered services), comma-separated
        #[arg(long, value_name = "COLUMNS")]
        service_columns: Option<String>,
    },
    #[command(flatten)]
    Auth(login::AuthCommand),
    /// Resolve object names to sky positions (SANTA resolver)
    #[command(after_help = "Examples:
  mast resolve M101
  mast resolve M1 \"Barnard's Star\" --resolver SIMBAD --format csv")]
    Resolve {
        /// Object names, e.g. M101 "Barnard's Star" "TIC 307210830"
        #[arg(required = true)]
        names: Vec<String>,
        /// Use only this resolver: SIMBAD or NED
        #[arg(long)]
        resolver: Option<String>,
        /// Return every resolver's position
        #[arg(long)]
        resolve_all: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("RuntimeError: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let verbose = cli.global.verbose > 0;
    let allow_error_rows = cli.global.allow_error_rows;
    match runtime.block_on(run(cli)) {
        Ok(_) if allow_error_rows => ExitCode::SUCCESS,
        Ok(rows) => exit_status(&rows),
        Err(err) => {
            output::report_error(&err, verbose);
            ExitCode::FAILURE
        }
    }
}

/// Exit status when the command ran but some rows of its manifest are `ERROR`
/// (documented in `--help` and README.md; 1 is a failed command, 2 clap's usage errors).
const EXIT_ROWS_FAILED: u8 = 3;

/// How many rows a command produced and how many of them are `ERROR`: what decides between
/// exit status 0 and [`EXIT_ROWS_FAILED`]. Commands without per-row failures report
/// `Rows::default()`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    /// Rows in the result (manifest rows for downloads).
    pub total: usize,
    /// Rows whose status is `ERROR`.
    pub failed: usize,
}

impl Rows {
    /// Counts the `ERROR` rows of a manifest-shaped table: its `Status` (or `status`) column.
    /// A table without one (a URL list before it carries statuses) has no failed rows.
    pub fn of_table(table: &mast::Table) -> Rows {
        let status = table.column("Status").or_else(|| table.column("status"));
        let failed = status.map_or(0, |c| (0..table.num_rows()).filter(|&i| c.get_str(i) == Some("ERROR")).count());
        Rows { total: table.num_rows(), failed }
    }
}

/// 0 when no row failed, [`EXIT_ROWS_FAILED`] (with a line saying how many on stderr) when
/// some did.
fn exit_status(rows: &Rows) -> ExitCode {
    if rows.failed == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!("mast: {} of {} rows are ERROR (exit status {EXIT_ROWS_FAILED})", rows.failed, rows.total);
    ExitCode::from(EXIT_ROWS_FAILED)
}

fn init_tracing(global: &GlobalArgs) {
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "error",
        (false, 1) => "warn,mast=info,mast_proto=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MAST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<Rows> {
    let global = cli.global;
    let mut config = MastConfig::from_env()?;
    #[cfg(feature = "emulator")]
    let _emulator = if global.emulator {
        let emulator = mast::emulator::Emulator::start(mast::emulator::EmulatorConfig::default())
            .await
            .context("could not start the embedded MAST emulator")?;
        if !global.quiet {
            eprintln!("mast: using the embedded MAST emulator at {} (no network)", emulator.base_url());
        }
        config = config.with_all_urls(emulator.base_url())?;
        Some(emulator)
    } else {
        None
    };
    #[cfg(not(feature = "emulator"))]
    if global.emulator {
        anyhow::bail!("this mast binary was built without the `emulator` feature");
    }
    for (key, value) in [
        ("MAST_URL", &global.mast_url),
        ("MAST_CATALOGS_URL", &global.catalogs_url),
        ("MAST_RESOLVER_URL", &global.resolver_url),
        ("MAST_HLA_URL", &global.hla_url),
        ("MAST_S3_ENDPOINT", &global.s3_endpoint),
        ("MAST_S3_BUCKET", &global.s3_bucket),
        ("MAST_TIMEOUT", &global.timeout),
        ("MAST_CONNECT_TIMEOUT", &global.connect_timeout),
        ("MAST_FIRST_BYTE_TIMEOUT", &global.first_byte_timeout),
        ("MAST_SERVICES_FIRST_BYTE_TIMEOUT", &global.services_first_byte_timeout),
        ("MAST_IDLE_TIMEOUT", &global.idle_timeout),
        ("MAST_RETRIES", &global.retries),
        ("MAST_RETRY_AFTER_MAX", &global.retry_after_max),
        ("MAST_MAX_RESPONSE_BYTES", &global.max_response_bytes),
    ] {
        if let Some(value) = value {
            config = config.set(key, value)?;
        }
    }
    let out = Output { format: global.format, columns: global.columns.clone(), max_rows: global.max_rows };
    let quiet = global.quiet;
    let mut rows = Rows::default();
    let mast = Mast::new(MastClient::new(config)?);
    let token_store = match global.token_store {
        Some(choice) => choice,
        None => match std::env::var("MAST_TOKEN_STORE") {
            Ok(v) if !v.is_empty() => login::StoreChoice::from_str(&v, true)
                .map_err(|_| anyhow::anyhow!("MAST_TOKEN_STORE={v:?}: expected auto, keyring or file"))?,
            _ => login::StoreChoice::default(),
        },
    };
    let insecure_token = global.insecure_token.map(mast::auth::Token::new);
    if insecure_token.is_some() && !quiet {
        eprintln!(
            "WARNING: --insecure-token puts the token where other users can read it (the process list, shell \
             history); prefer MAST_API_TOKEN, a stored token or `mast login --with-token`"
        );
    }
    let insecure_token = if matches!(cli.command, Command::Auth(_)) {
        insecure_token
    } else {
        // Every other command sends the token there is, unchecked (see `login::use_token`).
        login::use_token(mast.client(), insecure_token, token_store, quiet);
        None
    };

    match cli.command {
        Command::Service { service, params, page, pagesize, properties, position, radius, raw } => {
            let mut request = ServiceRequest::new(service);
            // Positions and radii are checked before anything is sent.
            let mut warnings = Vec::new();
            if let Some(position) = position {
                let position = observations::parse_position(&position, &mut warnings)?;
                let radius: Radius = radius.as_deref().map_or(Ok(Radius::default()), str::parse)?;
                request =
                    request.param("ra", position.ra()).param("dec", position.dec()).param("radius", radius.degrees());
            }
            for p in &params {
                let (k, v) = key_value(p, "--param")?;
                request = request.param(k, v);
            }
            for p in &properties {
                let (k, v) = key_value(p, "--property")?;
                request = request.property(k, v);
            }
            if let Some(size) = pagesize {
                request = request.pagesize(size);
            }
            if let Some(page) = page {
                request = request.page(page);
            }
            if raw {
                for body in mast.service_request_raw(request).await? {
                    println!("{}", String::from_utf8_lossy(&body));
                }
                return Ok(Rows::default());
            }
            let mut table = mast.service_request(request).await?;
            for w in warnings.into_iter().rev() {
                table.insert_warning(w);
            }
            report_warnings(table.warnings(), quiet);
            out.print(&table)?;
        }
        Command::Observations(command) => {
            let table = observations::run(mast.client().clone(), command).await?;
            report_warnings(table.warnings(), quiet);
            out.print(&table)?;
        }
        Command::Catalogs(command) => {
            let sent = catalogs::sends_columns(&command);
            let download = catalogs::is_download(&command);
            let (table, done) = catalogs::run(mast.client().clone(), command, &out.columns, quiet).await?;
            rows = done;
            report_warnings(table.warnings(), quiet);
            if download {
                rows = Rows::of_table(&table);
            }
            if sent {
                Output { columns: Vec::new(), ..out }.print(&table)?;
            } else {
                out.print(&table)?;
            }
        }
        Command::Download(command) => {
            let done = download::run(mast.client().clone(), command, quiet).await?;
            report_warnings(&done.warnings, quiet);
            rows = done.rows;
            match done.table {
                Some(table) => out.print(&table)?,
                // astroquery returns None: two empty lines in canonical CSV.
                None if global.format == Format::Csv => println!("\n"),
                None => {}
            }
        }
        Command::Cloud(command) => {
            let table = cloud::run(mast.client().clone(), command).await?;
            report_warnings(table.warnings(), quiet);
            out.print(&table)?;
        }
        Command::MastQuery { service, params, service_columns } => {
            let params = params.iter().map(|p| key_value(p, "--param")).collect::<mast::Result<Vec<_>>>()?;
            let table = mast.mast_query(&service, &params, service_columns.as_deref()).await?;
            report_warnings(table.warnings(), quiet);
            out.print(&table)?;
        }
        Command::Auth(command) => {
            login::run(mast.client().clone(), command, insecure_token, token_store, global.format, quiet).await?;
        }
        Command::Resolve { names, resolver, resolve_all } => {
            let mut options = ResolveOptions::new().resolve_all(resolve_all);
            if let Some(r) = resolver {
                options = options.resolver(NameResolver::parse(&r)?);
            }
            let resolution = mast.resolve_objects(&names, &options).await?;
            report_warnings(&resolution.warnings, quiet);
            out.print(&output::resolution_table(&resolution, names.len() > 1, resolve_all)?)?;
        }
    }
    Ok(rows)
}

/// Splits `KEY=VALUE` ([`mast::pyparse::split_key_value`]: an `InvalidQueryError` naming the
/// argument when it is not of that form); the value is JSON when it parses as JSON, text
/// otherwise.
fn key_value(arg: &str, flag: &str) -> mast::Result<(String, Value)> {
    let (key, value) = mast::pyparse::split_key_value(arg, flag, "KEY=VALUE")?;
    let value = match serde_json::from_str::<Value>(value) {
        Ok(v) => v,
        Err(_) => Value::String(value.to_owned()),
    };
    Ok((key.to_owned(), value))
}
