//! A tiny command-line parser: positionals first (`bench decode`), then flags (`--check`) and
//! options (`--rows 5` or `--rows=5`, repeatable, lists) in any order; leftovers are an error.

use std::str::FromStr;

/// The arguments not consumed yet.
pub struct Args {
    items: Vec<String>,
}

impl Args {
    pub fn new(items: Vec<String>) -> Self {
        Args { items }
    }

    /// Takes the first argument if it is not an option (does not start with `-`).
    pub fn positional(&mut self) -> Option<String> {
        if self.items.first()?.starts_with('-') {
            return None;
        }
        Some(self.items.remove(0))
    }

    /// Takes every occurrence of the flag `name`; whether there was one.
    pub fn flag(&mut self, name: &str) -> bool {
        let before = self.items.len();
        self.items.retain(|a| a != name);
        self.items.len() != before
    }

    /// Takes every occurrence of option `name` (`name V`, `name=V`, `name V,W`, and for lists
    /// `name V W ...` up to the next option) and returns the raw values in order.
    fn take_raw(&mut self, name: &str, list: bool) -> Result<Vec<String>, String> {
        let mut values = Vec::new();
        let mut i = 0;
        while i < self.items.len() {
            let arg = &self.items[i];
            if let Some(v) = arg.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')) {
                values.push(v.to_owned());
                self.items.remove(i);
            } else if arg == name {
                self.items.remove(i);
                if i >= self.items.len() || self.items[i].starts_with("--") {
                    return Err(format!("{name} needs a value"));
                }
                values.push(self.items.remove(i));
                while list && i < self.items.len() && !self.items[i].starts_with('-') {
                    values.push(self.items.remove(i));
                }
            } else {
                i += 1;
            }
        }
        Ok(values)
    }

    /// The last value of option `name`, parsed.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, String> {
        let raw = self.take_raw(name, false)?;
        raw.last().map(|v| parse(name, v)).transpose()
    }

    /// Every value of option `name` (repeated, comma-separated or space-separated), parsed.
    pub fn values<T: FromStr>(&mut self, name: &str) -> Result<Vec<T>, String> {
        let raw = self.take_raw(name, true)?;
        raw.iter().flat_map(|v| v.split(',')).filter(|v| !v.is_empty()).map(|v| parse(name, v)).collect()
    }

    /// The arguments left, for passing on to another process.
    pub fn into_rest(self) -> Vec<String> {
        self.items
    }

    /// Fails when arguments are left that nobody took.
    pub fn finish(self) -> Result<(), String> {
        match self.items.first() {
            None => Ok(()),
            Some(a) => Err(format!("unexpected argument {a:?} (run `cargo xtask help`)")),
        }
    }
}

/// Parses `v` as given, else without its `_` digit separators (`1_000_000`); names such as
/// `--target product_filter` keep their underscores.
fn parse<T: FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.parse().or_else(|_| {
        let cleaned: String = v.chars().filter(|c| *c != '_').collect();
        cleaned.parse().map_err(|_| format!("invalid value {v:?} for {name}"))
    })
}

#[cfg(test)]
mod tests {
    use super::Args;

    fn args(line: &str) -> Args {
        Args::new(line.split_whitespace().map(str::to_owned).collect())
    }

    #[test]
    fn positionals_then_options_in_any_order() {
        let mut a = args("decode --rows 10,20 --check --rows=30 --reps 2 40 --seed 7");
        assert_eq!(a.positional().as_deref(), Some("decode"));
        assert_eq!(a.positional(), None);
        assert!(a.flag("--check"));
        assert!(!a.flag("--check"));
        assert_eq!(a.values::<usize>("--rows").unwrap(), [10, 20, 30]);
        assert_eq!(a.value::<u64>("--seed").unwrap(), Some(7));
        assert_eq!(a.value::<usize>("--reps").unwrap(), Some(2));
        assert_eq!(a.positional().as_deref(), Some("40"));
        assert!(a.finish().is_ok());
        let mut a = args("--rows 1_000 --target product_filter,portal_table");
        assert_eq!(a.value::<usize>("--rows").unwrap(), Some(1000));
        assert_eq!(a.values::<String>("--target").unwrap(), ["product_filter", "portal_table"]);
        let mut a = args("--check decode");
        assert_eq!(a.positional(), None);
    }

    #[test]
    fn space_separated_lists_and_errors() {
        let mut a = args("--rows 1_000 2000 --check");
        assert_eq!(a.values::<usize>("--rows").unwrap(), [1000, 2000]);
        assert!(a.flag("--check"));
        assert!(args("--rows").values::<usize>("--rows").is_err());
        assert!(args("--rows x").values::<usize>("--rows").is_err());
        assert!(args("--bogus").finish().is_err());
    }
}
