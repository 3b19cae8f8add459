//! What several test files share.

/// Every header name an outgoing builder may write, in the wire order of the spec
/// reference's section 5 examples.
pub const HEADERS: [&str; 21] = [
    "Via",
    "Max-Forwards",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Expires",
    "Supported",
    "P-Preferred-Identity",
    "P-Preferred-Service",
    "Accept-Contact",
    "Conversation-ID",
    "Contribution-ID",
    "InReplyTo-Contribution-ID",
    "Session-Replaces",
    "Subject",
    "Require",
    "User-Agent",
    "Content-Type",
    "Content-Length",
];
