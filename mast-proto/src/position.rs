//! Sky positions and search radii: parsing and validation, without any I/O.
//!
//! [`Position`] is an ICRS right ascension and declination in decimal degrees; [`Radius`] is a
//! cone-search radius in degrees. Both parse the text forms astroquery users type (protocol spec
//! sections 7.4 and 7.5) and report problems as typed errors ([`Error::InvalidPosition`],
//! [`Error::InvalidRadius`]) that quote the input. Object names are never resolved here: that is
//! the name resolver's job.
//!
//! ```
//! use mast_proto::position::{Position, Radius};
//!
//! let pos: Position = "21h29m58.38s +12d10m00.6s".parse()?;
//! let radius: Radius = "5 arcmin".parse()?;
//! assert!((pos.ra() - 322.49325).abs() < 1e-9);
//! assert_eq!(radius.degrees(), 5.0 / 60.0);
//! # Ok::<(), mast_proto::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A sky position: ICRS right ascension and declination in decimal degrees.
///
/// The right ascension is always in `[0, 360)` and the declination in `[-90, 90]`.
///
/// # Accepted text
///
/// [`Position::parse`] (and [`str::parse`]) accept, after trimming surrounding whitespace:
///
/// * **Decimal degrees**: `"322.49324 12.16683"`, `"322.49324, 12.16683"`,
///   `"322.49324,12.16683"`, with optional `d`, `deg` or `°` after each number
///   (`"322.49324d 12.16683deg"`). Either number may carry a `+` or `-` sign; the right
///   ascension is wrapped into `[0, 360)` (`"-10 20"` is (350, 20), `"370 10"` is (10, 10)).
/// * **Sexagesimal with unit letters**: `"21h29m58.38s +12d10m00.6s"`, `"21.5h 12.1d"`,
///   partial forms such as `"21h29m"`, and `°`, `'`, `"` in place of `d`, `m`, `s`. A right
///   ascension written with `h` is in hours (times 15), one written with `d` is in degrees; the
///   declination uses degrees, arcminutes and arcseconds. A sign applies to the whole value
///   (`"-12d10m00.6s"` is -12.16833…). The six components may also be separated by spaces
///   (`"21h 29m 58.38s +12d 10m 00.6s"`).
/// * **Sexagesimal without unit letters**, colon- or space-separated:
///   `"21:29:58.38 +12:10:00.6"`, `"21 29 58.38 +12 10 00.6"`. The right ascension is read as
///   **hours**:minutes:seconds and the declination as degrees:arcminutes:arcseconds. This is
///   deliberately unlike astropy (and so astroquery), which reads the right ascension of these
///   forms as *degrees*, which is almost never what was meant.
///
/// Six whitespace-separated values are read as `h m s d m s`, two as `ra dec`; any other count
/// is an error. Minutes and seconds must be below 60, only the last component of a sexagesimal
/// value may have a fractional part, and a right ascension in hours must be in `[0, 24)`.
///
/// Rejected: empty text, a single value, three values, object names (`"M101"`), `NaN`/`inf`,
/// a declination beyond ±90, and **exponent notation** (`"1e1 2e0"`), which astropy does not
/// read as coordinates either.
///
/// [`Display`](fmt::Display) prints `"{ra} {dec}"` with Rust's shortest round-trip float
/// formatting, which parses back to the same position.
///
/// ```
/// use mast_proto::position::{Position, Radius};
///
/// let pos = Position::parse("21:29:58.38 +12:10:00.6")?;
/// assert!((pos.ra() - 322.49325).abs() < 1e-9);
/// assert!((pos.dec() - 12.166833333333333).abs() < 1e-12);
/// assert_eq!(Position::parse("-10 20")?, Position::new(350.0, 20.0)?);
/// assert!(Position::parse("M101").is_err());
/// # let _ = Radius::default();
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    ra: f64,
    dec: f64,
}

impl Position {
    /// Builds a position from decimal degrees.
    ///
    /// Both values must be finite and `dec` must be in `[-90, 90]`; `ra` is wrapped into
    /// `[0, 360)`.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// let pos = Position::new(-10.0, 20.0)?;
    /// assert_eq!((pos.ra(), pos.dec()), (350.0, 20.0));
    /// assert!(Position::new(10.0, 91.0).is_err());
    /// assert!(Position::new(f64::NAN, 0.0).is_err());
    /// # let _ = Radius::default();
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn new(ra: f64, dec: f64) -> Result<Position> {
        checked_position(ra, dec).map_err(|reason| Error::InvalidPosition { input: format!("{ra} {dec}"), reason })
    }

    /// Right ascension in decimal degrees, in `[0, 360)`.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Position::parse("21.5h 12.1d")?.ra(), 322.5);
    /// # let _ = Radius::default();
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn ra(&self) -> f64 {
        self.ra
    }

    /// Declination in decimal degrees, in `[-90, 90]`.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Position::parse("21.5h 12.1d")?.dec(), 12.1);
    /// # let _ = Radius::default();
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn dec(&self) -> f64 {
        self.dec
    }

    /// Angular distance to `other`, in degrees (haversine formula, accurate at small angles).
    ///
    /// ```
    /// use mast_proto::Position;
    /// let a = Position::new(10.0, 20.0)?;
    /// let b = Position::new(10.0, 20.5)?;
    /// assert!((a.separation(&b) - 0.5).abs() < 1e-12);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn separation(&self, other: &Position) -> f64 {
        let (ra1, dec1, ra2, dec2) =
            (self.ra.to_radians(), self.dec.to_radians(), other.ra.to_radians(), other.dec.to_radians());
        let h = ((dec2 - dec1) / 2.0).sin().powi(2) + dec1.cos() * dec2.cos() * ((ra2 - ra1) / 2.0).sin().powi(2);
        (2.0 * h.sqrt().min(1.0).asin()).to_degrees()
    }

    /// Parses a position from text; see [`Position`] for the accepted forms.
    ///
    /// The error is [`Error::InvalidPosition`], quoting `input`.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// let pos = Position::parse("322.49324, 12.16683")?;
    /// assert_eq!((pos.ra(), pos.dec()), (322.49324, 12.16683));
    /// let err = Position::parse("10 95").unwrap_err();
    /// assert!(err.to_string().contains("\"10 95\""));
    /// # let _ = Radius::default();
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Position> {
        parse_position(input).map_err(|reason| Error::InvalidPosition { input: input.to_owned(), reason })
    }
}

/// Same as [`Position::parse`].
///
/// ```
/// use mast_proto::position::{Position, Radius};
///
/// let pos: Position = "21h29m58.38s +12d10m00.6s".parse()?;
/// assert!((pos.dec() - 12.166833333333333).abs() < 1e-12);
/// # let _ = Radius::default();
/// # Ok::<(), mast_proto::Error>(())
/// ```
impl FromStr for Position {
    type Err = Error;

    fn from_str(s: &str) -> Result<Position> {
        Position::parse(s)
    }
}

/// Prints `"{ra} {dec}"` in decimal degrees (shortest round-trip formatting).
///
/// ```
/// use mast_proto::position::{Position, Radius};
///
/// let pos = Position::new(322.49324, -12.5)?;
/// assert_eq!(pos.to_string(), "322.49324 -12.5");
/// assert_eq!(pos.to_string().parse::<Position>()?, pos);
/// # let _ = Radius::default();
/// # Ok::<(), mast_proto::Error>(())
/// ```
impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.ra, self.dec)
    }
}

/// A cone-search radius, stored in degrees.
///
/// # Accepted text
///
/// [`Radius::parse`] (and [`str::parse`]) accept a bare number, meaning degrees (`"0.2"`,
/// `".02"`), or a number followed (optionally after whitespace) by a unit, matched without
/// regard to case:
///
/// | Unit | Meaning |
/// |---|---|
/// | `d`, `deg`, `degree`, `degrees`, `°` | degrees |
/// | `arcmin`, `amin`, `m`, `'` | arcminutes |
/// | `arcsec`, `asec`, `s`, `"` | arcseconds |
/// | `mas` | milliarcseconds |
/// | `h` | hours of angle (15 degrees) |
///
/// and the combined sexagesimal forms `"1d2m3s"` (degrees, arcminutes, arcseconds) and
/// `"0h1m"` (hours, minutes, seconds of angle: 0.25 degrees, where astropy's rounding gives
/// 0.24999999999999997). `"5 arcmin"` is exactly `5.0 / 60.0` degrees
/// and `"30\""` is `30.0 / 3600.0`, bit for bit what astroquery sends; `"2 mas"` is
/// 5.555555555555556e-07 degrees, also as astroquery sends (astropy converts through
/// radians, one ulp away from `2.0 / 3_600_000.0`).
///
/// Rejected: empty text, unknown units (`"1 hourangle"`, `"3 px"`), `"abc"`, `NaN`/`inf`,
/// exponent notation (`"1e-5 deg"`, as in astropy), **negative radii** and radii over
/// [`MAX_RADIUS_DEGREES`] (180 degrees, the whole sky): astropy sends both to MAST unchecked,
/// mast-rs refuses them before any request.
///
/// The [`Default`] is 0.2 degrees, MAST's default cone radius for observations and catalogs.
/// [`Display`](fmt::Display) prints the degrees with a `deg` unit, e.g. `"0.2 deg"`.
///
/// ```
/// use mast_proto::position::{Position, Radius};
///
/// assert_eq!(Radius::parse("1d2m3s")?.degrees(), 1.0341666666666667);
/// assert_eq!(Radius::parse("120 arcsec")?.degrees(), 0.03333333333333333);
/// assert!(Radius::parse("-0.1 deg").is_err());
/// # let _ = Position::new(0.0, 0.0);
/// # Ok::<(), mast_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radius(f64);

impl Radius {
    /// A radius of `degrees` degrees; it must be finite, not negative and at most
    /// [`MAX_RADIUS_DEGREES`].
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Radius::from_degrees(0.5)?.degrees(), 0.5);
    /// assert!(Radius::from_degrees(-1.0).is_err());
    /// assert_eq!(Radius::from_degrees(180.0)?.degrees(), 180.0);
    /// assert!(Radius::from_degrees(180.5).is_err());
    /// assert!(Radius::from_degrees(f64::INFINITY).is_err());
    /// # let _ = Position::new(0.0, 0.0);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn from_degrees(degrees: f64) -> Result<Radius> {
        checked_radius(degrees, || format!("{degrees}"))
    }

    /// A radius of `arcmin` arcminutes; it must be finite and not negative.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Radius::from_arcmin(3.0)?.degrees(), 0.05);
    /// # let _ = Position::new(0.0, 0.0);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn from_arcmin(arcmin: f64) -> Result<Radius> {
        checked_radius(arcmin / 60.0, || format!("{arcmin} arcmin"))
    }

    /// A radius of `arcsec` arcseconds; it must be finite and not negative.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Radius::from_arcsec(30.0)?.degrees(), 30.0 / 3600.0);
    /// # let _ = Position::new(0.0, 0.0);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn from_arcsec(arcsec: f64) -> Result<Radius> {
        checked_radius(arcsec / 3600.0, || format!("{arcsec} arcsec"))
    }

    /// The radius in degrees (the unit MAST expects).
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Radius::default().degrees(), 0.2);
    /// # let _ = Position::new(0.0, 0.0);
    /// ```
    pub fn degrees(&self) -> f64 {
        self.0
    }

    /// The radius in arcminutes.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Radius::from_degrees(0.5)?.arcmin(), 30.0);
    /// # let _ = Position::new(0.0, 0.0);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn arcmin(&self) -> f64 {
        self.0 * 60.0
    }

    /// The radius in arcseconds.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Radius::from_degrees(0.5)?.arcsec(), 1800.0);
    /// # let _ = Position::new(0.0, 0.0);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn arcsec(&self) -> f64 {
        self.0 * 3600.0
    }

    /// Parses a radius from text; see [`Radius`] for the accepted forms.
    ///
    /// The error is [`Error::InvalidRadius`], quoting `input`.
    ///
    /// ```
    /// use mast_proto::position::{Position, Radius};
    ///
    /// assert_eq!(Radius::parse("0.2")?.degrees(), 0.2);
    /// assert_eq!(Radius::parse("5'")?.degrees(), 5.0 / 60.0);
    /// assert!(Radius::parse("3 px").unwrap_err().to_string().contains("\"3 px\""));
    /// # let _ = Position::new(0.0, 0.0);
    /// # Ok::<(), mast_proto::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Radius> {
        let degrees = parse_radius(input).map_err(|reason| Error::InvalidRadius { input: input.to_owned(), reason })?;
        checked_radius(degrees, || input.to_owned())
    }
}

/// 0.2 degrees, MAST's default cone-search radius.
///
/// ```
/// use mast_proto::position::{Position, Radius};
///
/// assert_eq!(Radius::default().to_string(), "0.2 deg");
/// # let _ = Position::new(0.0, 0.0);
/// ```
impl Default for Radius {
    fn default() -> Radius {
        Radius(0.2)
    }
}

/// Same as [`Radius::parse`].
///
/// ```
/// use mast_proto::position::{Position, Radius};
///
/// let radius: Radius = "2 mas".parse()?;
/// assert_eq!(radius.degrees(), 5.555555555555556e-07);
/// # let _ = Position::new(0.0, 0.0);
/// # Ok::<(), mast_proto::Error>(())
/// ```
impl FromStr for Radius {
    type Err = Error;

    fn from_str(s: &str) -> Result<Radius> {
        Radius::parse(s)
    }
}

/// Prints the radius in degrees with a `deg` unit, e.g. `"0.2 deg"`; the text parses back to
/// the same radius.
///
/// ```
/// use mast_proto::position::{Position, Radius};
///
/// let radius = Radius::from_arcmin(6.0)?;
/// assert_eq!(radius.to_string(), "0.1 deg");
/// assert_eq!(radius.to_string().parse::<Radius>()?, radius);
/// # let _ = Position::new(0.0, 0.0);
/// # Ok::<(), mast_proto::Error>(())
/// ```
impl fmt::Display for Radius {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} deg", self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Checks a position in degrees and normalises it (RA wrapped into [0, 360), no `-0`).
fn checked_position(ra: f64, dec: f64) -> std::result::Result<Position, String> {
    if !ra.is_finite() {
        return Err("right ascension is not a finite number".into());
    }
    if !dec.is_finite() {
        return Err("declination is not a finite number".into());
    }
    if !(-90.0..=90.0).contains(&dec) {
        return Err(format!("declination {dec} is outside [-90, 90]"));
    }
    let mut ra = ra.rem_euclid(360.0);
    if ra >= 360.0 {
        // rem_euclid of a tiny negative number rounds up to 360.
        ra = 0.0;
    }
    // Adding +0.0 turns -0.0 into +0.0, so "-0" never shows up in the output.
    Ok(Position { ra: ra + 0.0, dec: dec + 0.0 })
}

/// The largest radius: a cone of 180 degrees already covers the whole sky.
pub const MAX_RADIUS_DEGREES: f64 = 180.0;

fn checked_radius(degrees: f64, input: impl FnOnce() -> String) -> Result<Radius> {
    let reason = if degrees.is_nan() {
        "not a number"
    } else if degrees.is_infinite() {
        "not a finite number"
    } else if degrees < 0.0 {
        "a radius cannot be negative"
    } else if degrees > MAX_RADIUS_DEGREES {
        "a radius cannot exceed 180 degrees (a cone of 180 degrees is the whole sky)"
    } else {
        return Ok(Radius(degrees + 0.0));
    };
    Err(Error::InvalidRadius { input: input(), reason: reason.into() })
}

// ---------------------------------------------------------------------------------------------
// Parsing. Internal functions return the error *reason*; the public ones wrap it with the input.

type Reason<T> = std::result::Result<T, String>;

/// A unit written after a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    None,
    Hour,
    Deg,
    /// `m` or `'`: minutes of time after `h`, arcminutes otherwise.
    Min,
    /// `s` or `"`: seconds of time after `h`, arcseconds otherwise.
    Sec,
    ArcMin,
    ArcSec,
    Mas,
}

/// What one coordinate (or a radius) was written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A bare number.
    Plain,
    /// `d`/`deg`/`°`, possibly followed by arcminutes and arcseconds; magnitude in degrees.
    Degrees,
    /// `h`, possibly followed by minutes and seconds; magnitude in hours.
    Hours,
    /// `a:b[:c]` without unit letters; magnitude in units of the first field.
    Colon,
    ArcMin,
    ArcSec,
    Mas,
}

/// One parsed coordinate or radius: `-magnitude` if `negative`, in the units given by `kind`.
#[derive(Debug, Clone, Copy)]
struct Term {
    negative: bool,
    kind: Kind,
    magnitude: f64,
}

impl Term {
    fn signed(&self) -> f64 {
        if self.negative { -self.magnitude } else { self.magnitude }
    }
}

fn parse_position(input: &str) -> Reason<Position> {
    let text = input.trim();
    if text.is_empty() {
        return Err("empty input".into());
    }
    if text.starts_with(char::is_alphabetic) {
        return Err("this looks like an object name, not coordinates; resolve names first".into());
    }
    fn words(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }
    let (ra_words, dec_words) = match text.split_once(',') {
        Some((ra, dec)) => {
            if dec.contains(',') {
                return Err("more than one comma".into());
            }
            let (ra, dec) = (words(ra), words(dec));
            if ra.is_empty() || dec.is_empty() {
                return Err("a coordinate is missing on one side of the comma".into());
            }
            (ra, dec)
        }
        None => {
            let mut all = words(text);
            match all.len() {
                2 | 6 => {
                    let dec = all.split_off(all.len() / 2);
                    (all, dec)
                }
                1 => return Err("expected two coordinates (ra dec), found one value".into()),
                n => {
                    return Err(format!("expected 2 values (ra dec) or 6 (h m s d m s), found {n}"));
                }
            }
        }
    };
    let ra = ra_degrees(group_term(&ra_words)?)?;
    let dec = dec_degrees(group_term(&dec_words)?)?;
    checked_position(ra, dec)
}

/// Parses the words of one coordinate: one word, or three sexagesimal components.
fn group_term(words: &[&str]) -> Reason<Term> {
    match words {
        [word] => parse_term(word),
        [_, _, _] => {
            let plain = words.iter().all(|w| w.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '+' | '-')));
            // "21 29 58.38" means "21:29:58.38"; "21h 29m 58.38s" means "21h29m58.38s".
            parse_term(&words.join(if plain { ":" } else { "" }))
        }
        _ => Err(format!("expected 1 or 3 values on each side of the comma, found {}", words.len())),
    }
}

fn ra_degrees(term: Term) -> Reason<f64> {
    match term.kind {
        Kind::Plain | Kind::Degrees => Ok(term.signed()),
        Kind::Hours | Kind::Colon => {
            if term.negative {
                Err("a right ascension in hours cannot be negative".into())
            } else if term.magnitude >= 24.0 {
                Err("a right ascension in hours must be below 24".into())
            } else {
                Ok(term.magnitude * 15.0)
            }
        }
        Kind::ArcMin | Kind::ArcSec | Kind::Mas => Err("the right ascension must be in hours or degrees".into()),
    }
}

fn dec_degrees(term: Term) -> Reason<f64> {
    match term.kind {
        Kind::Plain | Kind::Degrees | Kind::Colon => Ok(term.signed()),
        Kind::Hours => Err("the declination cannot be given in hours".into()),
        Kind::ArcMin | Kind::ArcSec | Kind::Mas => Err("the declination must be in degrees".into()),
    }
}

/// Degrees in one milliarcsecond, as astropy computes it (through radians): `"2 mas"` gives
/// 5.555555555555556e-07 degrees like astroquery sends, where `2.0 / 3_600_000.0` would give
/// 5.555555555555555e-07.
const DEG_PER_MAS: f64 = 2.777_777_777_777_778e-7;

fn parse_radius(input: &str) -> Reason<f64> {
    let text = input.trim();
    if text.is_empty() {
        return Err("empty input".into());
    }
    if text.starts_with('-') {
        return Err("a radius cannot be negative".into());
    }
    let term = parse_term(text)?;
    let magnitude = term.magnitude;
    match term.kind {
        Kind::Plain | Kind::Degrees => Ok(magnitude),
        Kind::Hours => Ok(magnitude * 15.0),
        Kind::ArcMin => Ok(magnitude / 60.0),
        Kind::ArcSec => Ok(magnitude / 3600.0),
        Kind::Mas => Ok(magnitude * DEG_PER_MAS),
        Kind::Colon => Err("a radius needs unit letters (e.g. 1d2m3s), not colons".into()),
    }
}

/// Parses one coordinate or radius: an optional sign, then either `a:b[:c]` or a sequence of
/// numbers each followed by a unit (whitespace allowed between a number and its unit).
fn parse_term(text: &str) -> Reason<Term> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if body.contains(':') {
        let fields = body.split(':').map(parse_number).collect::<Reason<Vec<_>>>()?;
        let magnitude = match fields[..] {
            [lead, min] => sexagesimal(lead, Some(min), None)?,
            [lead, min, sec] => sexagesimal(lead, Some(min), Some(sec))?,
            _ => return Err("expected 2 or 3 colon-separated fields".into()),
        };
        return Ok(Term { negative, kind: Kind::Colon, magnitude });
    }

    let segments = segments(body)?;
    let (kind, magnitude) = match segments[..] {
        [] => return Err("expected a number".into()),
        [(value, unit)] => {
            let kind = match unit {
                Unit::None => Kind::Plain,
                Unit::Hour => Kind::Hours,
                Unit::Deg => Kind::Degrees,
                Unit::Min | Unit::ArcMin => Kind::ArcMin,
                Unit::Sec | Unit::ArcSec => Kind::ArcSec,
                Unit::Mas => Kind::Mas,
            };
            (kind, value.value)
        }
        [(lead, lead_unit), ref rest @ ..] => {
            let kind = match lead_unit {
                Unit::Hour => Kind::Hours,
                Unit::Deg => Kind::Degrees,
                _ => {
                    return Err("a sexagesimal value must start with hours (h) or degrees (d)".into());
                }
            };
            let (min, sec) = match rest {
                [(m, Unit::Min)] => (Some(*m), None),
                [(s, Unit::Sec)] => (None, Some(*s)),
                [(m, Unit::Min), (s, Unit::Sec)] => (Some(*m), Some(*s)),
                _ => {
                    return Err("expected minutes (m) then seconds (s) after the hours or degrees".into());
                }
            };
            (kind, sexagesimal(lead, min, sec)?)
        }
    };
    Ok(Term { negative, kind, magnitude })
}

/// A number as written: its value and whether it had a fractional part.
#[derive(Debug, Clone, Copy)]
struct Number {
    value: f64,
    fractional: bool,
}

/// `lead + min/60 + sec/3600`, checking minutes and seconds are below 60 and that only the last
/// component has a fractional part.
fn sexagesimal(lead: Number, min: Option<Number>, sec: Option<Number>) -> Reason<f64> {
    let parts = [Some(lead), min, sec];
    let last = parts.iter().rposition(Option::is_some).unwrap_or(0);
    if parts[..last].iter().flatten().any(|n| n.fractional) {
        return Err("only the last sexagesimal component may have a fractional part".into());
    }
    let mut value = lead.value;
    if let Some(min) = min {
        if min.value >= 60.0 {
            return Err(format!("minutes must be below 60, found {}", min.value));
        }
        value += min.value / 60.0;
    }
    if let Some(sec) = sec {
        if sec.value >= 60.0 {
            return Err(format!("seconds must be below 60, found {}", sec.value));
        }
        value += sec.value / 3600.0;
    }
    Ok(value)
}

/// Splits `12d10m00.6s` (or `5 arcmin`) into numbers and their units.
fn segments(body: &str) -> Reason<Vec<(Number, Unit)>> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        // `find` returns char boundaries, so the slicing below cannot split a UTF-8 character.
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, after) = rest.split_at(end);
        if number.is_empty() {
            let found = rest.chars().next().unwrap_or(' ');
            return Err(format!("expected a number, found {found:?}"));
        }
        let number = parse_number(number)?;
        let after = after.trim_start();
        let end = after
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace() || matches!(c, '.' | '+' | '-'))
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(end);
        rest = after.trim_start();
        let unit = parse_unit(unit, rest)?;
        if unit == Unit::None && !rest.is_empty() {
            return Err("expected a unit between two numbers".into());
        }
        out.push((number, unit));
    }
    Ok(out)
}

fn parse_unit(unit: &str, rest: &str) -> Reason<Unit> {
    let lower = unit.to_lowercase();
    Ok(match lower.as_str() {
        "" => Unit::None,
        "h" => Unit::Hour,
        "d" | "deg" | "degree" | "degrees" | "°" => Unit::Deg,
        "m" | "'" | "′" => Unit::Min,
        "s" | "\"" | "″" => Unit::Sec,
        "arcmin" | "amin" => Unit::ArcMin,
        "arcsec" | "asec" => Unit::ArcSec,
        "mas" => Unit::Mas,
        "e" if rest.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') => {
            return Err("exponent notation is not accepted".into());
        }
        _ => return Err(format!("unknown unit {unit:?}")),
    })
}

/// An unsigned decimal number without exponent: `12`, `12.5`, `.5`, `5.`.
fn parse_number(text: &str) -> Reason<Number> {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let dots = text.chars().filter(|&c| c == '.').count();
    if digits == 0 || dots > 1 || digits + dots != text.chars().count() {
        return Err(format!("{text:?} is not a number"));
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Number { value, fractional: dots == 1 }),
        _ => Err(format!("{text:?} is not a finite number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9
    }

    #[test]
    fn good_positions() {
        let dec_sexa = 12.0 + 10.0 / 60.0 + 0.6 / 3600.0;
        let table: &[(&str, f64, f64)] = &[
            ("322.49324 12.16683", 322.49324, 12.16683),
            ("  10.5   -20.25  ", 10.5, -20.25),
            ("322.49324, 12.16683", 322.49324, 12.16683),
            ("322.49324,12.16683", 322.49324, 12.16683),
            ("322.49324 ,12.16683", 322.49324, 12.16683),
            ("322.49324d 12.16683d", 322.49324, 12.16683),
            ("322.49324deg 12.16683deg", 322.49324, 12.16683),
            ("322.49324° 12.16683°", 322.49324, 12.16683),
            ("322.49324DEG +12.16683D", 322.49324, 12.16683),
            ("10 +20", 10.0, 20.0),
            ("+10 -20", 10.0, -20.0),
            ("-10 20", 350.0, 20.0),
            ("370 10", 10.0, 10.0),
            ("360 0", 0.0, 0.0),
            ("-0 -0", 0.0, 0.0),
            (".5 5.", 0.5, 5.0),
            ("0 90", 0.0, 90.0),
            ("0 -90", 0.0, -90.0),
            ("-10d 20d", 350.0, 20.0),
            ("21h29m58.38s +12d10m00.6s", 322.49325, 12.166833333333333),
            ("21h29m58.38s 12d10m00.6s", 322.49325, dec_sexa),
            ("21h29m58.38s -12d10m00.6s", 322.49325, -dec_sexa),
            ("21h 29m 58.38s +12d 10m 00.6s", 322.49325, dec_sexa),
            ("21h29m58.38s, +12°10'00.6\"", 322.49325, dec_sexa),
            ("21.5h 12.1d", 322.5, 12.1),
            ("21h29m 12d10m", 322.25, 12.0 + 10.0 / 60.0),
            ("21h30s 12d30s", 315.125, 12.0 + 30.0 / 3600.0),
            ("322d29m 12d", 322.0 + 29.0 / 60.0, 12.0),
            ("0h 0d", 0.0, 0.0),
            ("21:29:58.38 +12:10:00.6", 322.49325, 12.166833333333333),
            ("21:29:58.38 -12:10:00.6", 322.49325, -dec_sexa),
            ("21 29 58.38 +12 10 00.6", 322.49325, 12.166833333333333),
            ("21 29 58.38 -00 30 00", 322.49325, -0.5),
            ("21:29:58.38, +12:10:00.6", 322.49325, dec_sexa),
            ("21 29 58.38, +12 10 00.6", 322.49325, dec_sexa),
            ("21:30 -0:30", 322.5, -0.5),
            ("23:59:59.999 89:59:59.999", 359.9999958333333, 89.99999972222222),
        ];
        for &(input, ra, dec) in table {
            let pos = Position::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert!(close(pos.ra(), ra) && close(pos.dec(), dec), "{input:?} -> {pos:?}, want ({ra}, {dec})");
            assert_eq!(input.parse::<Position>().ok(), Some(pos));
        }
        // Exact values where the arithmetic is exact or matches Python's.
        assert_eq!(Position::parse("-10 20").unwrap(), Position { ra: 350.0, dec: 20.0 });
        assert_eq!(Position::parse("21.5h 12.1d").unwrap(), Position { ra: 322.5, dec: 12.1 });
        let pos = Position::parse("21h29m58.38s +12d10m00.6s").unwrap();
        assert_eq!(pos.dec(), 12.166833333333333);
        assert!(close(Position::parse("0 -12d10m00.6s").unwrap().dec(), -12.1668333333));
    }

    #[test]
    fn bad_positions() {
        let table: &[&str] = &[
            "",
            "   ",
            "10",
            "10 20 30",
            "10 20 30 40",
            "1 2 3 4 5 6 7",
            "M101",
            "m31",
            "Barnard's Star",
            "J212958.38+121000.6",
            "abc def",
            "10 abc",
            "1e1 2e0",
            "10 95",
            "10 -90.0001",
            "10 90d1m",
            "NaN 0",
            "0 nan",
            "inf 0",
            "10,",
            ",10",
            "10,20,30",
            "10 20,",
            "1 2, 3",
            "21:60:00 10",
            "21:29:60 10",
            "21 29 60 10 0 0",
            "10 12:60:00",
            "21h60m 10d",
            "21h29m60s 10d",
            "24h 10d",
            "24:00:00 10",
            "25 00 00 10 00 00",
            "-1h 10d",
            "-01:00:00 10",
            "10 12h",
            "21.5h30m 10d",
            "21:29.5:00 10",
            "21m 10d",
            "21h 10m",
            "21s 10d",
            "21h29s58m 10d",
            "5arcmin 10d",
            "10d 5 arcsec",
            "1mas 2",
            "21h29m58.38 10d",
            "21:29 10d 5",
            "1:2:3:4 5",
            "1: 5",
            "1..2 3",
            "1.2.3 4",
            "++1 2",
            "+-1 2",
            "1 --2",
            "1 2-",
            "12é 3",
            "1 2 px",
            "1px 2",
            "10 20x",
            "1 hourangle",
            "10d20 30",
        ];
        for &input in table {
            let err = Position::parse(input).expect_err(input);
            match &err {
                Error::InvalidPosition { input: got, reason } => {
                    assert_eq!(got, input);
                    assert!(!reason.is_empty() && !reason.ends_with('.'), "{reason:?}");
                }
                other => panic!("{input:?}: wrong variant {other:?}"),
            }
            let message = err.to_string();
            assert!(message.contains(&format!("{input:?}")), "{message}");
        }
    }

    #[test]
    fn position_new() {
        assert_eq!(Position::new(370.0, 10.0).unwrap(), Position { ra: 10.0, dec: 10.0 });
        assert_eq!(Position::new(-1e-300, 0.0).unwrap().ra(), 0.0);
        assert!(Position::new(-1e-20, 0.0).unwrap().ra() < 360.0);
        assert_eq!(Position::new(-0.0, -0.0).unwrap().to_string(), "0 0");
        for (ra, dec) in [(f64::NAN, 0.0), (f64::INFINITY, 0.0), (0.0, f64::NAN), (0.0, 90.5), (0.0, -91.0)] {
            let err = Position::new(ra, dec).unwrap_err();
            assert!(matches!(err, Error::InvalidPosition { .. }), "{err:?}");
        }
    }

    #[test]
    fn position_display_round_trips() {
        let pos = Position::parse("21h29m58.38s +12d10m00.6s").unwrap();
        assert_eq!(pos.to_string().parse::<Position>().unwrap(), pos);
        assert_eq!(Position::new(322.49324, 12.16683).unwrap().to_string(), "322.49324 12.16683");
        let tiny = Position::new(1e-300, -1e-300).unwrap();
        assert_eq!(tiny.to_string().parse::<Position>().unwrap(), tiny);
    }

    #[test]
    fn good_radii() {
        let table: &[(&str, f64)] = &[
            ("0.2", 0.2),
            (".02", 0.02),
            ("1", 1.0),
            ("0", 0.0),
            ("+0.5", 0.5),
            ("  0.2  ", 0.2),
            ("0.2 deg", 0.2),
            ("0.2deg", 0.2),
            ("0.2d", 0.2),
            ("0.2 D", 0.2),
            ("0.2 degree", 0.2),
            ("0.2 degrees", 0.2),
            ("0.2°", 0.2),
            (".02 deg", 0.02),
            ("5 arcmin", 0.08333333333333333),
            ("5arcmin", 5.0 / 60.0),
            ("5 ARCMIN", 5.0 / 60.0),
            ("5 amin", 5.0 / 60.0),
            ("5'", 5.0 / 60.0),
            ("5m", 5.0 / 60.0),
            ("30\"", 30.0 / 3600.0),
            ("30\"", 0.008333333333333333),
            ("30 arcsec", 30.0 / 3600.0),
            ("30 asec", 30.0 / 3600.0),
            ("30s", 30.0 / 3600.0),
            ("120 arcsec", 0.03333333333333333),
            ("2 mas", 5.555555555555556e-07),
            ("1 mas", 2.777777777777778e-07),
            ("3600000 mas", 1.0000000000000002),
            ("1d2m3s", 1.0341666666666667),
            ("1d 2m 3s", 1.0341666666666667),
            ("1°2'3\"", 1.0341666666666667),
            ("1d30s", 1.0 + 30.0 / 3600.0),
            ("0h1m", 0.25),
            ("1h", 15.0),
            ("90'", 1.5),
            ("180", 180.0),
            ("12h", 180.0),
            ("10800 arcmin", 180.0),
        ];
        for &(input, degrees) in table {
            let radius = Radius::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(radius.degrees(), degrees, "{input:?}");
            assert_eq!(input.parse::<Radius>().ok(), Some(radius));
        }
    }

    #[test]
    fn bad_radii() {
        let table: &[&str] = &[
            "",
            "  ",
            "abc",
            "deg",
            "1 hourangle",
            "3 px",
            "-1",
            "-0.1 deg",
            "- 1",
            "NaN",
            "nan deg",
            "inf",
            "1e-5 deg",
            "1e5",
            "1E+2",
            "1 2",
            "1 deg 2",
            "1d2",
            "1d 2 arcmin",
            "1arcmin2s",
            "2m3d",
            "1d60m",
            "1d2m60s",
            "1.5d30m",
            "0:1:0",
            "1.2.3",
            "5 é",
            "5 arcmin,",
            "+-1",
            "1+",
            "180.001",
            "181 deg",
            "13h",
            "10801 arcmin",
            "648001\"",
        ];
        for &input in table {
            let err = Radius::parse(input).expect_err(input);
            match &err {
                Error::InvalidRadius { input: got, reason } => {
                    assert_eq!(got, input);
                    assert!(!reason.is_empty() && !reason.ends_with('.'), "{reason:?}");
                }
                other => panic!("{input:?}: wrong variant {other:?}"),
            }
            let message = err.to_string();
            assert!(message.contains(&format!("{input:?}")), "{message}");
        }
    }

    #[test]
    fn radius_constructors_and_accessors() {
        assert_eq!(Radius::default().degrees(), 0.2);
        assert_eq!(Radius::default().to_string(), "0.2 deg");
        assert_eq!(Radius::from_degrees(0.5).unwrap().arcmin(), 30.0);
        assert_eq!(Radius::from_degrees(0.5).unwrap().arcsec(), 1800.0);
        assert_eq!(Radius::from_arcmin(5.0).unwrap().degrees(), 5.0 / 60.0);
        assert_eq!(Radius::from_arcsec(30.0).unwrap().degrees(), 30.0 / 3600.0);
        assert_eq!(Radius::from_degrees(-0.0).unwrap().to_string(), "0 deg");
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -1e-300] {
            for result in [Radius::from_degrees(bad), Radius::from_arcmin(bad), Radius::from_arcsec(bad)] {
                assert!(matches!(result, Err(Error::InvalidRadius { .. })), "{bad}: {result:?}");
            }
        }
        let err = Radius::from_arcmin(-2.0).unwrap_err().to_string();
        assert!(err.contains("\"-2 arcmin\""), "{err}");
        let radius = Radius::parse("2 mas").unwrap();
        assert_eq!(radius.to_string().parse::<Radius>().unwrap(), radius);
    }

    /// Feeds pseudo-random strings from a small alphabet through both parsers: they must never
    /// panic, and whatever they accept must satisfy the invariants.
    #[test]
    fn no_panics_on_junk() {
        const ALPHABET: &[&str] = &[
            "0", "1", "2", "5", "9", "6", "h", "m", "s", "d", ":", "+", "-", ".", " ", ",", "'", "\"", "°", "é", "deg",
            "e", "arcmin", "mas", "\t",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let mut accepted = (0, 0);
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let text: String = (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect();
            match Position::parse(&text) {
                Ok(pos) => {
                    accepted.0 += 1;
                    assert!((0.0..360.0).contains(&pos.ra()), "{text:?} -> {pos:?}");
                    assert!((-90.0..=90.0).contains(&pos.dec()), "{text:?} -> {pos:?}");
                    assert_eq!(pos.to_string().parse::<Position>().ok(), Some(pos), "{text:?}");
                }
                Err(err) => assert!(matches!(err, Error::InvalidPosition { .. })),
            }
            match Radius::parse(&text) {
                Ok(radius) => {
                    accepted.1 += 1;
                    assert!(radius.degrees().is_finite() && radius.degrees() >= 0.0, "{text:?}");
                    assert_eq!(radius.to_string().parse::<Radius>().ok(), Some(radius), "{text:?}");
                }
                Err(err) => assert!(matches!(err, Error::InvalidRadius { .. })),
            }
        }
        // The generator does reach the accepting paths.
        assert!(accepted.0 > 0 && accepted.1 > 0, "{accepted:?}");
    }
}
