//! `download_hsc_spectra`: files from the HLA host (some answers without a length), the
//! manifest, a failing spectrum among others, and the curl script through the Portal.

use mast_catalogs::{QueryOptions, SpectraOptions};
use mast_download::Status;
use mast_emulator::files::{FileContent, hla_size, hla_without_length};
use mast_proto::{Column, DataType, Table, Value};
use serde_json::json;

use crate::{catalogs, portal, recorded};

/// The name the emulator decodes from `file_id=<name>.fits` (`+` is a space in a query).
fn served(name: &str) -> String {
    format!("{}.fits", name.replace('+', " "))
}

/// The bytes the emulator serves for an ecfproxy spectrum (default seed, version 0).
fn expected(name: &str) -> Vec<u8> {
    let size = hla_size(&served(name));
    FileContent::new(&format!("hla:{}", served(name)), size, 42, 0).bytes(0..size).to_vec()
}

fn names(table: &Table) -> Vec<String> {
    let c = table.column("DatasetName").unwrap();
    (0..table.num_rows()).map(|i| c.get_str(i).unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_spectrum_is_a_complete_row_and_a_verified_file() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let spectra = cat.get_hsc_spectra(&QueryOptions::new()).await.unwrap();
    let names = names(&spectra);
    // The fixture's spectra include answers with and without Content-Length.
    assert!(names.iter().any(|n| hla_without_length(&served(n), false)));
    assert!(names.iter().any(|n| !hla_without_length(&served(n), false)));
    let dir = tempfile::tempdir().unwrap();
    emu.reset_stats();
    let manifest = cat.download_hsc_spectra(&spectra, dir.path(), &SpectraOptions::new()).await.unwrap();
    assert_eq!(manifest.len(), names.len());
    for (row, name) in manifest.iter().zip(&names) {
        let relative = format!("mastDownload/HSC/{name}.fits");
        assert_eq!(row.local_path, dir.path().join(&relative));
        assert_eq!((row.status, row.message.as_deref(), row.url.as_deref()), (Status::Complete, None, None), "{name}");
        assert_eq!(std::fs::read(dir.path().join(&relative)).unwrap(), expected(name), "{name}");
    }
    let table = manifest.to_table();
    assert_eq!(table.column_names().collect::<Vec<_>>(), ["Local Path", "Status", "Message", "URL"]);
    // One GET per spectrum, at the URL astroquery builds (the `+` sent as it is); no HEAD.
    let sent = emu.requests_for("hla");
    assert_eq!(sent.len(), names.len());
    assert!(sent.iter().all(|r| r.method == "GET" && r.path == "/cgi-bin/ecfproxy"));
    let mut asked: Vec<String> = sent.iter().map(|r| r.query[0].1.clone()).collect();
    let mut wanted: Vec<String> = names.iter().map(|n| served(n)).collect();
    asked.sort();
    wanted.sort();
    assert_eq!(asked, wanted);
    // Within MAST's limit of 4 files at once per host.
    assert!(emu.stats().max_concurrency <= 4, "{}", emu.stats().max_concurrency);

    // Again: the files with a length are kept after one HEAD each; those without one
    // cannot be checked and are fetched again (as astroquery does).
    emu.reset_stats();
    let again = cat.download_hsc_spectra(&spectra, dir.path(), &SpectraOptions::new()).await.unwrap();
    assert!(again.iter().all(|r| r.status == Status::Complete));
    let lengthless = names.iter().filter(|n| hla_without_length(&served(n), false)).count() as u64;
    assert_eq!(emu.stats().count("hla:head"), names.len() as u64);
    assert_eq!(emu.stats().count("hla") - emu.stats().count("hla:head"), lengthless);
}

#[tokio::test]
async fn the_default_directory_reads_as_astroquery_shows_it() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let spectra = cat.get_hsc_spectra(&QueryOptions::new()).await.unwrap().slice(10..13);
    let dir = tempfile::tempdir().unwrap();
    let shown = format!("{}/", dir.path().display());
    let manifest = cat.download_hsc_spectra(&spectra, &shown, &SpectraOptions::new()).await.unwrap();
    let table = manifest.to_table();
    let paths = table.column("Local Path").unwrap();
    assert_eq!(
        paths.get_str(0).unwrap(),
        format!("{shown}mastDownload/HSC/HAG_J072656.64+691436.7_J8HPAXAEQ_V01.SPEC1D.fits")
    );
}

#[tokio::test]
async fn a_failing_spectrum_is_an_error_row_and_the_others_complete() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let good = names(&cat.get_hsc_spectra(&QueryOptions::new()).await.unwrap().slice(0..2));
    let all = [good[0].as_str(), "HAG_does_not_exist_V01.SPEC1D", good[1].as_str()];
    let spectra = Table::new(vec![
        Column::from_values("DatasetName", DataType::String, all.iter().map(|n| Value::Str(n))),
        Column::from_values("SpectrumType", DataType::Int64, all.iter().map(|_| Value::Int(2))),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = cat.download_hsc_spectra(&spectra, dir.path(), &SpectraOptions::new()).await.unwrap();
    let rows = manifest.rows();
    let url = format!("{}/cgi-bin/ecfproxy?file_id=HAG_does_not_exist_V01.SPEC1D.fits", emu.base_url());
    assert_eq!(rows[1].status, Status::Error);
    assert_eq!(rows[1].url.as_deref(), Some(url.as_str()));
    assert_eq!(
        rows[1].message.as_deref(),
        Some(format!("HTTPError: 404 Client Error: Not Found for url: {url}").as_str())
    );
    assert!(!dir.path().join("mastDownload/HSC/HAG_does_not_exist_V01.SPEC1D.fits").exists());
    for i in [0, 2] {
        assert_eq!(rows[i].status, Status::Complete);
        let name = all[i];
        assert_eq!(std::fs::read(dir.path().join(format!("mastDownload/HSC/{name}.fits"))).unwrap(), expected(name));
    }
    // A 404 is final: one request for it.
    assert_eq!(emu.requests_for("hla").iter().filter(|r| r.status == Some(404)).count(), 1);

    // A table without the columns is refused before any request.
    emu.reset_stats();
    let bare = Table::new(vec![Column::from_values("X", DataType::Int64, [Value::Int(1)])]).unwrap();
    let e = cat.download_hsc_spectra(&bare, dir.path(), &SpectraOptions::new()).await.unwrap_err();
    assert_eq!(e.class_name(), "InvalidQueryError");
    assert_eq!(emu.stats().total, 0);
}

#[tokio::test]
async fn the_curl_script_comes_from_mast_bundle_request() {
    let emu = recorded().await;
    let cat = catalogs(&emu);
    let spectra = cat.get_hsc_spectra(&QueryOptions::new()).await.unwrap().slice(20..24);
    let names = names(&spectra);
    let dir = tempfile::tempdir().unwrap();
    emu.reset_stats();
    let manifest = cat.download_hsc_spectra(&spectra, dir.path(), &SpectraOptions::new().curl(true)).await.unwrap();
    // The Portal request, params in astroquery's order.
    let sent = portal(&emu, "Mast.Bundle.Request");
    assert_eq!(sent.len(), 1);
    let params = sent[0]["params"].as_object().unwrap();
    assert_eq!(
        params.keys().collect::<Vec<_>>(),
        ["urlList", "filename", "pathList", "descriptionList", "productTypeList", "extension"]
    );
    let stem = params["filename"].as_str().unwrap().to_owned();
    assert!(stem.starts_with("mastDownload_") && stem.len() == 27, "{stem}");
    let base = emu.base_url();
    let urls: Vec<String> = names.iter().map(|n| format!("{base}/cgi-bin/ecfproxy?file_id={n}.fits")).collect();
    let paths: Vec<String> = names.iter().map(|n| format!("{stem}/HSC/{n}.fits")).collect();
    assert_eq!(params["urlList"], json!(urls.join(",")));
    assert_eq!(params["pathList"], json!(paths.join(",")));
    assert_eq!(params["descriptionList"], json!(["", "", "", ""]));
    assert_eq!(params["productTypeList"], json!(["spectrum", "spectrum", "spectrum", "spectrum"]));
    assert_eq!(params["extension"], json!("curl"));
    assert_eq!((sent[0]["pagesize"].clone(), sent[0]["page"].clone()), (json!(50000), json!(1)));
    // Then the staged script, one GET, saved as <dir>/<stem>.sh; no spectrum fetched.
    assert_eq!(emu.requests_for("stage").len(), 1);
    assert_eq!(emu.stats().count("hla"), 0);
    assert_eq!(manifest.len(), 1);
    let row = &manifest.rows()[0];
    assert_eq!((row.status, row.message.as_deref(), row.url.as_deref()), (Status::Complete, None, None));
    assert_eq!(row.local_path, dir.path().join(format!("{stem}.sh")));
    let script = std::fs::read_to_string(&row.local_path).unwrap();
    assert_eq!(script, mast_emulator::staged_script("mastDownload_20170621142037.sh"));
}
