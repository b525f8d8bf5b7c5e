//! What the risk records share: the shape of a created response, the state
//! check and the time.

pub use kernel::actions::{allow, created};
pub use kernel::time::now_db;
