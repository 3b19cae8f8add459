//! [`NameAddr`]: an address as From, To, Contact, P-Asserted-Identity and Referred-By
//! write it, read without copying.

use super::grammar::{self, ParamValue};

/// One address of a From, To, Contact, P-Asserted-Identity or Referred-By value:
/// `["Display Name"] <URI> *(;param)` or a bare `URI *(;param)`.
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
    /// [`crate::sip::split_list`] first for list headers).
    pub fn parse(value: &'a [u8]) -> Option<NameAddr<'a>> {
        let value = grammar::trim_lws(value);
        let (after_uri, uri) = grammar::address(value, value).ok()?;
        let display_name = display_name(value, uri);
        let rest = grammar::params(
            value,
            after_uri,
            usize::MAX,
            |_| crate::ParseErrorKind::BadContact(""),
            |_| Ok(()),
        )
        .ok()?;
        if !rest.is_empty() {
            return None;
        }
        Some(NameAddr {
            display_name,
            uri,
            params: grammar::trim_lws(after_uri),
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
    /// value, quotes removed from a quoted value; `None` when absent.
    ///
    /// ```
    /// # use cpm_client::sip::NameAddr;
    /// let contact = NameAddr::parse(br#"<sip:f@example.net>;ISFOCUS;+sip.instance="<urn:uuid:1>""#).unwrap();
    /// assert_eq!(contact.param("isfocus"), Some(&b""[..]));
    /// assert_eq!(contact.param("+sip.instance"), Some(&b"<urn:uuid:1>"[..]));
    /// assert_eq!(contact.param("expires"), None);
    /// ```
    pub fn param(&self, name: &str) -> Option<&'a [u8]> {
        let mut found = None;
        let _ = grammar::params(
            self.params,
            self.params,
            usize::MAX,
            |_| crate::ParseErrorKind::BadContact(""),
            |p| {
                if found.is_none() && p.name.eq_ignore_ascii_case(name.as_bytes()) {
                    found = Some(match p.value {
                        None => &b""[..],
                        Some(ParamValue::Quoted(v) | ParamValue::Bare(v)) => v,
                    });
                }
                Ok(())
            },
        );
        found
    }

    /// The `tag` parameter (From and To); a `tag` without a value is no tag.
    pub fn tag(&self) -> Option<&'a [u8]> {
        self.param("tag").filter(|tag| !tag.is_empty())
    }
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
        ] {
            assert_eq!(
                NameAddr::parse(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
