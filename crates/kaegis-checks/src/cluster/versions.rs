//! Kubernetes version currency: which releases are supported, which have
//! reached end of life, and which published Kubernetes CVEs a server's
//! version is still exposed to.
//!
//! The data lives in `data/kubernetes-releases.json`, compiled in with
//! `include_str!` so a scan needs no network. It carries the date it was
//! last checked ([`Table::source_date`]); [`Table::describe`] prints it so a
//! user can see how old the table is. End of life is always judged by the
//! date against the caller's `today`, so a stale table still reports a
//! release that has since passed its end-of-life date.
//!
//! Maintainers: the test `every_release_past_its_end_of_life_is_marked`
//! fails once a release's end-of-life date has passed while the table still
//! says `"endOfLife": false`; that is the reminder to refresh the table.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer};

/// The embedded release and CVE table, as shipped.
const TABLE_JSON: &str = include_str!("../../data/kubernetes-releases.json");

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    // The table is compiled in and checked by the tests below, so a parse
    // failure here is a build defect, not bad user input.
    serde_json::from_str(TABLE_JSON)
        .unwrap_or_else(|e| panic!("data/kubernetes-releases.json is invalid: {e}"))
});

/// The embedded table, parsed once.
pub fn table() -> &'static Table {
    &TABLE
}

/// Errors reading a version or a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not a Kubernetes version such as `v1.37.2`.
    #[error(
        "`{input}` is not a Kubernetes version (expected e.g. v1.37.2 or 1.30.14-eks-1234): {reason}"
    )]
    Version {
        /// The text given.
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// Not a `YYYY-MM-DD` date.
    #[error("`{input}` is not a date in YYYY-MM-DD form: {reason}")]
    Date {
        /// The text given.
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },
}

// ---------------------------------------------------------------- Date

/// A calendar date (proleptic Gregorian, no time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 2026.
    pub y: i32,
    /// Month, 1–12.
    pub m: u8,
    /// Day of the month, 1–31.
    pub d: u8,
}

impl Date {
    /// A date, if it exists on the calendar.
    pub fn new(y: i32, m: u8, d: u8) -> Option<Date> {
        (1..=12).contains(&m).then_some(())?;
        (d >= 1 && d <= days_in_month(y, m)).then_some(Date { y, m, d })
    }

    /// Parse `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, ParseError> {
        let err = |reason| ParseError::Date {
            input: s.to_string(),
            reason,
        };
        let mut parts = s.trim().split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err("needs three parts separated by '-'"));
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err("needs a 4-digit year, 2-digit month and 2-digit day"));
        }
        let num = |p: &str| {
            p.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| p.parse::<u32>().ok())
                .flatten()
        };
        let (Some(y), Some(m), Some(d)) = (num(y), num(m), num(d)) else {
            return Err(err("parts must be digits"));
        };
        // Each part is at most 4 digits, so these conversions cannot truncate.
        Date::new(y as i32, m as u8, d as u8).ok_or_else(|| err("no such day on the calendar"))
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The date `days` days after 1970-01-01 (negative: before).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let (y, m, d) = kaegis_core::time::civil_from_days(days);
        Date {
            y: y as i32,
            m: m as u8,
            d: d as u8,
        }
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        kaegis_core::time::days_from_civil(i64::from(self.y), i64::from(self.m), i64::from(self.d))
    }

    /// Whole days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let s = String::deserialize(de)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------- Version

/// A Kubernetes version `major.minor.patch`. Vendor pre-release and build
/// suffixes (`-eks-1234`, `+k3s1`, `-gke.1000`) are dropped: they name a
/// vendor build of that upstream patch, which is what CVE fixes refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version (1).
    pub major: u64,
    /// Minor version, e.g. 37.
    pub minor: u64,
    /// Patch version, e.g. 2.
    pub patch: u64,
}

impl Version {
    /// A version from its three numbers.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parse `v1.37.2`, `1.37.2`, `v1.30.14-eks-1234`, `v1.29.3+k3s1`,
    /// `v1.28.9-gke.1000`. A missing patch (`1.30`) reads as `.0`.
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        let err = |reason| ParseError::Version {
            input: s.to_string(),
            reason,
        };
        let t = s.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let core = t.split(['-', '+']).next().unwrap_or("");
        if core.is_empty() {
            return Err(err("no version numbers"));
        }
        let mut nums = [0u64; 3];
        let mut count = 0;
        for part in core.split('.') {
            if count == 3 {
                return Err(err("more than three numbers"));
            }
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("each part must be a number"));
            }
            nums[count] = part.parse().map_err(|_| err("number too large"))?;
            count += 1;
        }
        if count < 2 {
            return Err(err("needs at least major.minor"));
        }
        Ok(Version::new(nums[0], nums[1], nums[2]))
    }

    /// The `major.minor` this version belongs to.
    pub fn minor_version(self) -> Minor {
        Minor {
            major: self.major,
            minor: self.minor,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl std::str::FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let s = String::deserialize(de)?;
        Version::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A release series, `major.minor` (e.g. 1.37).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minor {
    /// Major version (1).
    pub major: u64,
    /// Minor version.
    pub minor: u64,
}

impl fmt::Display for Minor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl<'de> Deserialize<'de> for Minor {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let s = String::deserialize(de)?;
        let v = Version::parse(&s).map_err(serde::de::Error::custom)?;
        Ok(v.minor_version())
    }
}

// ---------------------------------------------------------------- Table

/// The embedded Kubernetes release and CVE table.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Table {
    /// The date the table was last checked against its sources.
    pub source_date: Date,
    /// Where the data comes from.
    pub sources: Vec<String>,
    /// How to read the fields (kept in the data file for its maintainers).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Release series, oldest first.
    pub releases: Vec<Release>,
    /// Published Kubernetes CVEs in core components.
    pub cves: Vec<Cve>,
}

/// One release series.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Release {
    /// The series, e.g. 1.37.
    pub minor: Minor,
    /// The date of its `.0` release.
    pub release_date: Date,
    /// The date patch support ends.
    pub end_of_life_date: Date,
    /// True when `end_of_life_date` was still in the future on the table's
    /// source date: it is the project's plan, not yet a fact.
    #[serde(default)]
    pub end_of_life_planned: bool,
    /// The newest patch known when the table was checked (the final patch
    /// for an end-of-life series).
    pub latest_patch: Version,
    /// Marked end of life in the table.
    pub end_of_life: bool,
}

impl Release {
    /// Whether the series is past its end-of-life date on `today`, whatever
    /// the table's marking says.
    pub fn is_end_of_life_on(&self, today: Date) -> bool {
        self.end_of_life || self.end_of_life_date < today
    }
}

/// Severity as rated by the Kubernetes Security Response Committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CveSeverity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl fmt::Display for CveSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CveSeverity::Low => "low",
            CveSeverity::Medium => "medium",
            CveSeverity::High => "high",
            CveSeverity::Critical => "critical",
        })
    }
}

/// The release series a CVE applies to, inclusive.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinorRange {
    /// First affected series.
    pub from: Minor,
    /// Last affected series; `None` means every later series too.
    #[serde(default)]
    pub to: Option<Minor>,
}

impl MinorRange {
    /// Whether `m` lies in the range.
    pub fn contains(&self, m: Minor) -> bool {
        m >= self.from && self.to.is_none_or(|to| m <= to)
    }
}

/// A published Kubernetes CVE.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cve {
    /// CVE id, e.g. `CVE-2024-10220`.
    pub id: String,
    /// One line on what it allows.
    pub summary: String,
    /// Affected components (kube-apiserver, kubelet, kube-proxy, ...).
    pub components: Vec<String>,
    /// Kubernetes severity rating.
    pub severity: CveSeverity,
    /// CVSS v3 base score, where published.
    #[serde(default)]
    pub cvss: Option<f32>,
    /// The series the CVE applies to.
    pub affected_minors: MinorRange,
    /// The first fixed patch per series (`"1.30": "1.30.3"`).
    pub fixed: BTreeMap<String, Version>,
    /// What to do when no release fixes it.
    #[serde(default)]
    pub mitigation: Option<String>,
    /// The announcement.
    pub url: String,
}

impl Cve {
    /// The first fixed patch in `minor`'s series, if the series got one.
    pub fn fixed_in(&self, minor: Minor) -> Option<Version> {
        self.fixed.get(&minor.to_string()).copied()
    }

    /// Whether any release fixes it (otherwise it can only be mitigated).
    pub fn has_fix(&self) -> bool {
        !self.fixed.is_empty()
    }

    /// Whether `v` is exposed: its series is in the affected range and it
    /// is below that series' fix, or the series got no fix at all.
    pub fn affects(&self, v: Version) -> bool {
        let m = v.minor_version();
        self.affected_minors.contains(m) && self.fixed_in(m).is_none_or(|fix| v < fix)
    }
}

impl Table {
    /// The newest series in the table.
    pub fn newest(&self) -> Option<&Release> {
        self.releases.iter().max_by_key(|r| r.minor)
    }

    /// The table entry for `minor`.
    pub fn release(&self, minor: Minor) -> Option<&Release> {
        self.releases.iter().find(|r| r.minor == minor)
    }

    /// One line naming the table's date, for reports:
    /// `Kubernetes release data as of 2026-11-23 (...)`.
    pub fn describe(&self) -> String {
        let span = match (self.releases.first(), self.releases.last()) {
            (Some(a), Some(b)) => format!("releases {}–{}", a.minor, b.minor),
            _ => "no releases".to_string(),
        };
        format!(
            "Kubernetes release data as of {} ({span}, {} CVEs)",
            self.source_date,
            self.cves.len()
        )
    }

    /// Days between the table's source date and `today`.
    pub fn age_days(&self, today: Date) -> i64 {
        self.source_date.days_until(today)
    }
}

// ---------------------------------------------------------------- Assessment

/// Where a version's series sits relative to the table.
#[derive(Debug, Clone, Copy)]
pub enum ReleaseMatch<'t> {
    /// The series is in the table.
    Known(&'t Release),
    /// Newer than any series in the table (the table may be out of date).
    NewerThanTable,
    /// Older than any series in the table: long out of support.
    OlderThanTable,
}

/// A CVE the version is exposed to.
#[derive(Debug, Clone, Copy)]
pub struct Exposure<'t> {
    /// The CVE.
    pub cve: &'t Cve,
    /// The fixed patch in the version's own series; `None` when the series
    /// got no fix and only a newer series has one.
    pub fixed_in: Option<Version>,
}

/// What the table says about one server version on one day.
#[derive(Debug, Clone)]
pub struct Assessment<'t> {
    /// The version judged.
    pub version: Version,
    /// The day it was judged on.
    pub today: Date,
    /// Its series in the table.
    pub release: ReleaseMatch<'t>,
    /// Past end of life on `today` (by date, even if the table lags).
    pub end_of_life: bool,
    /// How many series the newest one in the table is ahead (0 if current
    /// or newer than the table).
    pub minors_behind: u64,
    /// A newer patch of the same series, if the table knows one.
    pub newer_patch: Option<Version>,
    /// CVEs fixed in some release that this version lacks.
    pub cves: Vec<Exposure<'t>>,
    /// CVEs with no fixed release that affect this version: mitigate them.
    pub unfixed_cves: Vec<&'t Cve>,
}

/// Judge `version` against the embedded table as of `today`.
pub fn assess(version: &Version, today: Date) -> Assessment<'static> {
    assess_with(table(), version, today)
}

/// Judge `version` against `table` as of `today`.
pub fn assess_with<'t>(table: &'t Table, version: &Version, today: Date) -> Assessment<'t> {
    let v = *version;
    let minor = v.minor_version();
    let newest = table.newest();
    let oldest = table.releases.iter().min_by_key(|r| r.minor);
    let release = match table.release(minor) {
        Some(r) => ReleaseMatch::Known(r),
        None if oldest.is_some_and(|o| minor < o.minor) => ReleaseMatch::OlderThanTable,
        None => ReleaseMatch::NewerThanTable,
    };
    let end_of_life = match release {
        ReleaseMatch::Known(r) => r.is_end_of_life_on(today),
        ReleaseMatch::OlderThanTable => true,
        ReleaseMatch::NewerThanTable => false,
    };
    let minors_behind = match newest {
        Some(n) if n.minor.major == minor.major => n.minor.minor.saturating_sub(minor.minor),
        _ => 0,
    };
    let newer_patch = match release {
        ReleaseMatch::Known(r) if r.latest_patch > v => Some(r.latest_patch),
        _ => None,
    };
    let mut cves = Vec::new();
    let mut unfixed_cves = Vec::new();
    for cve in table.cves.iter().filter(|c| c.affects(v)) {
        if cve.has_fix() {
            cves.push(Exposure {
                cve,
                fixed_in: cve.fixed_in(minor),
            });
        } else {
            unfixed_cves.push(cve);
        }
    }
    Assessment {
        version: v,
        today,
        release,
        end_of_life,
        minors_behind,
        newer_patch,
        cves,
        unfixed_cves,
    }
}

impl Assessment<'_> {
    /// Whether the series is in the table and still supported on `today`.
    pub fn supported(&self) -> bool {
        matches!(self.release, ReleaseMatch::Known(_)) && !self.end_of_life
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn ids<'t>(a: &Assessment<'t>) -> Vec<&'t str> {
        a.cves.iter().map(|e| e.cve.id.as_str()).collect()
    }

    #[test]
    fn parses_upstream_and_vendor_versions() {
        assert_eq!(v("v1.37.2"), Version::new(1, 37, 2));
        assert_eq!(v("1.37.2"), Version::new(1, 37, 2));
        assert_eq!(v("v1.30.14-eks-1234"), Version::new(1, 30, 14));
        assert_eq!(v("v1.29.3+k3s1"), Version::new(1, 29, 3));
        assert_eq!(v("v1.28.9-gke.1000"), Version::new(1, 28, 9));
        assert_eq!(v(" v1.31 "), Version::new(1, 31, 0));
        assert!(v("1.9.0") < v("1.10.0"), "compares numerically");
    }

    #[test]
    fn rejects_garbage_versions_with_a_clear_message() {
        for bad in [
            "", "v", "latest", "1", "1.x.3", "1..3", "1.2.3.4", "-eks", "v1.37.2a",
        ] {
            let e = Version::parse(bad).expect_err(bad);
            let msg = e.to_string();
            assert!(msg.contains(&format!("`{bad}`")), "{msg}");
            assert!(msg.contains("expected e.g. v1.37.2"), "{msg}");
        }
    }

    #[test]
    fn dates_parse_compare_and_convert() {
        assert_eq!(
            day("2026-11-23"),
            Date {
                y: 2026,
                m: 11,
                d: 23
            }
        );
        assert!(day("2026-02-28") < day("2026-03-01"));
        assert!(Date::parse("2026-02-29").is_err());
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2026-13-01").is_err());
        assert!(Date::parse("26-1-1").is_err());
        assert_eq!(Date::from_days_since_epoch(0), day("1970-01-01"));
        assert_eq!(Date::from_days_since_epoch(-1), day("1969-12-31"));
        // 2026-11-23 is day 20 780 of the Unix epoch.
        assert_eq!(Date::from_days_since_epoch(20_780), day("2026-11-23"));
        for n in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days_since_epoch(n).days_since_epoch(), n);
        }
        assert_eq!(day("2024-02-28").days_until(day("2024-03-01")), 2);
        assert!(Date::today() >= day("2026-11-23"));
    }

    #[test]
    fn current_version_is_supported_and_has_no_fixable_cve() {
        let a = assess(&v("v1.37.2"), day("2026-11-23"));
        assert!(a.supported(), "{a:?}");
        assert!(matches!(a.release, ReleaseMatch::Known(r) if r.minor.minor == 37));
        assert_eq!(a.minors_behind, 0);
        assert_eq!(a.newer_patch, None);
        assert!(a.cves.is_empty(), "{:?}", ids(&a));
        // Only the CVEs no release fixes remain, to be mitigated.
        let unfixed: Vec<_> = a.unfixed_cves.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(unfixed, ["CVE-2020-8554", "CVE-2025-1767"]);
        assert!(a.unfixed_cves.iter().all(|c| c.mitigation.is_some()));
    }

    #[test]
    fn old_version_is_end_of_life_with_several_cves() {
        let a = assess(&v("1.27.3"), day("2026-11-23"));
        assert!(a.end_of_life && !a.supported());
        assert_eq!(a.minors_behind, 10);
        assert_eq!(a.newer_patch, Some(Version::new(1, 27, 16)));
        let got = ids(&a);
        for id in [
            "CVE-2023-3676",
            "CVE-2023-5528",
            "CVE-2024-3177",
            "CVE-2024-10220",
        ] {
            assert!(got.contains(&id), "{id} missing from {got:?}");
        }
        // Fixed in 1.27.3 itself, and for 1.32/1.33 only.
        for id in ["CVE-2023-2727", "CVE-2023-2431", "CVE-2025-4563"] {
            assert!(!got.contains(&id), "{id} should not be in {got:?}");
        }
        let gitrepo = a
            .cves
            .iter()
            .find(|e| e.cve.id == "CVE-2024-10220")
            .unwrap();
        assert_eq!(gitrepo.fixed_in, None, "1.27 got no backport");
        let subpath = a.cves.iter().find(|e| e.cve.id == "CVE-2024-3177").unwrap();
        assert_eq!(subpath.fixed_in, Some(Version::new(1, 27, 13)));
    }

    #[test]
    fn vendor_suffix_is_judged_as_its_upstream_patch() {
        let a = assess(&v("v1.32.5-eks-1234"), day("2026-11-23"));
        assert!(a.end_of_life);
        let got = ids(&a);
        assert!(got.contains(&"CVE-2025-4563") && got.contains(&"CVE-2025-5187"));
        let b = assess(&v("v1.32.8+k3s1"), day("2026-11-23"));
        assert!(ids(&b).is_empty(), "{:?}", ids(&b));
    }

    #[test]
    fn end_of_life_is_judged_by_date_even_if_the_table_is_stale() {
        let a = assess(&v("1.37.2"), day("2027-10-29"));
        assert!(a.end_of_life, "1.37 ends 2027-10-28");
        let b = assess(&v("1.37.2"), day("2027-10-28"));
        assert!(!b.end_of_life, "last supported day");
    }

    #[test]
    fn minors_outside_the_table_are_named() {
        let new = assess(&v("1.40.0"), day("2026-11-23"));
        assert!(matches!(new.release, ReleaseMatch::NewerThanTable));
        assert!(!new.end_of_life);
        assert_eq!(new.minors_behind, 0);
        let old = assess(&v("v1.11.2"), day("2026-11-23"));
        assert!(matches!(old.release, ReleaseMatch::OlderThanTable));
        assert!(old.end_of_life);
        assert!(ids(&old).contains(&"CVE-2018-1002105"));
        assert!(!ids(&assess(&v("1.11.5"), day("2026-11-23"))).contains(&"CVE-2018-1002105"));
    }

    /// The acceptance test: a release past its end-of-life date must be
    /// marked `"endOfLife": true` in the data file.
    #[test]
    fn every_release_past_its_end_of_life_is_marked() {
        let today = Date::today();
        let stale: Vec<String> = table()
            .releases
            .iter()
            .filter(|r| r.end_of_life_date < today && !r.end_of_life)
            .map(|r| format!("{} (end of life {})", r.minor, r.end_of_life_date))
            .collect();
        assert!(
            stale.is_empty(),
            "Kubernetes {} passed end of life but data/kubernetes-releases.json still has \
             \"endOfLife\": false (table as of {}). Update the table: mark them \
             \"endOfLife\": true, add any newer releases and CVEs from the sources listed \
             in the file, and set \"sourceDate\" to the day you checked.",
            stale.join(", "),
            table().source_date,
        );
    }

    #[test]
    fn table_is_consistent() {
        let t = table();
        assert!(
            t.source_date <= Date::today(),
            "sourceDate {} is in the future",
            t.source_date
        );
        assert!(!t.sources.is_empty());
        assert!(t.releases.len() >= 10);
        for pair in t.releases.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(a.minor < b.minor, "{} listed before {}", a.minor, b.minor);
            assert!(a.release_date < b.release_date, "{} release date", b.minor);
            assert!(
                a.end_of_life_date < b.end_of_life_date,
                "{} end of life",
                b.minor
            );
        }
        for r in &t.releases {
            assert!(r.release_date < r.end_of_life_date, "{}", r.minor);
            assert_eq!(
                r.latest_patch.minor_version(),
                r.minor,
                "{} latestPatch",
                r.minor
            );
            assert!(
                r.release_date <= t.source_date,
                "{} not released yet",
                r.minor
            );
            assert_eq!(
                r.end_of_life_planned,
                r.end_of_life_date > t.source_date,
                "{}: endOfLifePlanned must mark exactly the dates after sourceDate",
                r.minor
            );
            assert!(
                !r.end_of_life || r.end_of_life_date <= t.source_date,
                "{} marked end of life before its date",
                r.minor
            );
        }
        let mut seen = std::collections::HashSet::new();
        for c in &t.cves {
            assert!(seen.insert(&c.id), "{} listed twice", c.id);
            assert!(c.id.starts_with("CVE-"), "{}", c.id);
            assert!(!c.components.is_empty(), "{}", c.id);
            assert!(
                c.has_fix() || c.mitigation.is_some(),
                "{}: no fix, no mitigation",
                c.id
            );
            for (minor, fix) in &c.fixed {
                assert_eq!(&fix.minor_version().to_string(), minor, "{}", c.id);
                assert!(c.affected_minors.contains(fix.minor_version()), "{}", c.id);
            }
        }
    }

    #[test]
    fn describe_prints_the_source_date() {
        let t = table();
        let d = t.describe();
        let want = format!("Kubernetes release data as of {}", t.source_date);
        assert!(d.starts_with(&want), "{d}");
        let a_week_later = Date::from_days_since_epoch(t.source_date.days_since_epoch() + 7);
        assert_eq!(t.age_days(a_week_later), 7);
    }
}
