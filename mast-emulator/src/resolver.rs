//! Name resolution: the SANTA resolver (`GET /Santa-war/query`, spec §7.1) and the Portal
//! service `Mast.Name.Lookup` (§7.2), both answered from one table.
//!
//! The table holds the 15 recorded entries of `resolver.json` (names "TIC 307210830",
//! "Barnard's Star", "M1", "M101", "M103", "M8", "M10") plus a few added for demos, with
//! their SIMBAD (and NED) coordinates: "M31" (SIMBAD, NED), "M42" (SIMBAD), "NGC 4395"
//! (SIMBAD, NED). Names are matched case-insensitively (the input lower-cased must equal the
//! entry's `searchString`; no trimming). Entries are listed in resolver-priority order.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::fixtures;

static TABLE: LazyLock<HashMap<String, Vec<Map<String, Value>>>> = LazyLock::new(|| {
    let mut table: HashMap<String, Vec<Map<String, Value>>> = HashMap::new();
    let doc: Value = serde_json::from_slice(fixtures::RESOLVER.bytes).expect("resolver.json is JSON");
    let recorded = doc["resolvedCoordinate"].as_array().cloned().unwrap_or_default();
    let extra = json!([
        {"searchString": "m31", "resolver": "SIMBAD", "cached": true, "resolverTime": 3, "searchRadius": -1.0,
         "canonicalName": "M  31", "ra": 10.684708333333333, "decl": 41.26875, "objectType": "AGN"},
        {"searchString": "m31", "resolver": "NED", "cached": true, "resolverTime": 4, "searchRadius": -1.0,
         "canonicalName": "MESSIER 031", "ra": 10.68479, "decl": 41.26907, "objectType": "G"},
        {"searchString": "m42", "resolver": "SIMBAD", "cached": true, "resolverTime": 3, "searchRadius": -1.0,
         "canonicalName": "M  42", "ra": 83.82208333333334, "decl": -5.391111111111111, "objectType": "HII"},
        {"searchString": "ngc 4395", "resolver": "SIMBAD", "cached": true, "resolverTime": 3, "searchRadius": -1.0,
         "canonicalName": "NGC  4395", "ra": 186.45359166666666, "decl": 33.54686111111111, "objectType": "Sy1"},
        {"searchString": "ngc 4395", "resolver": "NED", "cached": true, "resolverTime": 5, "searchRadius": -1.0,
         "canonicalName": "NGC 4395", "ra": 186.45359, "decl": 33.54693, "objectType": "G"}
    ]);
    for entry in recorded.into_iter().chain(extra.as_array().cloned().unwrap_or_default()) {
        if let Value::Object(map) = entry {
            let key = map.get("searchString").and_then(Value::as_str).unwrap_or_default().to_lowercase();
            table.entry(key).or_default().push(map);
        }
    }
    table
});

/// Which entries of a name to return.
pub(crate) struct Choice<'a> {
    /// Every entry (`resolveAll=True`).
    pub(crate) all: bool,
    /// Only entries of these resolvers (case-insensitive); empty = any.
    pub(crate) resolvers: &'a [String],
}

/// The entries for `name`, chosen as SANTA does: restricted to `resolvers` when given; with
/// `all` every (remaining) entry, otherwise the first one of each requested resolver (or
/// the first entry when no resolver is requested). `searchString` is the input lower-cased.
pub(crate) fn resolve(name: &str, choice: &Choice<'_>) -> Vec<Value> {
    let lower = name.to_lowercase();
    let Some(entries) = TABLE.get(&lower) else { return Vec::new() };
    let allowed = |e: &Map<String, Value>| {
        choice.resolvers.is_empty()
            || e.get("resolver")
                .and_then(Value::as_str)
                .is_some_and(|r| choice.resolvers.iter().any(|w| w.eq_ignore_ascii_case(r)))
    };
    let mut out: Vec<Value> = Vec::new();
    let mut seen_resolvers: Vec<String> = Vec::new();
    for e in entries.iter().filter(|e| allowed(e)) {
        if !choice.all {
            let r = e.get("resolver").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
            if (choice.resolvers.is_empty() && !out.is_empty()) || seen_resolvers.contains(&r) {
                continue;
            }
            seen_resolvers.push(r);
        }
        let mut e = e.clone();
        e.insert("searchString".into(), Value::String(lower.clone()));
        out.push(Value::Object(e));
    }
    out
}

/// The SANTA answer for a query string (`outputFormat`, `resolveAll`, `resolver`…, `name`…).
pub(crate) fn santa(query: &str) -> String {
    let mut names = Vec::new();
    let mut resolvers = Vec::new();
    let mut all = false;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "name" => names.push(v.into_owned()),
            "resolver" => resolvers.push(v.into_owned()),
            "resolveAll" => all = v.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    let choice = Choice { all, resolvers: &resolvers };
    let found: Vec<Value> = names.iter().flat_map(|n| resolve(n, &choice)).collect();
    envelope(found)
}

/// The `Mast.Name.Lookup` answer for `input`: every entry of the name.
pub(crate) fn name_lookup(input: &str) -> String {
    envelope(resolve(input, &Choice { all: true, resolvers: &[] }))
}

fn envelope(entries: Vec<Value>) -> String {
    let mut m = Map::new();
    m.insert("resolvedCoordinate".into(), Value::Array(entries));
    m.insert("status".into(), Value::String(String::new()));
    mast_proto::pyfmt::json_dumps(&Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolvers_of(v: &[Value]) -> Vec<&str> {
        v.iter().map(|e| e["resolver"].as_str().unwrap()).collect()
    }

    #[test]
    fn recorded_names() {
        let none: [String; 0] = [];
        let first = Choice { all: false, resolvers: &none };
        assert_eq!(resolvers_of(&resolve("TIC 307210830", &first)), ["TIC"]);
        let all = Choice { all: true, resolvers: &none };
        assert_eq!(resolvers_of(&resolve("tic 307210830", &all)), ["TIC", "SIMBAD", "SIMBADCFA"]);
        let two = ["SIMBAD".to_owned(), "TIC".to_owned()];
        let restricted = Choice { all: false, resolvers: &two };
        assert_eq!(resolvers_of(&resolve("TIC 307210830", &restricted)), ["TIC", "SIMBAD"]);
        assert!(resolve("nonexisting", &all).is_empty());
        assert!(resolve(" M1", &all).is_empty());
        assert_eq!(resolve("M1", &first)[0]["searchString"], "m1");
        assert_eq!(TABLE.values().map(Vec::len).sum::<usize>(), 20);
    }
}
