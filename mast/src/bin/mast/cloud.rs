//! `mast cloud ...`: astroquery's cloud lookups (`get_cloud_uris`, `list_cloud_datasets`).

use clap::Subcommand;
use mast::observations::{CloudUriInput, CloudUriOptions, ObsIds};
use mast::proto::cloud::CloudUriStyle;
use mast::{Column, DataType, MastClient, Observations, Table, Value};

use crate::observations::{FilterArgs, ProductSource, product_source};

#[derive(Subcommand, Debug)]
// Parsed once per run: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum CloudCommand {
    /// Cloud (S3) URIs of data products: from obsids, --position, a products or
    /// observations CSV, or --uri mast: URIs (astroquery's get_cloud_uris)
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
    Datasets,
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
