//! The five CPM services and their ICSI values, matched in place.
//!
//! A CPM service is named by a 3GPP IMS Communication Service Identifier (ICSI), a URN
//! carried in the `+g.3gpp.icsi-ref` feature parameter. On the wire the URN is usually
//! percent-encoded (`urn%3Aurn-7%3A3gpp-service...`), sometimes not, and the hex may be
//! either case. [`FeatureTag::match_value`] compares one written value with the five
//! URNs while decoding it byte by byte: no copy, no allocation.
//!
//! # The `ims-icsi` spelling
//!
//! The document this project started from spells the deferred service
//! `3gpp-service.ims-icsi.oma.cpm.deferred`. The registered ICSI is
//! `3gpp-service.ims.icsi.oma.cpm.deferred` (every 3GPP ICSI has the shape
//! `urn:urn-7:3gpp-service.ims.icsi.<service>`), and no network sends the hyphenated
//! form. It is **not** accepted as an alias: a request carrying only that spelling has no
//! CPM tag. Accepting it would make the matcher disagree with every other 3GPP element
//! about which service a request asks for.

use std::fmt;

/// One of the five CPM services that route a request, each named by its ICSI.
///
/// ```
/// use cpm_client::FeatureTag;
///
/// let tag = FeatureTag::Session;
/// assert_eq!(tag.urn(), "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session");
/// assert_eq!(tag.short_name(), "session");
/// assert_eq!(FeatureTag::match_value(b"urn%3aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"), Some(tag));
/// assert_eq!(FeatureTag::match_value(b"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.sessionx"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeatureTag {
    /// `oma.cpm.msg`: Pager Mode standalone messages.
    Msg,
    /// `oma.cpm.largemsg`: Large Message Mode standalone messages.
    LargeMsg,
    /// `oma.cpm.deferred`: delivery of stored (deferred) messages.
    Deferred,
    /// `oma.cpm.session`: CPM sessions (1-1 and group chat).
    Session,
    /// `oma.cpm.filetransfer`: CPM file transfer.
    FileTransfer,
}

/// What every CPM ICSI starts with.
const PREFIX: &[u8] = b"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.";
/// The same, with its colons percent-encoded as Accept-Contact usually carries it.
const ENCODED_PREFIX: &[u8] = b"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.";

impl FeatureTag {
    /// All five, in a fixed order: msg, largemsg, deferred, session, filetransfer.
    pub const ALL: [FeatureTag; 5] = [
        FeatureTag::Msg,
        FeatureTag::LargeMsg,
        FeatureTag::Deferred,
        FeatureTag::Session,
        FeatureTag::FileTransfer,
    ];

    /// The short name used by the routing contract: `msg`, `largemsg`, `deferred`,
    /// `session`, `filetransfer`.
    pub const fn short_name(self) -> &'static str {
        match self {
            FeatureTag::Msg => "msg",
            FeatureTag::LargeMsg => "largemsg",
            FeatureTag::Deferred => "deferred",
            FeatureTag::Session => "session",
            FeatureTag::FileTransfer => "filetransfer",
        }
    }

    /// The ICSI URN, not encoded.
    pub const fn urn(self) -> &'static str {
        match self {
            FeatureTag::Msg => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg",
            FeatureTag::LargeMsg => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg",
            FeatureTag::Deferred => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred",
            FeatureTag::Session => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session",
            FeatureTag::FileTransfer => "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer",
        }
    }

    /// The ICSI URN with its colons percent-encoded, as a `+g.3gpp.icsi-ref` value
    /// carries it (RFC 3840 string values cannot hold a bare `:` in every stack).
    ///
    /// ```
    /// use cpm_client::FeatureTag;
    ///
    /// assert_eq!(FeatureTag::Msg.encoded_urn(), "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg");
    /// ```
    pub const fn encoded_urn(self) -> &'static str {
        match self {
            FeatureTag::Msg => "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg",
            FeatureTag::LargeMsg => "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg",
            FeatureTag::Deferred => "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred",
            FeatureTag::Session => "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session",
            FeatureTag::FileTransfer => "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer",
        }
    }

    /// The tag with this short name.
    pub fn from_short_name(name: &str) -> Option<FeatureTag> {
        FeatureTag::ALL.into_iter().find(|t| t.short_name() == name)
    }

    /// Which CPM service one written tag-value names, if any.
    ///
    /// The value is taken as written between the commas of a `+g.3gpp.icsi-ref` value
    /// (quotes already removed): `%XX` escapes are decoded with either hex case, a
    /// backslash escape stands for the byte after it, and the decoded URN must equal one
    /// of the five exactly, ignoring ASCII case. A longer URN (`...oma.cpm.msgx`,
    /// `...oma.cpm.session.group`), a truncated or invalid escape, and the `ims-icsi`
    /// misspelling are no match. The caller handles `!` negation before calling.
    pub fn match_value(value: &[u8]) -> Option<FeatureTag> {
        // The two spellings networks send, compared in one go; any other goes through
        // the byte-by-byte decoder below.
        for prefix in [ENCODED_PREFIX, PREFIX] {
            if let Some(head) = value.get(..prefix.len()) {
                let service = &value[prefix.len()..];
                // Networks write the prefix in lower case: one plain comparison
                // before the comparison that ignores case.
                // A service name is a few bytes: one pass for both escapes.
                if (head == prefix || head.eq_ignore_ascii_case(prefix))
                    && !service.iter().any(|&b| b == b'%' || b == b'\\')
                {
                    return FeatureTag::from_service(service);
                }
            }
        }
        let mut decoded = Decoded::new(value);
        for &expected in PREFIX {
            if !decoded.next()??.eq_ignore_ascii_case(&expected) {
                return None;
            }
        }
        // The longest service name, "filetransfer", has 12 bytes.
        let mut service = [0u8; 12];
        let mut len = 0;
        for byte in decoded {
            *service.get_mut(len)? = byte?;
            len += 1;
        }
        FeatureTag::from_service(&service[..len])
    }

    /// The tag whose URN ends in `service` (what follows `...oma.cpm.`), any case.
    fn from_service(service: &[u8]) -> Option<FeatureTag> {
        FeatureTag::ALL
            .into_iter()
            .find(|tag| tag.urn().as_bytes()[PREFIX.len()..].eq_ignore_ascii_case(service))
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for FeatureTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// Decodes a written tag-value byte by byte: `%XX` and `\x` escapes. Yields `None` for
/// an escape that does not decode; the value then names no service.
struct Decoded<'a> {
    rest: &'a [u8],
}

impl<'a> Decoded<'a> {
    fn new(value: &'a [u8]) -> Self {
        Decoded { rest: value }
    }
}

impl Iterator for Decoded<'_> {
    type Item = Option<u8>;

    fn next(&mut self) -> Option<Option<u8>> {
        let (&first, rest) = self.rest.split_first()?;
        let (byte, rest) = match (first, rest) {
            (b'%', [hi, lo, rest @ ..]) => match (hex(*hi), hex(*lo)) {
                (Some(hi), Some(lo)) => (Some(hi << 4 | lo), rest),
                _ => (None, &[][..]),
            },
            (b'%', _) => (None, &[][..]),
            (b'\\', [escaped, rest @ ..]) => (Some(*escaped), rest),
            (byte, rest) => (Some(byte), rest),
        };
        self.rest = rest;
        Some(byte)
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A set of [`FeatureTag`]s: five bits, `Copy`, iterated in [`FeatureTag::ALL`] order.
///
/// ```
/// use cpm_client::{FeatureTag, TagSet};
///
/// let mut tags = TagSet::EMPTY;
/// tags.insert(FeatureTag::Session);
/// tags.insert(FeatureTag::Msg);
/// assert!(tags.contains(FeatureTag::Session));
/// assert_eq!(tags.iter().collect::<Vec<_>>(), [FeatureTag::Msg, FeatureTag::Session]);
/// assert_eq!(tags.to_string(), "msg,session");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TagSet(u8);

impl TagSet {
    /// No tag.
    pub const EMPTY: TagSet = TagSet(0);

    /// Adds a tag.
    pub fn insert(&mut self, tag: FeatureTag) {
        self.0 |= tag.bit();
    }

    /// The set with `tag` added.
    ///
    /// ```
    /// use cpm_client::{FeatureTag, TagSet};
    ///
    /// let set = TagSet::EMPTY.with(FeatureTag::Session);
    /// assert!(set.contains(FeatureTag::Session) && set.len() == 1);
    /// ```
    pub const fn with(self, tag: FeatureTag) -> TagSet {
        TagSet(self.0 | tag.bit())
    }

    /// The set as a Contact feature parameter,
    /// `;+g.3gpp.icsi-ref="<urn>,<urn>"` with the URNs percent-encoded, or nothing for
    /// an empty set.
    ///
    /// ```
    /// use cpm_client::{FeatureTag, TagSet};
    ///
    /// let set = TagSet::EMPTY.with(FeatureTag::Msg).with(FeatureTag::Session);
    /// assert_eq!(
    ///     set.icsi_ref_param().to_string(),
    ///     ";+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\""
    /// );
    /// assert_eq!(TagSet::EMPTY.icsi_ref_param().to_string(), "");
    /// ```
    pub fn icsi_ref_param(self) -> impl fmt::Display {
        IcsiRefParam(self)
    }

    /// Whether the tag is in the set.
    pub const fn contains(self, tag: FeatureTag) -> bool {
        self.0 & tag.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many tags the set holds.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The tags, in [`FeatureTag::ALL`] order.
    pub fn iter(self) -> Iter {
        Iter { set: self, next: 0 }
    }
}

/// See [`TagSet::icsi_ref_param`].
struct IcsiRefParam(TagSet);

impl fmt::Display for IcsiRefParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tags = self.0.iter();
        let Some(first) = tags.next() else {
            return Ok(());
        };
        write!(f, ";+g.3gpp.icsi-ref=\"{}", first.encoded_urn())?;
        for tag in tags {
            write!(f, ",{}", tag.encoded_urn())?;
        }
        f.write_str("\"")
    }
}

impl FromIterator<FeatureTag> for TagSet {
    fn from_iter<I: IntoIterator<Item = FeatureTag>>(iter: I) -> Self {
        let mut set = TagSet::EMPTY;
        for tag in iter {
            set.insert(tag);
        }
        set
    }
}

impl IntoIterator for TagSet {
    type Item = FeatureTag;
    type IntoIter = Iter;

    fn into_iter(self) -> Iter {
        self.iter()
    }
}

/// The tags of a [`TagSet`], in [`FeatureTag::ALL`] order.
#[derive(Debug, Clone)]
pub struct Iter {
    set: TagSet,
    next: usize,
}

impl Iterator for Iter {
    type Item = FeatureTag;

    fn next(&mut self) -> Option<FeatureTag> {
        while let Some(&tag) = FeatureTag::ALL.get(self.next) {
            self.next += 1;
            if self.set.contains(tag) {
                return Some(tag);
            }
        }
        None
    }
}

impl fmt::Display for TagSet {
    /// The short names joined by commas, as in the tests' `expected.tsv` files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, tag) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(tag.short_name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_urn_matches_itself_encoded_or_not() {
        for tag in FeatureTag::ALL {
            let urn = tag.urn();
            assert_eq!(FeatureTag::match_value(urn.as_bytes()), Some(tag));
            for colon in ["%3A", "%3a"] {
                let encoded = urn.replace(':', colon);
                assert_eq!(
                    FeatureTag::match_value(encoded.as_bytes()),
                    Some(tag),
                    "{encoded}"
                );
            }
            let upper = urn.to_ascii_uppercase();
            assert_eq!(FeatureTag::match_value(upper.as_bytes()), Some(tag));
            let every_byte_encoded: String = urn.bytes().map(|b| format!("%{b:02x}")).collect();
            assert_eq!(
                FeatureTag::match_value(every_byte_encoded.as_bytes()),
                Some(tag)
            );
        }
    }

    #[test]
    fn near_misses_are_no_match() {
        for value in [
            "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msgx",
            "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group",
            "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.",
            "urn:urn-7:3gpp-service.ims.icsi.oma.cpm",
            "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.systemmsg",
            "urn:urn-7:3gpp-service.ims-icsi.oma.cpm.deferred",
            "urn:urn-7:3gppservice.ims.icsi.oma.cpm.msg",
            "urn:urn-7:3gpp-application.ims.iari.rcs.fthttp",
            " urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg",
            "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg%3",
            "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.ms%",
            "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.ms%6",
            "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.ms%zz",
            "urn%3",
            "",
        ] {
            assert_eq!(FeatureTag::match_value(value.as_bytes()), None, "{value}");
        }
    }

    #[test]
    fn escapes_after_the_common_prefix_are_decoded_too() {
        let value = b"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.m%73g";
        assert_eq!(FeatureTag::match_value(value), Some(FeatureTag::Msg));
        let value = b"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.%53ession";
        assert_eq!(FeatureTag::match_value(value), Some(FeatureTag::Session));
        let value = b"urn%3Aurn-7:3gpp-service.ims.icsi.oma.cpm.deferred";
        assert_eq!(FeatureTag::match_value(value), Some(FeatureTag::Deferred));
        let value = b"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.ms%";
        assert_eq!(FeatureTag::match_value(value), None);
    }

    #[test]
    fn backslash_escapes_stand_for_their_byte() {
        let value = br"urn\:urn-7:3gpp-service.ims.icsi.oma.cpm.\msg";
        assert_eq!(FeatureTag::match_value(value), Some(FeatureTag::Msg));
    }

    #[test]
    fn tag_sets_hold_each_tag_once() {
        let set: TagSet = [FeatureTag::Deferred, FeatureTag::Msg, FeatureTag::Deferred]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 2);
        assert_eq!(set.to_string(), "msg,deferred");
        assert!(TagSet::EMPTY.is_empty());
        for tag in FeatureTag::ALL {
            assert_eq!(FeatureTag::from_short_name(tag.short_name()), Some(tag));
        }
    }
}
