//! What the finance records added with the asset purchase, custody, maintenance
//! and supply-stocktake routes share: the date checks, and — re-exported from
//! where every domain shares them — the scoped load of one record, the office a
//! new record goes to, and the checks on a user named in a request body.

pub use kernel::actions::not_in_future;
pub use kernel::time::{now_db, today};
pub use org::scope::{office_for_create, user_of_office};
pub(crate) use store::load_scoped;
