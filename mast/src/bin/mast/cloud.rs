//! `mast cloud ...`: astroquery's cloud lookups (`get_cloud_uris`, `list_cloud_datasets`,
//! `utils.mast_relative_path`).

use clap::Subcommand;
use mast::observations::{CloudUriInput, CloudUriOptions, ObsIds};
use mast::proto::cloud::CloudUriStyle;
use mast::{Column, DataType, MastClient, Observations, Table, Value, Warning, WarningCategory};

use crate::observations::{FilterArgs, ProductSource, expand_ids, invalid, product_source};

#[derive(Subcommand, Debug)]
// Parsed once per run: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum CloudCommand {
    /// Cloud (S3) URIs of data products: from obsids, --position, a products or
    /// observations CSV, or --uri mast: URIs (astroquery's get_cloud_uris)
    #[command(after_help = "Examples:
  mast cloud uris --uri mast:HST/product/u9o40504m_c3m.fits
  mast cloud uris 2003738726 --filter productSubGroupDescription=C3M --no-include-bucket
  mast cloud uris @obsids.txt --mrp-only --format csv

A product with no cloud copy has an empty cloudURI and a warning; it is not a failure (exit 0).")]
    Uris {
        #[command(flatten)]
        source: ProductSource,
        /// mast: data URIs to look up as they are (filters do not apply)
        #[arg(long = "uri", value_name = "URI", conflicts_with_all = ["obsids", "position", "from_csv"])]
        uris: Vec<String>,
        #[command(flatten)]
        filter: FilterArgs,
        /// Bare keys instead of s3://<bucket>/<key> (astroquery's include_bucket=False)
        #[arg(long)]
        no_include_bucket: bool,
        /// With --no-include-bucket: http://s3.amazonaws.com/<bucket>/<key> URLs
        #[arg(long, requires = "no_include_bucket")]
        full_url: bool,
        /// Trust MAST's path lookup; skip the S3 HEAD of each key
        #[arg(long)]
        no_verify: bool,
    },
    /// The datasets in MAST's public bucket (astroquery's list_cloud_datasets)
    #[command(after_help = "Example:
  mast cloud datasets --format csv")]
    Datasets,
    /// Where MAST keeps products in its public bucket: the path (S3 key) of each mast: URI
    /// from MAST's path lookup, empty with a warning where there is none (astroquery's
    /// utils.mast_relative_path)
    #[command(after_help = "Examples:
  mast cloud paths mast:HST/product/u9o40504m_c3m.fits mast:HST/product/u24r0102t_c1f.fits
  mast cloud paths @uris.txt --format csv --columns path

A URI with no path has an empty path and a warning; it is not a failure (exit 0).")]
    Paths {
        /// mast: data URIs; `-` reads them from stdin and `@FILE` from a file, one per line
        /// (blank lines and `#` comments ignored)
        #[arg(value_name = "URI", required = true)]
        uris: Vec<String>,
    },
}

/// Runs one subcommand.
pub async fn run(client: MastClient, command: CloudCommand) -> anyhow::Result<Table> {
    let obs = Observations::new(client);
    match command {
        CloudCommand::Uris { source, uris, filter, no_include_bucket, full_url, no_verify } => {
            let style = match (no_include_bucket, full_url) {
                (false, _) => CloudUriStyle::S3,
                (true, true) => CloudUriStyle::HttpUrl,
                (true, false) => CloudUriStyle::Key,
            };
            let options = CloudUriOptions::new().style(style).filter(filter.to_filter()?).verify(!no_verify);
            if !uris.is_empty() {
                return Ok(obs.get_cloud_uris(&uris, &options).await?.to_table());
            }
            let mut warnings = Vec::new();
            let (obs, ids, table) = product_source(obs, source, &mut warnings).await?;
            let input = match &table {
                Some(t) => ObsIds::Table(t),
                None => ObsIds::from(&ids),
            };
            let mut found = obs.get_cloud_uris(CloudUriInput::Products(input), &options).await?.to_table();
            for w in warnings.into_iter().rev() {
                found.insert_warning(w);
            }
            Ok(found)
        }
        CloudCommand::Paths { uris } => {
            let uris = expand_ids(uris, "URIs", &mut std::io::stdin().lock())?;
            if uris.is_empty() {
                return Err(invalid("no mast: URIs to look up").into());
            }
            if let Some(bad) = uris.iter().find(|u| u.strip_prefix("mast:").is_none_or(str::is_empty)) {
                return Err(invalid(format!(
                    "{:?} is not a mast: data URI (e.g. mast:HST/product/u9o40504m_c3m.fits)",
                    bad.chars().take(200).collect::<String>()
                ))
                .into());
            }
            let paths = obs.client().path_lookup(&uris).await?;
            let mut table = Table::new(vec![
                Column::from_values("uri", DataType::String, uris.iter().map(|u| Value::Str(u))),
                Column::from_values(
                    "path",
                    DataType::String,
                    paths.iter().map(|p| p.as_deref().map_or(Value::Masked, Value::Str)),
                ),
            ])?;
            // astroquery's words (NoResultsWarning, verbose=True).
            for (uri, _) in uris.iter().zip(&paths).filter(|(_, p)| p.is_none()) {
                table.push_warning(Warning::new(
                    WarningCategory::NoResults,
                    format!("Failed to retrieve MAST relative path for {uri}. Skipping..."),
                ));
            }
            Ok(table)
        }
        CloudCommand::Datasets => {
            let datasets = obs.list_cloud_datasets().await?;
            Ok(Table::new(vec![Column::from_values(
                "dataset",
                DataType::String,
                datasets.iter().map(|d| Value::Str(d)),
            )])?)
        }
    }
}
