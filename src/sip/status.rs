//! [`StatusCode`]: a SIP response status, 100 to 699.

use std::fmt;

/// A SIP response status code (RFC 3261 section 21), always between 100 and 699.
///
/// ```
/// use cpm_client::StatusCode;
///
/// assert_eq!(StatusCode::DECLINE.code(), 603);
/// assert_eq!(StatusCode::DECLINE.canonical_reason(), "Decline");
/// assert_eq!(StatusCode::new(488), Some(StatusCode::NOT_ACCEPTABLE_HERE));
/// assert_eq!(StatusCode::new(99), None);
/// assert!(StatusCode::RINGING.is_provisional() && StatusCode::OK.is_success());
/// assert_eq!(StatusCode::new(499).unwrap().canonical_reason(), "Request Failure");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

macro_rules! status_codes {
    ($($name:ident = $code:literal, $reason:literal;)*) => {
        impl StatusCode {
            $(
                #[doc = concat!("`", stringify!($code), " ", $reason, "`")]
                pub const $name: StatusCode = StatusCode($code);
            )*

            /// The reason phrase RFC 3261 (or the RFC that defines the code) gives it;
            /// for a code without one, the name of its class.
            pub fn canonical_reason(self) -> &'static str {
                match self.0 {
                    $($code => $reason,)*
                    100..=199 => "Provisional",
                    200..=299 => "Success",
                    300..=399 => "Redirection",
                    400..=499 => "Request Failure",
                    500..=599 => "Server Failure",
                    _ => "Global Failure",
                }
            }
        }
    };
}

status_codes! {
    TRYING = 100, "Trying";
    RINGING = 180, "Ringing";
    SESSION_PROGRESS = 183, "Session Progress";
    OK = 200, "OK";
    ACCEPTED = 202, "Accepted";
    BAD_REQUEST = 400, "Bad Request";
    UNAUTHORIZED = 401, "Unauthorized";
    FORBIDDEN = 403, "Forbidden";
    NOT_FOUND = 404, "Not Found";
    METHOD_NOT_ALLOWED = 405, "Method Not Allowed";
    NOT_ACCEPTABLE = 406, "Not Acceptable";
    PROXY_AUTHENTICATION_REQUIRED = 407, "Proxy Authentication Required";
    REQUEST_TIMEOUT = 408, "Request Timeout";
    GONE = 410, "Gone";
    REQUEST_ENTITY_TOO_LARGE = 413, "Request Entity Too Large";
    UNSUPPORTED_MEDIA_TYPE = 415, "Unsupported Media Type";
    UNSUPPORTED_URI_SCHEME = 416, "Unsupported URI Scheme";
    BAD_EXTENSION = 420, "Bad Extension";
    INTERVAL_TOO_BRIEF = 423, "Interval Too Brief";
    TEMPORARILY_UNAVAILABLE = 480, "Temporarily Unavailable";
    CALL_OR_TRANSACTION_DOES_NOT_EXIST = 481, "Call/Transaction Does Not Exist";
    BUSY_HERE = 486, "Busy Here";
    REQUEST_TERMINATED = 487, "Request Terminated";
    NOT_ACCEPTABLE_HERE = 488, "Not Acceptable Here";
    SERVER_INTERNAL_ERROR = 500, "Server Internal Error";
    NOT_IMPLEMENTED = 501, "Not Implemented";
    SERVICE_UNAVAILABLE = 503, "Service Unavailable";
    VERSION_NOT_SUPPORTED = 505, "Version Not Supported";
    MESSAGE_TOO_LARGE = 513, "Message Too Large";
    BUSY_EVERYWHERE = 600, "Busy Everywhere";
    DECLINE = 603, "Decline";
    NOT_ACCEPTABLE_ANYWHERE = 606, "Not Acceptable";
}

impl StatusCode {
    /// The status `code`, if it lies between 100 and 699.
    pub const fn new(code: u16) -> Option<StatusCode> {
        if code >= 100 && code <= 699 {
            Some(StatusCode(code))
        } else {
            None
        }
    }

    /// The three-digit number (100 to 699).
    pub const fn code(self) -> u16 {
        self.0
    }

    /// 1xx.
    pub const fn is_provisional(self) -> bool {
        self.0 < 200
    }

    /// 2xx.
    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 < 300
    }

    /// 2xx to 6xx: ends the transaction.
    pub const fn is_final(self) -> bool {
        self.0 >= 200
    }
}

/// A status code compares equal to its number: `response.status() == 200`.
impl PartialEq<u16> for StatusCode {
    fn eq(&self, code: &u16) -> bool {
        self.0 == *code
    }
}

impl PartialEq<StatusCode> for u16 {
    fn eq(&self, status: &StatusCode) -> bool {
        *self == status.0
    }
}

/// A status code orders against numbers as its number does:
/// `(200..300).contains(&status)`, `status >= 400`.
impl PartialOrd<u16> for StatusCode {
    fn partial_cmp(&self, code: &u16) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(code)
    }
}

impl PartialOrd<StatusCode> for u16 {
    fn partial_cmp(&self, status: &StatusCode) -> Option<std::cmp::Ordering> {
        self.partial_cmp(&status.0)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.canonical_reason())
    }
}

impl From<StatusCode> for u16 {
    fn from(status: StatusCode) -> u16 {
        status.0
    }
}
