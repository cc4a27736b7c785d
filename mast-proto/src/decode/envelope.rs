//! The one-pass reader of the Portal envelope: finds the top-level keys and their values
//! with [`Scanner`], reads `status`, `msg`, `paging` and `fields` (small) with serde from
//! their spans, and decodes `data` as it goes by.
//!
//! MAST often sends `data` before `fields`. Then the last `"fields"` key near the end of the
//! body gives the column types up front (a guess, checked when the real `fields` key is
//! reached: the rows count only if it is the same value); failing that, `data` is skipped by
//! its structure and decoded once `fields` is known.
//!
//! Anything unusual (duplicate keys, a top-level value that is not a non-empty object, a value
//! serde would refuse, ...) is a [`Bail`]: [`super::parse_portal`] then runs the serde path,
//! which gives the same answer or the error.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;

use super::scan::{Bail, Fast, Scanner};
use super::{Field, Paging, PortalResponse, TableKind, rows_fast, status_of};
use crate::Table;

/// How far from the end of the body to look for `"fields"` when `data` comes first.
const GUESS_WINDOW: usize = 1 << 20;

/// What became of `data` while the envelope was read.
enum Rows {
    /// Decoded with the `fields` value that starts at `fields_at`.
    Decoded { table: Table, fields_at: usize },
    /// Checked as serde checks it; nothing to decode (`null`, or not an array).
    Checked,
    /// Only skipped by its structure: still to check or decode.
    Skipped,
}

/// Reads a Portal body in one pass, or bails.
pub(super) fn scan_portal(text: &str) -> Fast<PortalResponse<'_>> {
    let mut sc = Scanner::new(text);
    let mut scratch = String::new();
    sc.skip_ws();
    sc.expect(b'{')?;
    sc.skip_ws();
    if sc.peek() == Some(b'}') {
        // `{}` is an ERROR status; the serde path says so.
        return Err(Bail);
    }
    // Each `None` is a key not seen yet.
    let mut status: Option<Option<String>> = None;
    let mut msg: Option<Option<String>> = None;
    let mut paging: Option<Option<Paging>> = None;
    let mut fields: Option<(usize, Option<Vec<Field>>)> = None;
    let mut data: Option<(Option<&str>, Rows)> = None;
    loop {
        sc.skip_ws();
        if sc.peek() != Some(b'"') {
            return Err(Bail);
        }
        let key = sc.string(&mut scratch)?;
        sc.skip_ws();
        sc.expect(b':')?;
        sc.skip_ws();
        let start = sc.pos;
        match key {
            "status" => once(&mut status, from_span(&mut sc)?)?,
            "msg" => once(&mut msg, from_span(&mut sc)?)?,
            "paging" => once(&mut paging, from_span(&mut sc)?)?,
            "fields" => once(&mut fields, (start, from_span(&mut sc)?))?,
            "data" => {
                let complete = status.as_ref().is_none_or(|s| s.as_deref() == Some("COMPLETE"));
                let value = read_data(&mut sc, complete, fields.as_ref())?;
                once(&mut data, value)?;
            }
            _ => {
                from_span::<IgnoredAny>(&mut sc)?;
            }
        }
        sc.skip_ws();
        match sc.peek() {
            Some(b',') => sc.pos += 1,
            Some(b'}') => {
                sc.pos += 1;
                break;
            }
            _ => return Err(Bail),
        }
    }
    sc.skip_ws();
    if !sc.at_end() {
        return Err(Bail);
    }

    let status = status_of(status.flatten().as_deref(), false);
    let complete = status == super::Status::Complete;
    let fields_at = fields.as_ref().map(|(at, _)| *at);
    let fields = fields.and_then(|(_, f)| f);
    let (data, decoded) = match data {
        None => (None, None),
        Some((text, rows)) => {
            let decoded = match (rows, &fields, text) {
                (Rows::Decoded { table, fields_at: at }, _, _) if Some(at) == fields_at => Some(table),
                // Decoded with a wrong guess (so the JSON is checked), or only skipped: decode
                // with the real `fields`, or just check.
                (Rows::Decoded { .. } | Rows::Skipped, Some(list), Some(text)) if complete => {
                    let mut sc = Scanner::new(text);
                    let table = rows_fast(list, &mut sc, TableKind::Portal)?;
                    if !sc.at_end() {
                        return Err(Bail);
                    }
                    Some(table)
                }
                (Rows::Skipped, _, Some(text)) => {
                    serde_json::from_str::<IgnoredAny>(text).map_err(|_| Bail)?;
                    None
                }
                _ => None,
            };
            (text, decoded.filter(|_| complete))
        }
    };
    Ok(PortalResponse { status, msg: msg.flatten(), paging: paging.flatten(), fields, data, decoded })
}

/// Sets a key's value; a repeated key bails (serde refuses it).
fn once<T>(slot: &mut Option<T>, value: T) -> Fast<()> {
    if slot.is_some() {
        return Err(Bail);
    }
    *slot = Some(value);
    Ok(())
}

/// Deserializes the value at the scanner's position with serde, from its span.
fn from_span<T: DeserializeOwned>(sc: &mut Scanner<'_>) -> Fast<T> {
    let start = sc.pos;
    sc.skip_value()?;
    serde_json::from_str(sc.slice(start, sc.pos)?).map_err(|_| Bail)
}

/// Reads the `data` value: decodes it when the status allows and the `fields` are known or
/// can be guessed; returns its text and what became of it.
fn read_data<'a>(
    sc: &mut Scanner<'a>,
    complete: bool,
    fields: Option<&(usize, Option<Vec<Field>>)>,
) -> Fast<(Option<&'a str>, Rows)> {
    let start = sc.pos;
    if sc.peek() != Some(b'[') {
        // `null` is no data; anything else is refused by `into_table`, as before.
        sc.skip_value()?;
        let raw: Option<&RawValue> = serde_json::from_str(sc.slice(start, sc.pos)?).map_err(|_| Bail)?;
        return Ok((raw.map(RawValue::get), Rows::Checked));
    }
    if complete {
        let guessed;
        let known = match fields {
            Some((at, Some(list))) => Some((*at, list)),
            Some((_, None)) => None,
            None => {
                guessed = guess_fields(sc.text(), start);
                guessed.as_ref().map(|(at, list)| (*at, list))
            }
        };
        if let Some((fields_at, list)) = known {
            let table = rows_fast(list, sc, TableKind::Portal)?;
            return Ok((Some(sc.slice(start, sc.pos)?), Rows::Decoded { table, fields_at }));
        }
    }
    sc.skip_value()?;
    Ok((Some(sc.slice(start, sc.pos)?), Rows::Skipped))
}

/// The `fields` list of a body that sends it after `data` (which starts at `data_at`): the
/// last `"fields"` key near the end, and where its value starts. Only a guess.
fn guess_fields(text: &str, data_at: usize) -> Option<(usize, Vec<Field>)> {
    let bytes = text.as_bytes();
    let from = data_at.max(bytes.len().saturating_sub(GUESS_WINDOW));
    let at = from + memchr::memmem::rfind(bytes.get(from..)?, b"\"fields\"")?;
    let mut sc = Scanner::new(text);
    sc.pos = at + b"\"fields\"".len();
    sc.skip_ws();
    sc.expect(b':').ok()?;
    sc.skip_ws();
    let start = sc.pos;
    let list = from_span::<Option<Vec<Field>>>(&mut sc).ok()??;
    Some((start, list))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of a body that sends them after its data are found where they are, so the
    /// one-pass reader can decode the rows it meets first.
    #[test]
    fn fields_after_the_data_are_guessed_from_the_end() {
        let text = r#"{"status":"COMPLETE","data":[{"a":1,"b":"x"}],"fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}],"paging":{"page":1}}"#;
        let data_at = text.find("[{\"a\"").unwrap();
        let (at, fields) = guess_fields(text, data_at).expect("a guess");
        assert_eq!(at, text.find("[{\"name\"").unwrap(), "where the list starts");
        let names: Vec<(&str, &str)> = fields.iter().map(|f| (f.name.as_str(), f.type_name.as_str())).collect();
        assert_eq!(names, [("a", "int"), ("b", "string")]);
        // No fields after the data: no guess.
        let none = r#"{"status":"COMPLETE","fields":[{"name":"a","type":"int"}],"data":[{"a":1}]}"#;
        assert_eq!(guess_fields(none, none.find("[{\"a\"").unwrap()), None);
    }
}
