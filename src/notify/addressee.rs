//! Whom an e-mail about a user's own account greets, and the company it names: read once
//! from the database where the message is queued, lent to `messages` as a [`Recipient`].

use sqlx::PgConnection;

use crate::db::companies;
use crate::db::users::User;
use crate::notify::messages::Recipient;

pub struct Addressee {
    first_name: String,
    company: String,
}

impl Addressee {
    /// `user`, with the name of their company.
    pub async fn of(conn: &mut PgConnection, user: &User) -> sqlx::Result<Addressee> {
        Ok(Addressee {
            first_name: user.first_name.clone(),
            company: companies::name_of(conn, user.company_id).await?,
        })
    }

    pub fn recipient(&self) -> Recipient<'_> {
        Recipient {
            first_name: &self.first_name,
            company: &self.company,
        }
    }
}
