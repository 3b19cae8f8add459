//! [`NameAddr`]: an address as From, To, Contact, P-Asserted-Identity and Referred-By
//! write it, read without copying.

use super::grammar::{self, NamedParam, ParamValue};
use super::KnownHeader;
use crate::error::{ParseErrorKind, ValueError};

/// One address of a From, To, Contact, P-Asserted-Identity or Referred-By value:
/// `["Display Name"] <URI> *(;param)` or a bare `URI *(;param)`, the URI starting with
/// its scheme (`sip:`, `tel:`, ...).
///
/// ```
/// use cpm_client::sip::NameAddr;
///
/// let from = NameAddr::parse(br#""Alice \"A\" Smith" <sip:alice@example.net;user=phone>;tag=a73kd9"#).unwrap();
/// assert_eq!(from.display_name(), Some(&br#"Alice \"A\" Smith"#[..]));
/// assert_eq!(from.uri(), b"sip:alice@example.net;user=phone");
/// assert_eq!(from.tag(), Some(&b"a73kd9"[..]));
///
/// let bare = NameAddr::parse(b"sip:bob@example.net;tag=9").unwrap();
/// assert_eq!((bare.display_name(), bare.uri(), bare.tag()), (None, &b"sip:bob@example.net"[..], Some(&b"9"[..])));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display_name: Option<&'a [u8]>,
    uri: &'a [u8],
    params: &'a [u8],
}

impl<'a> NameAddr<'a> {
    /// Reads one address. Returns `None` when `value` is not an address followed only by
    /// parameters (a second, comma-separated address counts as "more": use
    /// [`crate::sip::split_list`] first for list headers), or when its URI has no
    /// scheme (an `addr-spec` is `scheme ":" ...`, RFC 3261 section 25.1).
    ///
    /// No parameter is read by the rules of one header here; [`NameAddr::parse_in`]
    /// does that, and says what is wrong.
    ///
    /// ```
    /// # use cpm_client::sip::NameAddr;
    /// assert!(NameAddr::parse(b"<sip:a@example.net>;tag").is_some());
    /// assert!(NameAddr::parse(b".").is_none());
    /// assert!(NameAddr::parse(b"alice@example.net").is_none());
    /// ```
    pub fn parse(value: &'a [u8]) -> Option<NameAddr<'a>> {
        read(value, &[]).ok()
    }

    /// Reads one address of a `header` value, by that header's grammar: what
    /// [`NameAddr::parse`] reads, and the parameters the grammar names with a value
    /// written as it says, each at most once in the value (RFC 3261 section 7.3.1):
    ///
    /// | header | parameters | grammar |
    /// | --- | --- | --- |
    /// | From, To | `tag`: a token (unquoted) | RFC 3261 sections 20.20, 20.39, 25.1 |
    /// | Contact | `q`: a qvalue; `expires`: delta-seconds | RFC 3261 sections 20.10, 25.1 |
    /// | Referred-By | `cid`: a quoted string | RFC 3892 section 3 |
    ///
    /// Other parameters are `generic-param`s and pass, with or without a value. Other
    /// headers (P-Asserted-Identity, Record-Route, ...) are read as
    /// [`NameAddr::parse`] reads them. A value the grammar calls a token is read as
    /// widely as every unquoted parameter value (NUL and non-ASCII bytes are data),
    /// but it must be there and not be quoted.
    ///
    /// A bare `tag` is therefore refused, not read as "no tag". RFC 3261 section 25.1
    /// writes `tag-param = "tag" EQUAL token`, so `To: <sip:b@example.net>;tag` holds
    /// no tag, and its answer cannot be written right: a UAS must add a To-tag (section
    /// 8.2.6.2), but adding one gives `;tag;tag=x`, the same parameter name twice
    /// (forbidden by section 7.3.1), of which a peer reading the first finds an empty
    /// tag and cannot match the dialog. The same holds for a quoted or empty tag and for
    /// two tags. The [`Dispatcher`](crate::Dispatcher) answers such a From or To with
    /// 400, as it answers one that is not an address.
    ///
    /// # Errors
    ///
    /// A [`ValueError`] with the offset of the fault in `value`:
    /// [`ParseErrorKind::BadAddress`] when `value` is not an address,
    /// [`ParseErrorKind::BadAddressParam`] when a named parameter is broken.
    ///
    /// ```
    /// use cpm_client::sip::{KnownHeader, NameAddr};
    /// use cpm_client::ParseErrorKind;
    ///
    /// let to = NameAddr::parse_in(KnownHeader::To, b"<sip:b@example.net>;tag=9f2").unwrap();
    /// assert_eq!(to.tag(), Some(&b"9f2"[..]));
    ///
    /// let err = NameAddr::parse_in(KnownHeader::To, b"<sip:b@example.net>;tag").unwrap_err();
    /// assert_eq!(err.kind(), &ParseErrorKind::BadAddressParam(KnownHeader::To, "tag parameter has no value"));
    /// assert_eq!(err.offset(), 20);
    /// assert_eq!(err.to_string(), "byte 20: malformed To header: tag parameter has no value");
    ///
    /// let err = NameAddr::parse_in(KnownHeader::From, b".").unwrap_err();
    /// assert_eq!(err.kind(), &ParseErrorKind::BadAddress(KnownHeader::From));
    ///
    /// // `tag` means nothing special in a Contact; `expires` does.
    /// assert!(NameAddr::parse_in(KnownHeader::Contact, b"<sip:b@192.0.2.4>;tag").is_ok());
    /// assert!(NameAddr::parse_in(KnownHeader::Contact, b"<sip:b@192.0.2.4>;expires").is_err());
    /// ```
    pub fn parse_in(header: KnownHeader, value: &'a [u8]) -> Result<NameAddr<'a>, ValueError> {
        read(value, named_params(header)).map_err(|fault| match fault {
            Fault::NotAnAddress(at) => ValueError::new(ParseErrorKind::BadAddress(header), at),
            Fault::Param(what, at) => {
                ValueError::new(ParseErrorKind::BadAddressParam(header, what), at)
            }
        })
    }

    /// The display name, without its double quotes (escapes left as written); `None`
    /// when there is none.
    pub fn display_name(&self) -> Option<&'a [u8]> {
        self.display_name
    }

    /// The URI, without the angle brackets.
    pub fn uri(&self) -> &'a [u8] {
        self.uri
    }

    /// The URI as text (URIs are ASCII; `None` if it is not UTF-8).
    pub fn uri_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.uri).ok()
    }

    /// The header parameters after the address, from the first `;` on (may be empty).
    pub fn params(&self) -> &'a [u8] {
        self.params
    }

    /// The value of parameter `name` (any case): `Some(b"")` for a parameter without a
    /// value, quotes removed from a quoted value; `None` when absent. The first one
    /// counts when the name appears twice (which [`NameAddr::parse_in`] refuses for the
    /// parameters a header's grammar names).
    ///
    /// ```
    /// # use cpm_client::sip::NameAddr;
    /// let contact = NameAddr::parse(br#"<sip:f@example.net>;ISFOCUS;+sip.instance="<urn:uuid:1>""#).unwrap();
    /// assert_eq!(contact.param("isfocus"), Some(&b""[..]));
    /// assert_eq!(contact.param("+sip.instance"), Some(&b"<urn:uuid:1>"[..]));
    /// assert_eq!(contact.param("expires"), None);
    /// ```
    pub fn param(&self, name: &str) -> Option<&'a [u8]> {
        self.param_value(name).map(|value| match value {
            None => &b""[..],
            Some(ParamValue::Quoted(v) | ParamValue::Bare(v)) => v,
        })
    }

    /// The `tag` parameter (From and To): the value of the first `tag` when it is
    /// written `tag=value`, unquoted (RFC 3261 section 25.1: `tag=token`; the value is
    /// read as widely as every unquoted parameter value). A `tag` without a value, or
    /// with a quoted one, is no tag; [`NameAddr::parse_in`] refuses both in From and To.
    pub fn tag(&self) -> Option<&'a [u8]> {
        match self.param_value("tag") {
            Some(Some(ParamValue::Bare(tag))) => Some(tag),
            _ => None,
        }
    }

    /// The first parameter called `name` (any case): `Some(None)` when it has no value.
    fn param_value(&self, name: &str) -> Option<Option<ParamValue<'a>>> {
        let mut found = None;
        let _ = grammar::params(
            self.params,
            self.params,
            usize::MAX,
            |_| ParseErrorKind::BadContact(""),
            |p| {
                if found.is_none() && p.name.eq_ignore_ascii_case(name.as_bytes()) {
                    found = Some(p.value);
                }
                Ok(())
            },
        );
        found
    }
}

/// Why an address did not read, and the offset of the fault.
enum Fault {
    NotAnAddress(usize),
    Param(&'static str, usize),
}

/// The parameters `header`'s grammar names with a value.
fn named_params(header: KnownHeader) -> &'static [NamedParam] {
    match header {
        KnownHeader::From | KnownHeader::To => grammar::FROM_TO_PARAMS,
        KnownHeader::Contact => grammar::CONTACT_PARAMS,
        KnownHeader::ReferredBy => grammar::REFERRED_BY_PARAMS,
        _ => &[],
    }
}

/// Reads one address, checking the parameters in `named`.
fn read<'a>(value: &'a [u8], named: &[NamedParam]) -> Result<NameAddr<'a>, Fault> {
    let start = grammar::lws(value);
    let (after_uri, uri) = grammar::address(value, start).map_err(Fault::NotAnAddress)?;
    let display_name = display_name(start, uri);
    let mut seen = 0;
    let mut param_fault = None;
    let rest = grammar::params(
        value,
        after_uri,
        usize::MAX,
        |_| ParseErrorKind::BadContact(""),
        |p| {
            grammar::check_named(named, &mut seen, p.name, p.value).map_err(|what| {
                let at = grammar::position(value, p.name);
                param_fault = Some(Fault::Param(what, at));
                ValueError::new(ParseErrorKind::BadContact(what), at)
            })
        },
    );
    let rest = match rest {
        Ok(rest) => rest,
        Err(e) => return Err(param_fault.unwrap_or(Fault::NotAnAddress(e.offset()))),
    };
    if !rest.is_empty() {
        return Err(Fault::NotAnAddress(grammar::offset(value, rest)));
    }
    Ok(NameAddr {
        display_name,
        uri,
        params: grammar::trim_lws(after_uri),
    })
}

/// The display name before `<uri>`: the inside of a quoted string, or the tokens
/// trimmed; `None` for a bare URI or an empty name.
fn display_name<'a>(value: &'a [u8], uri: &'a [u8]) -> Option<&'a [u8]> {
    // `uri` is a slice of `value`: where it starts tells what stands before it.
    let uri_at = (uri.as_ptr() as usize).checked_sub(value.as_ptr() as usize)?;
    let before = grammar::trim_end_lws(value.get(..uri_at.checked_sub(1)?)?);
    if before.is_empty() {
        return None;
    }
    if before.first() == Some(&b'"') {
        return grammar::quoted_string(before).ok().map(|(_, inner)| inner);
    }
    Some(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let a = NameAddr::parse(b"  Bob  Jones <sip:b@x> ;tag=1 ").unwrap();
        assert_eq!(a.display_name(), Some(&b"Bob  Jones"[..]));
        assert_eq!(a.tag(), Some(&b"1"[..]));
        let b = NameAddr::parse(b"<tel:+15550100>").unwrap();
        assert_eq!(
            (b.display_name(), b.uri(), b.params()),
            (None, &b"tel:+15550100"[..], &b""[..])
        );
        let c = NameAddr::parse(br#""" <sip:x@y>"#).unwrap();
        assert_eq!(c.display_name(), Some(&b""[..]));
        for bad in [
            &b""[..],
            b"<sip:x",
            b"<sip:a>, <sip:b>",
            b"\"open <sip:x>",
            b"<sip:a>;",
            b"<sip:a> junk",
            b".",
            b"e;tag",
            b"<>",
            b"<alice@example.net>",
            b"\"Alice\" <alice@example.net>;tag=1",
            b"1sip:a@b",
            b":a@b",
        ] {
            assert_eq!(
                NameAddr::parse(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // White space just inside the brackets (RFC 4475 badaspec) is kept.
        let d = NameAddr::parse(b"\"W\" < sip:t.watson@example.org >").unwrap();
        assert_eq!(d.uri(), b" sip:t.watson@example.org ");
    }

    #[test]
    fn tags_are_unquoted_values() {
        let tag = |v: &'static [u8]| NameAddr::parse(v).unwrap().tag();
        assert_eq!(tag(b"<sip:a@b>;TAG=x1"), Some(&b"x1"[..]));
        assert_eq!(tag(b"<sip:a@b>;tag"), None);
        assert_eq!(tag(b"<sip:a@b>;tag=\"x1\""), None);
        assert_eq!(tag(b"<sip:a@b>;tag=\"\""), None);
        assert_eq!(tag(b"<sip:a@b>;tag=a/b"), Some(&b"a/b"[..]));
        assert_eq!(tag(b"<sip:a@b>;tag=1;tag=2"), Some(&b"1"[..]));
    }

    fn fault(header: KnownHeader, value: &str) -> (ParseErrorKind, usize) {
        let e = NameAddr::parse_in(header, value.as_bytes()).unwrap_err();
        (e.kind().clone(), e.offset())
    }

    #[test]
    fn from_and_to_tags_follow_the_grammar() {
        for header in [KnownHeader::From, KnownHeader::To] {
            let bad = |what| ParseErrorKind::BadAddressParam(header, what);
            for (value, what, at) in [
                ("<sip:a@b>;tag", "tag parameter has no value", 10),
                ("<sip:a@b> ; Tag ;x=1", "tag parameter has no value", 12),
                (
                    "<sip:a@b>;tag=\"x\"",
                    "tag parameter is quoted (tag=token)",
                    10,
                ),
                (
                    "<sip:a@b>;tag=\"\"",
                    "tag parameter is quoted (tag=token)",
                    10,
                ),
                ("<sip:a@b>;tag=1;tag=1", "tag parameter appears twice", 16),
                ("<sip:a@b>;tag=1;TAG=2", "tag parameter appears twice", 16),
            ] {
                assert_eq!(fault(header, value), (bad(what), at), "{value}");
            }
            for (value, at) in [
                (".", 0),
                ("  .", 2),
                ("e;tag", 0),
                ("<.>;tag=1", 1),
                ("Bob <bob@example.net>", 5),
                ("<sip:a@b>;;", 10),
                ("<sip:a@b> x", 10),
            ] {
                assert_eq!(
                    fault(header, value),
                    (ParseErrorKind::BadAddress(header), at),
                    "{value}"
                );
            }
            for good in [
                "<sip:a@b>",
                "<sip:a@b>;tag=_token~1'+`*%!-.;other;x=\"y\"",
                "sip:a@b;user=phone;tag=1",
                "<tel:+15550100>;tag=a",
                "<sip:a@b;tag>;tag=1",
                "<sip:a@b>;tag=a/b\0",
            ] {
                assert!(
                    NameAddr::parse_in(header, good.as_bytes()).is_ok(),
                    "{good}"
                );
            }
        }
    }

    #[test]
    fn contact_and_referred_by_parameters() {
        let contact = |v: &'static str| NameAddr::parse_in(KnownHeader::Contact, v.as_bytes());
        assert!(contact("<sip:a@b>;q=0.5;expires=60;isfocus;tag").is_ok());
        for bad in [
            "<sip:a@b>;q",
            "<sip:a@b>;q=2",
            "<sip:a@b>;expires",
            "<sip:a@b>;expires=-1",
            "<sip:a@b>;expires=1;expires=2",
        ] {
            assert!(
                matches!(
                    contact(bad).unwrap_err().kind(),
                    ParseErrorKind::BadAddressParam(KnownHeader::Contact, _)
                ),
                "{bad}"
            );
        }
        let referred_by =
            |v: &'static str| NameAddr::parse_in(KnownHeader::ReferredBy, v.as_bytes());
        assert!(referred_by("<sip:r@b>;cid=\"20398823.2UWQFN309shb3@referrer.example\"").is_ok());
        assert!(referred_by("<sip:r@b>;cid").is_err());
        assert!(referred_by("<sip:r@b>;cid=bare").is_err());
        // Headers whose grammar names no parameter read as `parse` reads them.
        let pai = NameAddr::parse_in(KnownHeader::PAssertedIdentity, b"<tel:+1555>;tag");
        assert!(pai.is_ok());
        assert!(NameAddr::parse_in(KnownHeader::PAssertedIdentity, b"+1555").is_err());
    }
}
