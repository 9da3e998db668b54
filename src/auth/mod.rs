//! Who is asking: password hashing, login sessions (customers and staff; the customers'
//! list of sessions and the browsers they came from) and login throttling. Nothing here
//! knows HTTP: the extractors that apply these rules to a request are in `web::kit`.

pub mod factor_step;
pub mod factors;
pub mod login;
pub mod new_browser;
pub mod password;
pub mod second_step;
pub mod session;
pub mod session_list;
pub mod staff;
pub mod staff_step;
pub mod throttle;

pub use password::{HashError, PasswordHasher};
pub use session::SessionAuth;
