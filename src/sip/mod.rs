//! Reading SIP requests, knowing nothing of CPM.
//!
//! [`IncomingRequest`] is the zero-copy view of one request and [`IncomingResponse`]
//! of one response; [`Method`], [`KnownHeader`] and [`Header`] are their parts;
//! [`Limits`] bounds what is read. On a stream transport (TCP, TLS),
//! [`StreamReader`] cuts the byte stream into the messages to give them.

pub(crate) mod grammar;
mod header;
mod limits;
mod method;
mod name_addr;
mod request;
mod response;
pub(crate) mod scan;
mod stream;

pub use grammar::split_list;
pub use header::{Header, KnownHeader};
pub use limits::Limits;
pub use method::Method;
pub use name_addr::NameAddr;
pub use request::IncomingRequest;
pub use response::IncomingResponse;
pub use stream::{StreamError, StreamErrorKind, StreamItem, StreamReader};
