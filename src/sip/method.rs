//! Request methods.

use std::fmt;

/// A SIP request method.
///
/// Method names are case-sensitive (RFC 3261 section 7.1): `invite` is not
/// [`Method::Invite`] but an extension method, and routes as not-CPM.
///
/// # Example
///
/// ```
/// use cpm_client::Method;
///
/// assert_eq!(Method::parse(b"MESSAGE"), Method::Message);
/// assert_eq!(Method::parse(b"invite"), Method::Extension("invite"));
/// assert_eq!(Method::Invite.as_str(), "INVITE");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// INVITE (RFC 3261).
    Invite,
    /// ACK (RFC 3261).
    Ack,
    /// BYE (RFC 3261).
    Bye,
    /// CANCEL (RFC 3261).
    Cancel,
    /// REGISTER (RFC 3261).
    Register,
    /// OPTIONS (RFC 3261).
    Options,
    /// PRACK (RFC 3262).
    Prack,
    /// SUBSCRIBE (RFC 6665).
    Subscribe,
    /// NOTIFY (RFC 6665).
    Notify,
    /// PUBLISH (RFC 3903).
    Publish,
    /// INFO (RFC 6086).
    Info,
    /// REFER (RFC 3515).
    Refer,
    /// MESSAGE (RFC 3428).
    Message,
    /// UPDATE (RFC 3311).
    Update,
    /// Any other token, as written in the request.
    Extension(&'a str),
}

impl<'a> Method<'a> {
    /// Reads a method token. Bytes that are not a token give an extension method with
    /// an empty name; the request reader rejects those before it gets here.
    pub fn parse(token: &'a [u8]) -> Method<'a> {
        match token {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"REGISTER" => Method::Register,
            b"OPTIONS" => Method::Options,
            b"PRACK" => Method::Prack,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"PUBLISH" => Method::Publish,
            b"INFO" => Method::Info,
            b"REFER" => Method::Refer,
            b"MESSAGE" => Method::Message,
            b"UPDATE" => Method::Update,
            other => Method::Extension(std::str::from_utf8(other).unwrap_or_default()),
        }
    }

    /// The method name as written on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Publish => "PUBLISH",
            Method::Info => "INFO",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Update => "UPDATE",
            Method::Extension(name) => name,
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_method_round_trips() {
        for name in [
            "INVITE",
            "ACK",
            "BYE",
            "CANCEL",
            "REGISTER",
            "OPTIONS",
            "PRACK",
            "SUBSCRIBE",
            "NOTIFY",
            "PUBLISH",
            "INFO",
            "REFER",
            "MESSAGE",
            "UPDATE",
        ] {
            let method = Method::parse(name.as_bytes());
            assert!(!matches!(method, Method::Extension(_)), "{name}");
            assert_eq!(method.as_str(), name);
        }
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(Method::parse(b"Message"), Method::Extension("Message"));
        assert_eq!(Method::parse(b"RE%47IST%45R").as_str(), "RE%47IST%45R");
    }
}
