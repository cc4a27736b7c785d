//! The recorded MAST responses (astroquery's test data, `data/astroquery-recorded/`), built
//! into the binary, and the re-paging of recorded Portal tables.

use std::fmt::Write as _;
use std::sync::OnceLock;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// One recorded file.
pub(crate) struct Fixture {
    pub(crate) name: &'static str,
    pub(crate) bytes: &'static [u8],
    parsed: OnceLock<Option<PortalFixture>>,
}

macro_rules! fixture {
    ($ident:ident, $file:literal) => {
        pub(crate) static $ident: Fixture = Fixture {
            name: $file,
            bytes: include_bytes!(concat!("../data/astroquery-recorded/", $file)),
            parsed: OnceLock::new(),
        };
    };
}

fixture!(CAOM, "caom.json");
fixture!(ADV_SEARCH, "advSearch.json");
fixture!(ADV_SEARCH_POS, "advSearchPos.json");
fixture!(COUNTS, "countsResp.json");
fixture!(PRODUCTS, "products.json");
fixture!(MISSIONS_EXTJS, "missions.extjs");
fixture!(HSC, "hsc.json");
fixture!(MATCHID, "matchid.json");
fixture!(SPECTRA, "spectra.json");
fixture!(TIC, "tic.json");
fixture!(DD, "dd.json");
fixture!(TIC_HISTOGRAMS, "ticcolumns_filtered.json");
fixture!(DD_HISTOGRAMS, "ddcolumns_filtered.json");
fixture!(BUNDLE, "bundleResponse.json");
fixture!(RESOLVER, "resolver.json");
fixture!(COLUMNS_CONFIG, "columnsconfig.json");
fixture!(TIC_COLUMNS, "ticcolumns.json");
fixture!(DD_COLUMNS, "ddcolumns.json");
fixture!(PANSTARRS, "panstarrs.json");
fixture!(PANSTARRS_COLUMNS, "panstarrs_columns.json");
fixture!(MISSION_RESULTS, "mission_results.json");

/// The emulator's own (synthesised) files in `data/synth/` (see its README).
macro_rules! synth {
    ($ident:ident, $file:literal) => {
        pub(crate) static $ident: Fixture =
            Fixture { name: $file, bytes: include_bytes!(concat!("../data/synth/", $file)), parsed: OnceLock::new() };
    };
}

synth!(PRODUCTS_COLUMNS, "colconfig_products.json");
synth!(PRODUCTS_COLUMNS_SKY, "colconfig_products_sky.json");

/// A recorded Portal table split into its top-level members (in file order) and its rows.
pub(crate) struct PortalFixture {
    members: Vec<(String, &'static RawValue)>,
    rows: Vec<&'static RawValue>,
    recorded_page_size: Option<u64>,
}

/// A page of a recorded Portal table.
pub(crate) enum RecordedPage {
    /// The page, as bytes to send.
    Body(Bytes),
    /// The page would hold this many rows, more than the row limit.
    TooManyRows(usize),
}

impl Fixture {
    /// The file as a Portal table, if it is one (`data` is an array).
    pub(crate) fn portal(&'static self) -> Option<&'static PortalFixture> {
        self.parsed.get_or_init(|| PortalFixture::parse(self.bytes)).as_ref()
    }

    /// Page `page` of `page_size` rows of this recorded Portal table, with `paging` rewritten
    /// (spec §14): `page` echoed, `pageSize` as requested, `pagesFiltered` =
    /// ceil(rows / page_size) (0 for no rows), `rows` the rows sent, `rowsFiltered` =
    /// `rowsTotal` = the rows the file holds. When the request matches the recording (page 1,
    /// the recorded page size, every row fits) the file is sent unchanged, byte for byte.
    /// Files that are not Portal tables are sent unchanged.
    pub(crate) fn portal_page(&'static self, page: u64, page_size: u64, row_limit: usize) -> RecordedPage {
        let Some(table) = self.portal() else { return RecordedPage::Body(Bytes::from_static(self.bytes)) };
        let total = table.rows.len();
        let start = usize::try_from((page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX).min(total);
        let end = usize::try_from(page.saturating_mul(page_size)).unwrap_or(usize::MAX).min(total);
        if end - start > row_limit {
            return RecordedPage::TooManyRows(end - start);
        }
        if page == 1 && table.recorded_page_size == Some(page_size) && total as u64 <= page_size {
            return RecordedPage::Body(Bytes::from_static(self.bytes));
        }
        let pages = (total as u64).div_ceil(page_size);
        let mut out = String::with_capacity(self.bytes.len());
        out.push('{');
        let mut wrote_paging = false;
        for (i, (key, raw)) in table.members.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            mast_proto::pyfmt::write_json_string(&mut out, key);
            out.push_str(": ");
            match key.as_str() {
                "paging" => {
                    write_paging(&mut out, page, page_size, pages, end - start, total);
                    wrote_paging = true;
                }
                "data" => {
                    out.push('[');
                    for (j, row) in table.rows[start..end].iter().enumerate() {
                        if j > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(row.get());
                    }
                    out.push(']');
                }
                _ => out.push_str(raw.get()),
            }
        }
        if !wrote_paging {
            out.push_str(", \"paging\": ");
            write_paging(&mut out, page, page_size, pages, end - start, total);
        }
        out.push('}');
        RecordedPage::Body(out.into())
    }
}

fn write_paging(out: &mut String, page: u64, size: u64, pages: u64, rows: usize, total: usize) {
    let _ = write!(
        out,
        "{{\"page\": {page}, \"pageSize\": {size}, \"pagesFiltered\": {pages}, \"rows\": {rows}, \"rowsFiltered\": {total}, \"rowsTotal\": {total}}}"
    );
}

impl PortalFixture {
    fn parse(bytes: &'static [u8]) -> Option<PortalFixture> {
        let Members(members) = serde_json::from_slice(bytes).ok()?;
        let data = members.iter().find(|(k, _)| k == "data")?.1;
        let rows: Vec<&'static RawValue> = serde_json::from_str(data.get()).ok()?;
        let recorded_page_size = members
            .iter()
            .find(|(k, _)| k == "paging")
            .and_then(|(_, raw)| serde_json::from_str::<serde_json::Value>(raw.get()).ok())
            .and_then(|p| p.get("pageSize").and_then(serde_json::Value::as_u64));
        Some(PortalFixture { members, rows, recorded_page_size })
    }
}

/// A JSON object's members in document order, values left as raw JSON.
struct Members(Vec<(String, &'static RawValue)>);

impl<'de: 'static> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de: 'static> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Slices a recorded services-API response (`info` + `data`, e.g. PanSTARRS) to page `page`
/// of `page_size` rows; other members are kept.
pub(crate) fn services_page(fixture: &'static Fixture, page: u64, page_size: u64) -> Vec<u8> {
    let start = (page.max(1) - 1).saturating_mul(page_size);
    services_slice(fixture, "data", start, page_size, None)
}

/// Slices the rows under `data_key` of a recorded services-API response to `count` rows from
/// row `start`; other members are kept, except `totalResults`, replaced by the JSON text
/// `total` when given.
pub(crate) fn services_slice(
    fixture: &'static Fixture,
    data_key: &str,
    start: u64,
    count: u64,
    total: Option<&str>,
) -> Vec<u8> {
    let Ok(Members(members)) = serde_json::from_slice::<Members>(fixture.bytes) else {
        return fixture.bytes.to_vec();
    };
    let mut out = String::with_capacity(fixture.bytes.len());
    out.push('{');
    for (i, (key, raw)) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        mast_proto::pyfmt::write_json_string(&mut out, key);
        out.push_str(": ");
        if key == "totalResults"
            && let Some(total) = total
        {
            out.push_str(total);
            continue;
        }
        let rows = (key == data_key).then(|| serde_json::from_str::<Vec<&RawValue>>(raw.get()).ok()).flatten();
        match rows {
            Some(rows) => {
                let first = usize::try_from(start).unwrap_or(usize::MAX).min(rows.len());
                let end = usize::try_from(start.saturating_add(count)).unwrap_or(usize::MAX).min(rows.len());
                out.push('[');
                for (j, row) in rows[first..end].iter().enumerate() {
                    if j > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(row.get());
                }
                out.push(']');
            }
            None => out.push_str(raw.get()),
        }
    }
    out.push('}');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_portal_fixture_parses() {
        for f in [&CAOM, &ADV_SEARCH, &ADV_SEARCH_POS, &COUNTS, &PRODUCTS, &HSC, &MATCHID, &SPECTRA, &TIC, &DD] {
            assert!(f.portal().is_some(), "{}", f.name);
        }
        assert!(MISSIONS_EXTJS.portal().is_none());
        assert_eq!(CAOM.portal().unwrap().rows.len(), 19);
    }

    #[test]
    fn recorded_request_gets_the_file_unchanged() {
        let RecordedPage::Body(b) = CAOM.portal_page(1, 50_000, usize::MAX) else { panic!() };
        assert_eq!(b, CAOM.bytes);
    }

    #[test]
    fn pages_are_sliced_and_paging_rewritten() {
        let RecordedPage::Body(b) = CAOM.portal_page(4, 5, usize::MAX) else { panic!() };
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["data"].as_array().unwrap().len(), 4);
        assert_eq!(
            v["paging"],
            serde_json::json!({"page": 4, "pageSize": 5, "pagesFiltered": 4, "rows": 4, "rowsFiltered": 19, "rowsTotal": 19})
        );
        let all: serde_json::Value = serde_json::from_slice(CAOM.bytes).unwrap();
        assert_eq!(v["data"][0], all["data"][15]);
        assert_eq!(v["fields"], all["fields"]);
        assert!(matches!(CAOM.portal_page(1, 50_000, 10), RecordedPage::TooManyRows(19)));
    }
}
