//! Printing results, warnings and errors.

use std::io::Write as _;

use mast::{Column, DataType, Resolution, Table, TextOptions, Value, Warning};

use super::Format;

pub struct Output {
    pub format: Format,
    pub columns: Vec<String>,
    pub max_rows: usize,
}

impl Output {
    pub fn print(&self, table: &Table) -> anyhow::Result<()> {
        let selected;
        let table = if self.columns.is_empty() {
            table
        } else {
            selected = table.select(&self.columns)?;
            &selected
        };
        let text = match self.format {
            Format::Csv => table.to_csv(),
            Format::Json => {
                let mut s = table.to_json_records();
                s.push('\n');
                s
            }
            Format::Table => {
                let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(80);
                let max_rows = (self.max_rows > 0).then_some(self.max_rows);
                table.to_text(&TextOptions { max_width: Some(width), max_rows })
            }
        };
        let mut stdout = std::io::stdout().lock();
        match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
            // A closed pipe (`mast ... | head`) is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other?),
        }
    }
}

/// The table for `mast resolve`, shaped like astroquery's answer in canonical CSV: one name
/// gives a SkyCoord (`ra, dec`), several names a dict name → SkyCoord (`name, ra, dec`), one
/// name with `--resolve-all` a dict resolver → SkyCoord (`name, ra, dec`, `name` holding the
/// resolver), several names with `--resolve-all` a dict of dicts (`name, resolver, ra, dec`).
pub fn resolution_table(resolution: &Resolution, several: bool, all: bool) -> anyhow::Result<Table> {
    let objects = &resolution.objects;
    let mut columns = Vec::new();
    if all && !several {
        columns.push(Column::from_values("name", DataType::String, objects.iter().map(|o| Value::Str(&o.resolver))));
    } else if several {
        columns.push(Column::from_values("name", DataType::String, objects.iter().map(|o| Value::Str(&o.name))));
    }
    if all && several {
        columns.push(Column::from_values(
            "resolver",
            DataType::String,
            objects.iter().map(|o| Value::Str(&o.resolver)),
        ));
    }
    columns.push(Column::from_values("ra", DataType::Float64, objects.iter().map(|o| Value::Float(o.position.ra()))));
    columns.push(Column::from_values("dec", DataType::Float64, objects.iter().map(|o| Value::Float(o.position.dec()))));
    Ok(Table::new(columns)?)
}

/// Warnings go to stderr (unless `quiet`: `-q` is only errors on stderr) and, when
/// `MAST_WARNINGS_JSONL` names a file, are appended to it as JSON lines
/// `{"category", "message"}` with astroquery's category names, `quiet` or not.
pub fn report_warnings(warnings: &[Warning], quiet: bool) {
    if warnings.is_empty() {
        return;
    }
    if !quiet {
        for w in warnings {
            // A warning may quote a product name: no control character reaches the terminal
            // but the line breaks of astroquery's own multi-line messages.
            let text = w.to_string();
            let lines: Vec<_> = text.split('\n').map(mast::download::escape_for_terminal).collect();
            eprintln!("WARNING: {}", lines.join("\n"));
        }
    }
    if let Some(path) = std::env::var_os("MAST_WARNINGS_JSONL") {
        let lines: String = warnings
            .iter()
            // Python's `json.dumps(w, ensure_ascii=False)`, as the conformance oracle writes them
            // (serde_json escapes strings as Python does when non-ASCII is kept).
            .map(|w| {
                let text = |s: &str| serde_json::Value::from(s).to_string();
                format!("{{\"category\": {}, \"message\": {}}}\n", text(w.category.class_name()), text(&w.message))
            })
            .collect();
        // Never appended through a symbolic link at that name.
        let written =
            mast::download::open_no_follow(std::fs::OpenOptions::new().create(true).append(true), path.as_ref())
                .map_err(std::io::Error::other)
                .and_then(|mut f| f.write_all(lines.as_bytes()));
        if let Err(e) = written {
            eprintln!("WARNING: could not write warnings to {}: {e}", std::path::Path::new(&path).display());
        }
    }
}

/// Prints an error: with `-v` its causes first, then, last on stderr, one line
/// `ErrorClass: message` with astroquery's class names where one applies
/// ([`error_class`]). The message is the error's own, followed by the causes of the context
/// layers the CLI added (`reading x.csv: No such file or directory (os error 2)`) up to the
/// first typed error, whose message already words its cause.
pub fn report_error(err: &anyhow::Error, verbose: bool) {
    if verbose {
        for (i, cause) in err.chain().enumerate().skip(1) {
            eprintln!("  cause {i}: {cause}");
        }
    }
    eprintln!("{}: {}", error_class(err), error_message(err));
}

/// The one-line message of `err`: its own text, then `: cause` for every cause below a
/// context the CLI added, stopping after the first typed (mast) error.
fn error_message(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.is_empty() {
            message = text;
        } else if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        if typed_class(cause).is_some() {
            break;
        }
    }
    message.replace('\n', " ")
}

/// The class of a mast error (astroquery's exception names), if `e` is one.
fn typed_class(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    (e.downcast_ref::<mast::observations::Error>().map(mast::observations::Error::class_name))
        .or_else(|| e.downcast_ref::<mast::catalogs::Error>().map(mast::catalogs::Error::class_name))
        .or_else(|| e.downcast_ref::<mast::download::Error>().map(mast::download::Error::class_name))
        .or_else(|| e.downcast_ref::<mast::auth::Error>().map(mast::auth::Error::class_name))
        .or_else(|| e.downcast_ref::<mast::Error>().map(mast::Error::class_name))
}

/// The class named on the error line: the first mast error's (astroquery's names), else
/// Python's name for an I/O error of that kind (`FileNotFoundError`, `PermissionError`,
/// `IsADirectoryError`, ... `OSError`), else `ValueError` for a number out of range, else
/// `RuntimeError`.
pub fn error_class(err: &anyhow::Error) -> &'static str {
    if let Some(class) = err.chain().find_map(typed_class) {
        return class;
    }
    if let Some(io) = err.chain().find_map(|e| e.downcast_ref::<std::io::Error>()) {
        use std::io::ErrorKind as K;
        return match io.kind() {
            K::NotFound => "FileNotFoundError",
            K::PermissionDenied => "PermissionError",
            K::AlreadyExists => "FileExistsError",
            K::IsADirectory => "IsADirectoryError",
            K::NotADirectory => "NotADirectoryError",
            K::InvalidData => "UnicodeDecodeError",
            K::Interrupted => "InterruptedError",
            K::BrokenPipe => "BrokenPipeError",
            K::TimedOut => "TimeoutError",
            _ => "OSError",
        };
    }
    if err.chain().any(|e| e.is::<std::num::TryFromIntError>()) {
        return "ValueError";
    }
    "RuntimeError"
}
