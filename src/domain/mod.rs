//! Domain values of the Area Clienti: the validated types that everything else receives
//! instead of raw strings (e-mail, mobile number, Partita IVA, username, password, person
//! name, profile and registration state), and `DomainError`, whose Italian messages are
//! shown next to form fields and in API validation errors.

pub mod email;
pub mod error;
pub mod name;
pub mod password;
pub mod phone;
pub mod profile;
pub mod text;
pub mod trusted_proxies;
pub mod user_agent;
pub mod username;
pub mod vat;
pub mod vocabulary;

pub use email::EmailAddress;
pub use error::DomainError;
pub use name::PersonName;
pub use password::{Password, PasswordError};
pub use phone::PhoneNumber;
pub use profile::{Profile, RegistrationState};
pub use trusted_proxies::TrustedProxies;
pub use username::Username;
pub use vat::VatNumber;
pub use vocabulary::{AuditAction, MessageKind};
