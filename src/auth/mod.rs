//! Who is asking: password hashing, login sessions and CSRF protection.

pub mod csrf;
pub mod password;
pub mod session;
pub mod staff;
pub mod throttle;

pub use csrf::{CsrfForm, CsrfToken};
pub use password::PasswordHasher;
pub use session::{CurrentUser, SessionAuth};
