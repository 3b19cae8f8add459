//! Accept-Contact values (RFC 3841 section 9.2) and the CPM tags in their feature
//! parameters.
//!
//! ```text
//! Accept-Contact = ("Accept-Contact" / "a") HCOLON ac-value *(COMMA ac-value)
//! ac-value       = ("*" / name-addr) *(SEMI ac-params)
//! ac-params      = feature-param / req-param / explicit-param / generic-param
//! ```
//!
//! Only the `+g.3gpp.icsi-ref` parameter (name in any case) names CPM services. Its
//! value is a quoted, comma-separated list of tag-values (RFC 3840), or one bare value
//! as some networks send it; a tag-value starting with `!` is a negation (the caller
//! wants a device *without* the service) and names nothing. `require` and `explicit`
//! are read and ignored: they instruct proxies, not the terminating client.

use super::{FeatureTag, TagSet};
use crate::error::{ParseErrorKind, ValueError};
use crate::sip::grammar::{self, ListItem, ParamValue};
use crate::sip::Limits;

/// The feature parameter that carries ICSI values.
const ICSI_REF: &[u8] = b"+g.3gpp.icsi-ref";

/// Reads the CPM tags of one Accept-Contact header value.
///
/// ```
/// use cpm_client::routing::accept_contact;
/// use cpm_client::{FeatureTag, Limits};
///
/// let value = br#"*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";require;explicit"#;
/// let tags = accept_contact::tags(value, &Limits::DEFAULT).unwrap();
/// assert_eq!(tags.iter().collect::<Vec<_>>(), [FeatureTag::Msg]);
///
/// assert!(accept_contact::tags(br#"*;+g.3gpp.icsi-ref="urn"#, &Limits::DEFAULT).is_err());
/// ```
pub fn tags(value: &[u8], limits: &Limits) -> Result<TagSet, ValueError> {
    let mut reader = TagReader::new(limits);
    reader.read(value)?;
    Ok(reader.tags())
}

/// Collects the CPM tags of all the Accept-Contact headers of one request, counting
/// their values against [`Limits::max_accept_contact_values`].
#[derive(Debug, Clone)]
pub(crate) struct TagReader<'l> {
    tags: TagSet,
    values: usize,
    limits: &'l Limits,
}

impl<'l> TagReader<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        TagReader {
            tags: TagSet::EMPTY,
            values: 0,
            limits,
        }
    }

    pub(crate) fn tags(&self) -> TagSet {
        self.tags
    }

    /// Reads one header value.
    pub(crate) fn read(&mut self, value: &[u8]) -> Result<(), ValueError> {
        if self.read_plain(value) {
            return Ok(());
        }
        self.read_list(value)
    }

    /// Reads the value nearly every CPM request carries, `*;+g.3gpp.icsi-ref="..."`
    /// (one value, one parameter, its name in any case, no escape in the quoted string;
    /// `;explicit;require` or `;require;explicit` may follow),
    /// in one pass; `false` for any other value, which [`TagReader::read_list`] then
    /// reads with the whole grammar (and names the fault of an invalid one). A value
    /// taken here is read by the list grammar to the same tags and count.
    #[inline]
    fn read_plain(&mut self, value: &[u8]) -> bool {
        const HEAD: &[u8; 20] = b"*;+g.3gpp.icsi-ref=\"";
        if self.values >= self.limits.max_accept_contact_values || self.limits.max_params == 0 {
            return false;
        }
        // Networks write the name in lower case: one plain comparison of a fixed
        // length before the comparison that ignores case.
        let Some((head, quoted)) = value.split_first_chunk::<20>() else {
            return false;
        };
        if head != HEAD && !head.eq_ignore_ascii_case(HEAD) {
            return false;
        }
        // `explicit` and `require` (RFC 3841 section 9.2), which a file transfer's
        // Accept-Contact often carries after the tag, instruct proxies: two more
        // parameters to count, nothing to read.
        let quoted = match quoted.last() {
            Some(b'"') => quoted,
            _ => match quoted
                .strip_suffix(b";explicit;require")
                .or_else(|| quoted.strip_suffix(b";require;explicit"))
            {
                Some(rest) if self.limits.max_params >= 3 => rest,
                _ => return false,
            },
        };
        let Some((b'"', inner)) = quoted.split_last() else {
            return false;
        };
        // One search for a quote, a backslash and the comma of a list: a single
        // tag-value, the usual case, is read with no second look for the comma.
        match memchr::memchr3(b'"', b'\\', b',', inner) {
            None => add_icsi_value(inner, &mut self.tags),
            Some(at) if inner[at] == b',' => {
                if memchr::memchr2(b'"', b'\\', &inner[at..]).is_some() {
                    return false;
                }
                add_icsi_values(Some(ParamValue::Quoted(inner)), &mut self.tags);
            }
            Some(_) => return false,
        }
        self.values += 1;
        true
    }

    /// Reads one header value with the whole Accept-Contact grammar.
    fn read_list(&mut self, value: &[u8]) -> Result<(), ValueError> {
        let max_values = self.limits.max_accept_contact_values;
        let (tags, values) = (&mut self.tags, &mut self.values);
        grammar::address_list(
            value,
            self.limits.max_params,
            ParseErrorKind::BadAcceptContact,
            grammar::name_addr,
            "value is neither '*' nor a name-addr",
            |item| {
                match item {
                    ListItem::Value(at) => {
                        *values += 1;
                        if *values > max_values {
                            let kind = ParseErrorKind::TooManyAcceptContactValues(max_values);
                            return Err(ValueError::new(kind, at));
                        }
                    }
                    ListItem::Param(param) if param.name.eq_ignore_ascii_case(ICSI_REF) => {
                        add_icsi_values(param.value, tags);
                    }
                    ListItem::Param(_) => {}
                }
                Ok(())
            },
        )
    }
}

/// Adds the services named by a `+g.3gpp.icsi-ref` value.
fn add_icsi_values(value: Option<ParamValue<'_>>, tags: &mut TagSet) {
    let list = match value {
        Some(ParamValue::Quoted(list) | ParamValue::Bare(list)) => list,
        None => return,
    };
    // One tag-value, the usual case: no splitting.
    if memchr::memchr(b',', list).is_none() {
        add_icsi_value(list, tags);
        return;
    }
    for tag_value in list.split(|&b| b == b',') {
        add_icsi_value(tag_value, tags);
    }
}

/// Adds the service named by one tag-value of a `+g.3gpp.icsi-ref` value.
#[inline]
fn add_icsi_value(tag_value: &[u8], tags: &mut TagSet) {
    let tag_value = grammar::trim_lws(tag_value);
    if tag_value.first() == Some(&b'!') {
        return;
    }
    // RFC 3840 string-values are written `<...>`; take the URN inside.
    let urn = tag_value
        .strip_prefix(b"<")
        .and_then(|v| v.strip_suffix(b">"))
        .unwrap_or(tag_value);
    if let Some(tag) = FeatureTag::match_value(urn) {
        tags.insert(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";
    const SESSION: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session";

    fn read(value: &str) -> Result<String, ParseErrorKind> {
        tags(value.as_bytes(), &Limits::DEFAULT)
            .map(|t| t.to_string())
            .map_err(|e| e.kind().clone())
    }

    #[test]
    fn the_plain_reading_agrees_with_the_list_grammar() {
        let head = "*;+g.3gpp.icsi-ref=";
        let quoted = |inner: &str| format!("{head}\"{inner}\"");
        for value in [
            quoted(MSG),
            quoted(&format!("{MSG}, {SESSION}")),
            quoted(&format!("{MSG},{SESSION},")),
            quoted(&format!("{MSG}, \\\"{SESSION}")),
            quoted(&format!("{MSG}\\,{SESSION}")),
            quoted(&format!(",{MSG}")),
            quoted(&format!("!{MSG}, <{SESSION}>")),
            quoted(""),
            format!("{}{}", quoted(MSG), ";explicit;require"),
            format!("{}{}", quoted(MSG), ";require;explicit"),
            format!("{}{}", quoted(MSG), ";require;explicit;explicit"),
            format!("{}{}", quoted(MSG), "explicit;require"),
            format!("{}{}", quoted(MSG), ";EXPLICIT;require"),
            format!("{}{}", quoted(MSG), ";explicit;require, *;explicit;require"),
            format!(
                "{}{}",
                quoted(&format!("{MSG}, {SESSION}")),
                ";require;explicit"
            ),
            format!("{}{}", quoted(&format!("{MSG}\"")), ";require;explicit"),
        ] {
            for max_params in [0, 1, 2, 3, 64] {
                let limits = Limits {
                    max_params,
                    ..Limits::DEFAULT
                };
                let (mut plain, mut list) = (TagReader::new(&limits), TagReader::new(&limits));
                let list_result = list
                    .read_list(value.as_bytes())
                    .map_err(|e| e.kind().clone());
                if plain.read_plain(value.as_bytes()) {
                    assert_eq!(list_result, Ok(()), "{value} {max_params}");
                    assert_eq!(plain.tags(), list.tags(), "{value}");
                    assert_eq!(plain.values, list.values, "{value}");
                }
            }
        }
        // The usual values are read by the plain reader.
        let limits = Limits::DEFAULT;
        for value in [
            quoted(MSG),
            format!("{}{}", quoted(MSG), ";explicit;require"),
        ] {
            assert!(
                TagReader::new(&limits).read_plain(value.as_bytes()),
                "{value}"
            );
        }
    }

    #[test]
    fn quoted_bare_listed_and_named() {
        assert_eq!(
            read(&format!("*;+g.3gpp.icsi-ref=\"{MSG}\"")).unwrap(),
            "msg"
        );
        assert_eq!(read(&format!("*;+g.3gpp.icsi-ref={MSG}")).unwrap(), "msg");
        assert_eq!(
            read(&format!("*;+G.3GPP.ICSI-REF=\"{SESSION}\"")).unwrap(),
            "session"
        );
        assert_eq!(
            read(&format!("*;+g.3gpp.icsi-ref=\"{MSG}, {SESSION}\"")).unwrap(),
            "msg,session"
        );
        assert_eq!(
            read(&format!("*;video, *;+g.3gpp.icsi-ref=\"{MSG}\"")).unwrap(),
            "msg"
        );
        assert_eq!(
            read(&format!(
                "\"Bob\" <sip:bob@example.com;lr>;+g.3gpp.icsi-ref=\"{MSG}\""
            ))
            .unwrap(),
            "msg"
        );
        assert_eq!(
            read(&format!("<sip:b@c>;+g.3gpp.icsi-ref=\"<{SESSION}>\"")).unwrap(),
            "session"
        );
        assert_eq!(
            read(&format!(
                "*;require;explicit;+g.3gpp.icsi-ref=\"{MSG}\";explicit"
            ))
            .unwrap(),
            "msg"
        );
    }

    #[test]
    fn folds_and_white_space_anywhere() {
        let v =
            format!("*\r\n ;\r\n +g.3gpp.icsi-ref\r\n\t=\r\n  \"{MSG}\" ;\r\n explicit ,\r\n *");
        assert_eq!(read(&v).unwrap(), "msg");
    }

    #[test]
    fn what_names_no_service() {
        assert_eq!(read(&format!("*;+g.3gpp.icsi-ref=\"!{MSG}\"")).unwrap(), "");
        assert_eq!(read(&format!("*;+g.3gpp.iari-ref=\"{MSG}\"")).unwrap(), "");
        assert_eq!(read(&format!("*;+g.3gpp.icsi-refx=\"{MSG}\"")).unwrap(), "");
        assert_eq!(
            read(&format!("*;x=\"+g.3gpp.icsi-ref={MSG}\"")).unwrap(),
            ""
        );
        assert_eq!(read("*;+g.3gpp.icsi-ref").unwrap(), "");
        assert_eq!(
            read(&format!("<sip:a@b;+g.3gpp.icsi-ref={MSG}>")).unwrap(),
            ""
        );
    }

    #[test]
    fn malformed_values() {
        let bad = |v: &str| matches!(read(v), Err(ParseErrorKind::BadAcceptContact(_)));
        assert!(bad(&format!("*;+g.3gpp.icsi-ref=\"{MSG}")));
        assert!(bad(""));
        assert!(bad("*;;+g.3gpp.icsi-ref=x"));
        assert!(bad("*;a,"));
        assert!(bad(", *"));
        assert!(bad("*;a *"));
        assert!(bad("+g.3gpp.icsi-ref=x"));
        assert!(bad("sip:a@b;x"));
        assert!(bad("<sip:a@b"));
        assert!(bad("*;a="));
    }

    #[test]
    fn the_one_pass_reader_agrees_with_the_list_grammar() {
        for value in [
            format!("*;+g.3gpp.icsi-ref=\"{MSG}\""),
            format!("*;+G.3GPP.ICSI-REF=\"{SESSION}\""),
            format!("*;+g.3gpp.icsi-ref=\"{MSG},{SESSION}\""),
            format!("*;+g.3gpp.icsi-ref=\"!{MSG}\""),
            format!("*;+g.3gpp.icsi-ref=\"{MSG}\";explicit"),
            format!("*;+g.3gpp.icsi-ref=\"{MSG}\\\""),
            format!("*;+g.3gpp.icsi-ref=\"{MSG}\"\""),
            "*;+g.3gpp.icsi-ref=\"\"".to_string(),
        ] {
            let limits = Limits::DEFAULT;
            let mut plain = TagReader::new(&limits);
            let mut list = TagReader::new(&limits);
            let taken = plain.read_plain(value.as_bytes());
            let full = list.read_list(value.as_bytes());
            if taken {
                assert!(full.is_ok(), "{value}");
                assert_eq!(
                    (plain.tags, plain.values),
                    (list.tags, list.values),
                    "{value}"
                );
            }
        }
        let limits = Limits {
            max_params: 0,
            ..Limits::DEFAULT
        };
        let mut reader = TagReader::new(&limits);
        assert!(!reader.read_plain(format!("*;+g.3gpp.icsi-ref=\"{MSG}\"").as_bytes()));
    }

    #[test]
    fn limits_count_values_and_params() {
        let limits = Limits {
            max_accept_contact_values: 2,
            max_params: 2,
            ..Limits::DEFAULT
        };
        let read = |v: &[u8]| tags(v, &limits).map_err(|e| e.kind().clone());
        assert!(read(b"*;a;b, *").is_ok());
        assert_eq!(
            read(b"*, *, *"),
            Err(ParseErrorKind::TooManyAcceptContactValues(2))
        );
        assert_eq!(read(b"*;a;b;c"), Err(ParseErrorKind::TooManyParams(2)));
    }
}
