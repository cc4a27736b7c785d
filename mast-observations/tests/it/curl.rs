//! `download_curl_script`: MAST's bundle.sh saved as `mastDownload_<timestamp>.sh`.

use mast_emulator::{Fault, FaultRule};
use mast_observations::DownloadOptions;
use mast_proto::WarningCategory;
use mast_proto::products::ProductFilter;

use crate::{observations, recorded};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mast-obs-curl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn curl_script_is_saved_with_astroquerys_manifest() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let dir = temp_dir("ok");
    let options = DownloadOptions::new().download_dir(&dir).filter(ProductFilter::new().mrp_only(true));
    let table = obs.download_curl_script("2003738726", &options).await.unwrap();
    assert_eq!(table.column_names().collect::<Vec<_>>(), ["Local Path", "Status", "Message"]);
    assert_eq!(table.num_rows(), 1);
    let shown = table.column("Local Path").unwrap().get_str(0).unwrap().to_owned();
    assert_eq!(table.column("Status").unwrap().get_str(0), Some("COMPLETE"));
    assert_eq!(table.column("Message").unwrap().get_str(0), None);
    let name = shown.rsplit('/').next().unwrap();
    assert!(shown.starts_with(&format!("{}/mastDownload_", dir.display())), "{shown}");
    assert!(name.len() == "mastDownload_.sh".len() + 14 && name.ends_with(".sh"), "{name}");
    let script = std::fs::read_to_string(dir.join(name)).unwrap();
    assert!(script.starts_with("#!/bin/bash\n"), "{script}");
    assert_eq!(script.matches("curl --globoff").count(), 3, "{script}");
    for file in ["u9o40504m_c0f.fits", "u9o40504m_c1f.fits", "u9o40504m_drz.fits"] {
        assert!(script.contains(&format!("Download/file?uri=mast:HST/product/{file}'")), "{file}: {script}");
    }
    assert!(!std::fs::read_dir(&dir).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".part")));
    let stats = emulator.stats();
    assert_eq!(stats.requests.get("bundle").copied(), Some(1));
    assert_eq!(stats.requests.get("download").copied(), None);
    // MAST was asked for the products of that obsid, then for a script of the MRP ones.
    let products = emulator.requests_for("invoke:Mast.Caom.Products");
    assert_eq!(
        products.iter().map(|e| e.params().unwrap()).collect::<Vec<_>>(),
        [serde_json::json!({"obsid": "2003738726"})]
    );
    let bundle = emulator.requests_for("bundle");
    assert_eq!(bundle[0].method, "POST");
    assert_eq!(
        bundle[0].form_values("uri"),
        ["u9o40504m_c0f.fits", "u9o40504m_c1f.fits", "u9o40504m_drz.fits"].map(|f| format!("mast:HST/product/{f}"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn curl_script_failure_and_nothing_to_download() {
    let emulator = recorded().await;
    let obs = observations(&emulator);
    let dir = temp_dir("err");
    emulator.set_faults(vec![FaultRule::new("bundle", Fault::Status { code: 404, retry_after: None })]);
    let table = obs.download_curl_script("2003738726", &DownloadOptions::new().download_dir(&dir)).await.unwrap();
    assert_eq!(table.column("Status").unwrap().get_str(0), Some("ERROR"));
    assert_eq!(table.column("Message").unwrap().get_str(0), Some("Curl could not be downloaded"));
    assert!(!dir.exists() || std::fs::read_dir(&dir).unwrap().next().is_none());

    let none = DownloadOptions::new()
        .download_dir(&dir)
        .flat(true)
        .filter(ProductFilter::new().column("productType", ["NOPE"]));
    let table = obs.download_curl_script("2003738726", &none).await.unwrap();
    assert_eq!(table.num_rows(), 0);
    let categories: Vec<_> = table.warnings().iter().map(|w| (w.category, w.message.as_str())).collect();
    assert!(categories.contains(&(WarningCategory::NoResults, "No products to download.")), "{categories:?}");
    assert!(categories.contains(&(WarningCategory::Input, "flat=True has no effect on curl downloads.")));
    let _ = std::fs::remove_dir_all(&dir);
}
