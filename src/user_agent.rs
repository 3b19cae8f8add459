//! The OMA release stamp of Appendix D: [`ReleaseVersion`], the `User-Agent` /
//! `Server` value the library writes ([`ProductStamp`]), and reading a peer's release
//! from the value it sent ([`Release::of_peer`]).
//!
//! A CPM Client names its release in the first product token of what it sends:
//! `CPM-client/OMA2.0` in the `User-Agent` of its requests and in the `Server` of its
//! responses, followed by whatever products the application adds. Network servers
//! write `CPM-serv/OMA<v>`.
//!
//! ```
//! use cpm_client::user_agent::{ProductStamp, Release, ReleaseVersion, Role};
//!
//! let stamp = ProductStamp::new(ReleaseVersion::OMA2_0).with_product("Acme/3.1").unwrap();
//! assert_eq!(stamp.to_string(), concat!("CPM-client/OMA2.0 Acme/3.1 cpm-client/", env!("CARGO_PKG_VERSION")));
//!
//! let peer = Release::of_peer("CPM-serv/OMA2.2 RCS-serv/UP_2.3").unwrap();
//! assert_eq!((peer.role, peer.version), (Role::Server, ReleaseVersion::OMA2_2));
//! assert_eq!(Release::of_peer("IM-serv/OMA2.0"), None);
//! ```

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::sip::grammar::is_token;

/// An OMA CPM release, written `OMA<major>.<minor>` (`OMA2.0`).
///
/// The four releases the library knows are constants; any other `major.minor` reads
/// and prints the same way, so a peer on a newer release is still understood.
///
/// ```
/// use cpm_client::user_agent::ReleaseVersion;
///
/// let v: ReleaseVersion = "OMA2.2".parse().unwrap();
/// assert_eq!(v, ReleaseVersion::OMA2_2);
/// assert_eq!(v.to_string(), "OMA2.2");
/// assert!(v > ReleaseVersion::OMA1_0);
/// assert_eq!(ReleaseVersion::default(), ReleaseVersion::OMA2_0);
/// assert!("2.0".parse::<ReleaseVersion>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseVersion {
    /// The major number (`2` in `OMA2.0`).
    pub major: u16,
    /// The minor number (`0` in `OMA2.0`).
    pub minor: u16,
}

impl ReleaseVersion {
    /// OMA CPM 1.0 (2010).
    pub const OMA1_0: ReleaseVersion = ReleaseVersion::new(1, 0);
    /// OMA CPM 2.0; the library's default.
    pub const OMA2_0: ReleaseVersion = ReleaseVersion::new(2, 0);
    /// OMA CPM 2.1 (allowed by the stamp's grammar; not confirmed on live networks).
    pub const OMA2_1: ReleaseVersion = ReleaseVersion::new(2, 1);
    /// OMA CPM 2.2 (2017).
    pub const OMA2_2: ReleaseVersion = ReleaseVersion::new(2, 2);
    /// The releases the library names, oldest first.
    pub const KNOWN: [ReleaseVersion; 4] = [Self::OMA1_0, Self::OMA2_0, Self::OMA2_1, Self::OMA2_2];

    /// A release from its two numbers.
    ///
    /// ```
    /// # use cpm_client::user_agent::ReleaseVersion;
    /// assert_eq!(ReleaseVersion::new(1, 0), ReleaseVersion::OMA1_0);
    /// ```
    pub const fn new(major: u16, minor: u16) -> ReleaseVersion {
        ReleaseVersion { major, minor }
    }

    /// Whether this is one of [`ReleaseVersion::KNOWN`].
    ///
    /// ```
    /// # use cpm_client::user_agent::ReleaseVersion;
    /// assert!(ReleaseVersion::OMA2_1.is_known());
    /// assert!(!ReleaseVersion::new(3, 0).is_known());
    /// ```
    pub fn is_known(self) -> bool {
        Self::KNOWN.contains(&self)
    }

    /// Reads `OMA<major>.<minor>` at the start of `text` (the `OMA` in any case) and
    /// returns the release and the length read. Anything after the minor number is
    /// left to the caller.
    fn read_prefix(text: &str) -> Option<(ReleaseVersion, usize)> {
        let bytes = text.as_bytes();
        if bytes.len() < 3 || !bytes[..3].eq_ignore_ascii_case(b"OMA") {
            return None;
        }
        let (major, after_major) = read_number(bytes, 3)?;
        if bytes.get(after_major) != Some(&b'.') {
            return None;
        }
        let (minor, end) = read_number(bytes, after_major + 1)?;
        Some((ReleaseVersion::new(major, minor), end))
    }
}

impl Default for ReleaseVersion {
    fn default() -> Self {
        ReleaseVersion::OMA2_0
    }
}

impl fmt::Display for ReleaseVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OMA{}.{}", self.major, self.minor)
    }
}

impl FromStr for ReleaseVersion {
    type Err = ReleaseVersionError;

    /// Reads exactly `OMA<major>.<minor>` (the `OMA` in any case).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match ReleaseVersion::read_prefix(text) {
            Some((version, end)) if end == text.len() => Ok(version),
            _ => Err(ReleaseVersionError {
                text: text.chars().take(32).collect(),
            }),
        }
    }
}

/// Reads up to 5 decimal digits at `at` as a `u16`; returns the number and where it ends.
fn read_number(bytes: &[u8], at: usize) -> Option<(u16, usize)> {
    let digits = bytes
        .get(at..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let mut value: u16 = 0;
    for &b in &bytes[at..at + digits] {
        value = value.checked_mul(10)?.checked_add(u16::from(b - b'0'))?;
    }
    Some((value, at + digits))
}

/// A text that is not a release version (`OMA<major>.<minor>`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{text}` is not an OMA release version such as OMA2.0")]
pub struct ReleaseVersionError {
    text: String,
}

/// Who wrote a release stamp: a CPM Client or a CPM server (Participating or
/// Controlling Function, Message Storage, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `CPM-client`.
    Client,
    /// `CPM-serv`.
    Server,
}

impl Role {
    /// The product name of the role: `CPM-client` or `CPM-serv`.
    ///
    /// ```
    /// # use cpm_client::user_agent::Role;
    /// assert_eq!(Role::Server.product_name(), "CPM-serv");
    /// ```
    pub fn product_name(self) -> &'static str {
        match self {
            Role::Client => "CPM-client",
            Role::Server => "CPM-serv",
        }
    }

    /// The role of a product name, ignoring ASCII case; `CPM-server` is taken as
    /// `CPM-serv`, as some servers write it.
    fn from_product_name(name: &str) -> Option<Role> {
        if name.eq_ignore_ascii_case("CPM-client") {
            Some(Role::Client)
        } else if name.eq_ignore_ascii_case("CPM-serv") || name.eq_ignore_ascii_case("CPM-server") {
            Some(Role::Server)
        } else {
            None
        }
    }
}

/// The CPM release a peer announced: its role and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Release {
    /// Client or server.
    pub role: Role,
    /// The announced release.
    pub version: ReleaseVersion,
}

impl Release {
    /// Reads the CPM release from a peer's `User-Agent` or `Server` value.
    ///
    /// Lenient, as peers are: the CPM product may be any product of the list (not only
    /// the first), its name in any case; a version with more after `major.minor`
    /// (`OMA2.0.1`) gives `major.minor`. Products inside comments do not count.
    /// Anything else (no CPM product, a sibling enabler such as `IM-client/OMA1.0`, a
    /// version-less `CPM-serv`) is `None`: an unknown release is an answer, not an
    /// error, and never stops a request from being handled.
    ///
    /// ```
    /// use cpm_client::user_agent::{Release, ReleaseVersion, Role};
    ///
    /// let ua = "CPM-client/OMA2.2 RCS-client/UP_2.4 term-Acme/X1-1.0 OS-Android/13";
    /// assert_eq!(Release::of_peer(ua), Some(Release { role: Role::Client, version: ReleaseVersion::OMA2_2 }));
    /// assert_eq!(Release::of_peer("Acme/1.0 (CPM-client/OMA1.0)"), None);
    /// assert_eq!(Release::of_peer("CPM-serv"), None);
    /// assert_eq!(Release::of_peer(""), None);
    /// ```
    pub fn of_peer(value: &str) -> Option<Release> {
        products(value).find_map(|product| {
            let (name, version) = product.split_once('/')?;
            let role = Role::from_product_name(name)?;
            let (version, _) = ReleaseVersion::read_prefix(version)?;
            Some(Release { role, version })
        })
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.role.product_name(), self.version)
    }
}

/// The products of a `User-Agent` / `Server` value, comments skipped.
fn products(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = value;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if rest.is_empty() {
            return None;
        }
        if rest.starts_with('(') {
            rest = skip_comment(rest).unwrap_or_default();
            continue;
        }
        let end = rest
            .find([' ', '\t', '\r', '\n', '('])
            .unwrap_or(rest.len());
        let (product, after) = rest.split_at(end);
        rest = after;
        return Some(product);
    })
}

/// What follows the comment `text` starts with (nested comments and `\` escapes
/// honoured); `None` for a comment that is never closed.
fn skip_comment(text: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[i + 1..]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The `User-Agent` (requests) or `Server` (responses) value the library writes:
/// the release token first, then the application's products, then the library's own
/// `cpm-client/<version>`.
///
/// ```
/// use cpm_client::user_agent::{ProductStamp, ReleaseVersion};
///
/// let stamp = ProductStamp::new(ReleaseVersion::OMA1_0)
///     .with_product("MSP/1.0").unwrap()
///     .with_product("(build 7)").unwrap()
///     .without_library_product();
/// assert_eq!(stamp.to_string(), "CPM-client/OMA1.0 MSP/1.0 (build 7)");
/// assert!(ProductStamp::new(ReleaseVersion::OMA2_0).with_product("Bad\r\nX-Injected: 1").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductStamp {
    version: ReleaseVersion,
    products: String,
    library_product: bool,
}

impl ProductStamp {
    /// The stamp of a CPM Client of release `version`, with the library's product.
    pub fn new(version: ReleaseVersion) -> ProductStamp {
        ProductStamp {
            version,
            products: String::new(),
            library_product: true,
        }
    }

    /// The release this stamp announces.
    ///
    /// ```
    /// # use cpm_client::user_agent::{ProductStamp, ReleaseVersion};
    /// assert_eq!(ProductStamp::new(ReleaseVersion::OMA2_2).version(), ReleaseVersion::OMA2_2);
    /// ```
    pub fn version(&self) -> ReleaseVersion {
        self.version
    }

    /// Adds the application's product (`name` or `name/version`, RFC 3261 tokens) or
    /// comment (`(...)`), after the release token and the products added before.
    ///
    /// # Errors
    ///
    /// [`ProductError`] when `product` is neither a product nor a comment, so nothing
    /// that could break the header line (CR, LF, a stray space) reaches the wire.
    pub fn with_product(mut self, product: &str) -> Result<ProductStamp, ProductError> {
        if !is_product(product) && !is_comment(product) {
            return Err(ProductError {
                text: product.chars().take(64).collect(),
            });
        }
        self.products.push(' ');
        self.products.push_str(product);
        Ok(self)
    }

    /// Leaves out the library's own `cpm-client/<version>` product.
    pub fn without_library_product(mut self) -> ProductStamp {
        self.library_product = false;
        self
    }
}

impl Default for ProductStamp {
    fn default() -> Self {
        ProductStamp::new(ReleaseVersion::default())
    }
}

impl fmt::Display for ProductStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Role::Client.product_name(), self.version)?;
        f.write_str(&self.products)?;
        if self.library_product {
            write!(f, " cpm-client/{}", env!("CARGO_PKG_VERSION"))?;
        }
        Ok(())
    }
}

/// An application product that is neither `token[/token]` nor a `(comment)`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{text}` is not a product (token or token/token) or a comment in parentheses")]
pub struct ProductError {
    text: String,
}

fn is_product(text: &str) -> bool {
    match text.split_once('/') {
        Some((name, version)) => is_token(name.as_bytes()) && is_token(version.as_bytes()),
        None => is_token(text.as_bytes()),
    }
}

/// A comment: `(` ... `)` with balanced parentheses, printable text (UTF-8 allowed),
/// no control characters.
fn is_comment(text: &str) -> bool {
    text.starts_with('(') && !text.chars().any(|c| c.is_control()) && skip_comment(text) == Some("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_and_print() {
        for v in ReleaseVersion::KNOWN {
            assert_eq!(v.to_string().parse::<ReleaseVersion>(), Ok(v));
        }
        assert_eq!("oma2.0".parse(), Ok(ReleaseVersion::OMA2_0));
        assert_eq!("OMA10.12".parse(), Ok(ReleaseVersion::new(10, 12)));
        for bad in [
            "",
            "OMA",
            "OMA2",
            "OMA2.",
            "OMA.0",
            "OMA2.0 ",
            "OMA99999.0",
            "2.0",
            "OMA2.0.1",
        ] {
            assert!(bad.parse::<ReleaseVersion>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn peer_releases_are_read_leniently() {
        let client = |v| {
            Some(Release {
                role: Role::Client,
                version: v,
            })
        };
        let server = |v| {
            Some(Release {
                role: Role::Server,
                version: v,
            })
        };
        assert_eq!(
            Release::of_peer("CPM-client/OMA1.0 MSP/1.0"),
            client(ReleaseVersion::OMA1_0)
        );
        assert_eq!(
            Release::of_peer("cpm-CLIENT/oma2.1"),
            client(ReleaseVersion::OMA2_1)
        );
        assert_eq!(
            Release::of_peer("Acme/1 CPM-serv/OMA2.2"),
            server(ReleaseVersion::OMA2_2)
        );
        assert_eq!(
            Release::of_peer("CPM-server/OMA2.0"),
            server(ReleaseVersion::OMA2_0)
        );
        assert_eq!(
            Release::of_peer("CPM-serv/OMA2.0.1"),
            server(ReleaseVersion::OMA2_0)
        );
        assert_eq!(
            Release::of_peer("(x (y) z) CPM-client/OMA2.0"),
            client(ReleaseVersion::OMA2_0)
        );
        assert_eq!(
            Release::of_peer("  \tCPM-client/OMA2.0(c)"),
            client(ReleaseVersion::OMA2_0)
        );
        for none in [
            "IM-client/OMA1.0",
            "IM-Sever/OMA5.1",
            "IM-serv",
            "(MSP/1.0)",
            "CPM-client/2.0",
            "CPM-client/OMA",
            "CPM-client",
            "(unclosed CPM-client/OMA2.0",
            "",
        ] {
            assert_eq!(Release::of_peer(none), None, "{none:?}");
        }
    }

    #[test]
    fn products_and_comments_are_checked() {
        let stamp = ProductStamp::default();
        assert!(stamp.clone().with_product("RCS-client/UP_2.4").is_ok());
        assert!(stamp.clone().with_product("(Android; 13)").is_ok());
        assert!(stamp.clone().with_product("(a (nested) one)").is_ok());
        for bad in [
            "",
            "a b",
            "a/b/c",
            "/1",
            "a/",
            "(open",
            "(a) (b)",
            "(a)b",
            "(bad\r\n)",
            "x\r\ny: z",
        ] {
            assert!(stamp.clone().with_product(bad).is_err(), "{bad:?}");
        }
    }
}
