//! The session store: the table and encoding of `tower-sessions-sqlx-store`, with a new
//! session written in one statement. The crate's own `create` opens a transaction, checks
//! that the random id is free and inserts: four round trips, twice in every login (the
//! password step and the second step each start a session under a new id).

use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Clone, Debug)]
pub struct SessionRows {
    pool: PgPool,
    crate_store: PostgresStore,
}

impl SessionRows {
    pub fn new(pool: PgPool) -> SessionRows {
        SessionRows {
            crate_store: PostgresStore::new(pool.clone()),
            pool,
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for SessionRows {
    /// Inserts the record, drawing another id in the (128-bit) unlikely case that its id
    /// is taken: never overwrites another session.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data =
            rmp_serde::to_vec(&record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        loop {
            let inserted = sqlx::query(
                "INSERT INTO tower_sessions.session (id, data, expiry_date) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(record.expiry_date)
            .execute(&self.pool)
            .await
            .map_err(|e| session_store::Error::Backend(e.to_string()))?
            .rows_affected();
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.crate_store.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.crate_store.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.crate_store.delete(id).await
    }
}
