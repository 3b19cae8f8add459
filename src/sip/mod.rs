//! Reading SIP requests, knowing nothing of CPM.
//!
//! [`IncomingRequest`] is the zero-copy view of one request; [`Method`],
//! [`KnownHeader`] and [`Header`] are its parts; [`Limits`] bounds what is read.

pub(crate) mod grammar;
mod header;
mod limits;
mod method;
mod request;
pub(crate) mod scan;

pub use grammar::split_list;
pub use header::{Header, KnownHeader};
pub use limits::Limits;
pub use method::Method;
pub use request::IncomingRequest;
