//! What the personnel records share: the shape of a created response and the
//! state check; the time, today's date and the department a user works in (for
//! the department supervisor's approval step) are re-exported from where every
//! domain shares them.

pub use kernel::actions::{allow, created};
pub use kernel::time::{now_db, today};
pub use org::scope::department_of;
