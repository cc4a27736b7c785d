//! Python's `difflib` similarity, as astroquery uses it for "Did you mean" suggestions.
//!
//! [`ratio`] is `difflib.SequenceMatcher(None, a, b).ratio()` and [`get_close_matches`] is
//! `difflib.get_close_matches`, reproduced exactly: Ratcliff/Obershelp matching (the longest
//! matching block, then the same on both sides of it), over Unicode code points, case
//! sensitive, with difflib's "autojunk" rule (when the second sequence has 200 or more
//! elements, elements making up more than 1% of it are not used to start a match). The
//! `real_quick_ratio`/`quick_ratio` pre-filters of `get_close_matches` are upper bounds of
//! `ratio` and do not change its answer, so they are left out.
//!
//! ```
//! use mast_proto::criteria::difflib;
//! assert_eq!(difflib::ratio("abcd", "bcde"), 0.75);
//! assert_eq!(difflib::get_close_matches("appel", ["ape", "apple", "peach", "puppy"], 3, 0.6), ["apple", "ape"]);
//! ```

use std::collections::HashMap;

/// `difflib.SequenceMatcher(None, a, b).ratio()`: `2 * M / T`, where `M` is the number of
/// matched code points and `T` the total length of both strings (`1.0` when both are
/// empty). Not symmetric in general, as in Python.
///
/// ```
/// use mast_proto::criteria::difflib::ratio;
/// assert_eq!(ratio("abcd", "bcde"), 0.75);
/// assert_eq!(ratio("", ""), 1.0);
/// assert_eq!(ratio("obs_collection", "obs_colection"), 0.9629629629629629);
/// ```
pub fn ratio(a: &str, b: &str) -> f64 {
    let b: Vec<char> = b.chars().collect();
    let a: Vec<char> = a.chars().collect();
    Matcher::new(&b).ratio(&a)
}

/// `difflib.get_close_matches(word, possibilities, n, cutoff)`: the at most `n`
/// possibilities whose [`ratio`]`(possibility, word)` is at least `cutoff`, best first;
/// equal scores are ordered by the possibility text, larger first (Python compares the
/// `(score, text)` pairs). `n == 0` gives nothing (Python raises `ValueError` there).
///
/// ```
/// use mast_proto::criteria::difflib::get_close_matches;
/// assert_eq!(get_close_matches("appel", ["ape", "apple", "peach", "puppy"], 1, 0.6), ["apple"]);
/// assert_eq!(get_close_matches("ab", ["ba", "ab_", "ab-"], 3, 0.6), ["ab_", "ab-"]);
/// assert!(get_close_matches("xyz", ["s_ra", "s_dec"], 1, 0.6).is_empty());
/// ```
pub fn get_close_matches<'a>(
    word: &str,
    possibilities: impl IntoIterator<Item = &'a str>,
    n: usize,
    cutoff: f64,
) -> Vec<&'a str> {
    if n == 0 {
        return Vec::new();
    }
    let word: Vec<char> = word.chars().collect();
    let matcher = Matcher::new(&word);
    let mut scored: Vec<(f64, &'a str)> = possibilities
        .into_iter()
        .filter_map(|x| {
            let a: Vec<char> = x.chars().collect();
            let score = matcher.ratio(&a);
            (score >= cutoff).then_some((score, x))
        })
        .collect();
    scored.sort_by(|(s1, x1), (s2, x2)| s2.total_cmp(s1).then_with(|| x2.cmp(x1)));
    scored.into_iter().take(n).map(|(_, x)| x).collect()
}

/// A `SequenceMatcher` with a fixed second sequence `b` (difflib's `b2j` index).
struct Matcher<'b> {
    b: &'b [char],
    b2j: HashMap<char, Vec<usize>>,
}

impl<'b> Matcher<'b> {
    fn new(b: &'b [char]) -> Self {
        let mut b2j: HashMap<char, Vec<usize>> = HashMap::new();
        for (j, c) in b.iter().enumerate() {
            b2j.entry(*c).or_default().push(j);
        }
        // difflib's autojunk: popular elements of a long `b` do not start matches.
        let n = b.len();
        if n >= 200 {
            let ntest = n / 100 + 1;
            b2j.retain(|_, js| js.len() <= ntest);
        }
        Matcher { b, b2j }
    }

    fn ratio(&self, a: &[char]) -> f64 {
        let total = a.len() + self.b.len();
        if total == 0 {
            return 1.0;
        }
        2.0 * self.matched(a) as f64 / total as f64
    }

    /// Sum of the sizes of `get_matching_blocks()`.
    fn matched(&self, a: &[char]) -> usize {
        let mut queue = vec![(0, a.len(), 0, self.b.len())];
        let mut total = 0;
        while let Some((alo, ahi, blo, bhi)) = queue.pop() {
            let (i, j, k) = self.find_longest_match(a, alo, ahi, blo, bhi);
            if k > 0 {
                total += k;
                if alo < i && blo < j {
                    queue.push((alo, i, blo, j));
                }
                if i + k < ahi && j + k < bhi {
                    queue.push((i + k, ahi, j + k, bhi));
                }
            }
        }
        total
    }

    /// `SequenceMatcher.find_longest_match` with no junk function: the longest block
    /// `a[i..i+k] == b[j..j+k]` inside the ranges, earliest in `a`, then earliest in `b`,
    /// extended over elements the autojunk rule left out of the index.
    fn find_longest_match(&self, a: &[char], alo: usize, ahi: usize, blo: usize, bhi: usize) -> (usize, usize, usize) {
        let b = self.b;
        let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0);
        let mut j2len: HashMap<usize, usize> = HashMap::new();
        for (i, c) in a.iter().enumerate().take(ahi).skip(alo) {
            let mut new_j2len = HashMap::new();
            if let Some(js) = self.b2j.get(c) {
                for &j in js {
                    if j < blo {
                        continue;
                    }
                    if j >= bhi {
                        break;
                    }
                    let k = j.checked_sub(1).and_then(|p| j2len.get(&p)).copied().unwrap_or(0) + 1;
                    new_j2len.insert(j, k);
                    if k > bestsize {
                        (besti, bestj, bestsize) = (i + 1 - k, j + 1 - k, k);
                    }
                }
            }
            j2len = new_j2len;
        }
        while besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1] {
            besti -= 1;
            bestj -= 1;
            bestsize += 1;
        }
        while besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] == b[bestj + bestsize] {
            bestsize += 1;
        }
        (besti, bestj, bestsize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ColumnConfig;

    const CAOM: &[u8] = include_bytes!("../../../mast-emulator/data/astroquery-recorded/columnsconfig.json");

    #[test]
    fn difflib_ratio_matches_python() {
        let cases: &[(&str, &str, f64)] = &[
            ("abcd", "bcde", 0.75),
            ("qabxcd", "abycdf", 0.6666666666666666),
            ("private Thread currentThread;", "private volatile Thread currentThread;", 0.8656716417910447),
            ("obs_collection", "obs_colection", 0.9629629629629629),
            ("instrument_name", "instrument", 0.8),
            ("obs_id", "objid1", 0.6666666666666666),
            ("", "", 1.0),
            ("a", "", 0.0),
        ];
        for (a, b, expected) in cases {
            assert_eq!(ratio(a, b), *expected, "{a:?} {b:?}");
        }
        // autojunk: with a 210-element b, 'a' (150 > 3) and 'b' (60 > 3) are popular.
        let a = format!("{}{}", "a".repeat(100), "b".repeat(100));
        let b = format!("{}{}", "a".repeat(150), "b".repeat(60));
        assert_eq!(ratio(&a, &b), 0.4878048780487805);
    }

    #[test]
    fn difflib_close_matches_match_python() {
        use get_close_matches as g;
        assert_eq!(g("appel", ["ape", "apple", "peach", "puppy"], 3, 0.6), ["apple", "ape"]);
        assert_eq!(g("appel", ["ape", "apple", "peach", "puppy"], 1, 0.6), ["apple"]);
        assert_eq!(g("ab", ["ba", "ab_", "ab-"], 3, 0.6), ["ab_", "ab-"]);
        assert!(g("ac", ["ab", "ca", "bc"], 3, 0.6).is_empty());
        assert!(g("ab", ["ab"], 0, 0.6).is_empty());
        let config = ColumnConfig::parse(CAOM).unwrap();
        assert_eq!(g("objid1", config.names(), 3, 0.6), ["obsid", "obs_id", "objID1"]);
        assert_eq!(g("obs_colection", config.names(), 3, 0.6), ["obs_collection", "obs_creation_date", "s_resolution"]);
    }
}
