//! How the worker sleeps between rounds: until a `pg_notify` on [`CHANNEL`] (written by
//! [`crate::db::outbox::enqueue`] and [`crate::db::jobs::enqueue`]) or the poll interval.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

/// The `pg_notify` channel written when a message or a job is queued.
const CHANNEL: &str = "outbox";

/// Sleeps until a notification on [`CHANNEL`] arrives. Holds one connection of the pool
/// while listening; when it breaks, the worker falls back to polling and reconnects later.
pub(super) struct Wakeup {
    pub(super) pool: PgPool,
    pub(super) listener: Option<PgListener>,
    /// [`crate::db::failover::moves`] when the listener connected: after the primary moved,
    /// a listener on the old server would hear nothing, so it is opened again.
    pub(super) listening_since_move: u64,
}

impl Wakeup {
    /// Waits for a notification, at most `poll`.
    pub(super) async fn wait(&mut self, poll: Duration) {
        // Elapsed is the ordinary "nothing happened, poll" case.
        let _ = tokio::time::timeout(poll, self.next_notification()).await;
    }

    async fn next_notification(&mut self) {
        let moves = crate::db::failover::moves();
        if self.listening_since_move != moves {
            self.listener = None;
            self.listening_since_move = moves;
        }
        if self.listener.is_none() {
            self.listener = self.connect().await;
        }
        let Some(listener) = self.listener.as_mut() else {
            return std::future::pending().await; // no listener: just poll
        };
        match listener.try_recv().await {
            // A notification, or a lost-and-reestablished connection (one may have been
            // missed): either way, look at the queue now.
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "LISTEN connection failed; polling until it is back");
                self.listener = None;
                std::future::pending::<()>().await;
            }
        }
    }

    async fn connect(&self) -> Option<PgListener> {
        let connected = async {
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        // Logged quietly: when the database is down, the claim already says so loudly.
        connected
            .await
            .map_err(|error| tracing::debug!(%error, "could not LISTEN"))
            .ok()
    }
}
