//! One delivery attempt of a claimed outbox message and the record of its outcome, with
//! the retry policy: temporary failures are retried with capped exponential backoff (with
//! jitter) until the message's horizon (`expires_at`: its link or code dies), then the
//! message is `expired`; permanent ones are `failed` at once. An outage of hours is
//! survived: nothing is given up for having been tried many times.

use std::time::Duration;

use rand::RngExt as _;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::worker::WorkerSettings;
use super::{DeliveryError, OutgoingEmail, OutgoingSms, Transports};
use crate::clock::Clock;
use crate::db::outbox::{self, Channel, OutboxMessage};
use crate::domain::{EmailAddress, PhoneNumber};

/// Longest delay between two attempts at the same message (or job): once the relay is back,
/// every message goes out within this.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

#[tracing::instrument(skip_all, fields(message_id = %message.id, template = %message.template, channel = ?message.channel, attempt = message.attempts))]
pub(super) async fn deliver_and_record(
    pool: &PgPool,
    transports: &Transports,
    settings: &WorkerSettings,
    clock: &Clock,
    message: OutboxMessage,
) {
    let recorded = if message.expired {
        // A worker (or a relay) down for longer than the link lives: sending the dead link
        // would only confuse; support and the legal representative send a fresh one.
        expire(pool, &message).await
    } else {
        let limit = settings.send_timeout;
        let outcome = tokio::time::timeout(limit, deliver(transports, &message))
            .await
            .unwrap_or_else(|_| {
                Err(DeliveryError::Transient(format!(
                    "delivery did not finish within {} s",
                    limit.as_secs()
                )))
            });
        record(pool, settings, clock.now(), &message, outcome).await
    };
    if let Err(error) = recorded {
        tracing::error!(%error, "could not record the delivery outcome; the message will be tried again after its lease");
    }
}

async fn expire(pool: &PgPool, message: &OutboxMessage) -> sqlx::Result<()> {
    let error = format!(
        "expired before it could be delivered, after {} attempts (last error: {})",
        message.attempts - 1,
        message.last_error.as_deref().unwrap_or("none")
    );
    outbox::mark_expired(pool, message.id, &error).await?;
    crate::metrics::delivery(message.channel.as_str(), "expired");
    tracing::warn!(%error, "message not delivered: expired");
    Ok(())
}

async fn deliver(transports: &Transports, message: &OutboxMessage) -> Result<(), DeliveryError> {
    let Some(text) = message.body_text.clone() else {
        // Bodies are erased only when a message is settled; a queued one without is a bug.
        return Err(DeliveryError::Permanent(
            "the message has no body (erased or never written)".into(),
        ));
    };
    match message.channel {
        Channel::Email => {
            let Some(subject) = message.subject.clone() else {
                return Err(DeliveryError::Permanent("the e-mail has no subject".into()));
            };
            let to = EmailAddress::parse(&message.recipient).map_err(|_| {
                DeliveryError::Permanent("the recipient is not a valid e-mail address".into())
            })?;
            let email = OutgoingEmail {
                message_id: message.id,
                to,
                subject,
                text,
                html: message.body_html.clone(),
            };
            transports.mailer.send(&email).await
        }
        Channel::Sms => {
            let to = PhoneNumber::parse(&message.recipient).map_err(|_| {
                DeliveryError::Permanent("the recipient is not a valid mobile number".into())
            })?;
            let sms = OutgoingSms {
                message_id: message.id,
                to,
                text,
            };
            transports.sms.send(&sms).await
        }
    }
}

async fn record(
    pool: &PgPool,
    settings: &WorkerSettings,
    now: OffsetDateTime,
    message: &OutboxMessage,
    outcome: Result<(), DeliveryError>,
) -> sqlx::Result<()> {
    let id = message.id;
    let channel = message.channel.as_str();
    match outcome {
        Ok(()) => {
            outbox::mark_sent(pool, id).await?;
            crate::metrics::delivery(channel, "sent");
            tracing::info!("message delivered");
        }
        Err(DeliveryError::Transient(error)) => {
            let delay = retry_delay(settings.retry_base, message.attempts);
            let delay = match message.expires_at {
                Some(expires_at) => retry_within(delay, now, expires_at),
                None => delay,
            };
            outbox::mark_retry(pool, id, delay, &error).await?;
            crate::metrics::delivery(channel, "retry");
            tracing::warn!(%error, retry_in_s = delay.as_secs(), "delivery failed, will retry");
        }
        Err(permanent @ DeliveryError::Permanent(_)) => {
            let error = permanent.to_string();
            outbox::mark_failed(pool, id, &error).await?;
            crate::metrics::delivery(channel, "failed");
            tracing::warn!(%error, "message not delivered: failed for good");
        }
    }
    Ok(())
}

/// `delay`, but never past the message's horizon: the last look comes when it expires (and
/// marks it so) rather than up to a backoff later.
fn retry_within(delay: Duration, now: OffsetDateTime, expires_at: OffsetDateTime) -> Duration {
    let left = Duration::try_from(expires_at - now).unwrap_or(Duration::ZERO);
    delay.min(left)
}

/// [`backoff`] with fresh random jitter.
pub(super) fn retry_delay(base: Duration, attempts: i32) -> Duration {
    backoff(base, attempts, rand::rng().random_range(-1.0..=1.0))
}

/// Delay after failed attempt number `attempts` (1 for the first): `base * 2^(attempts-1)`,
/// capped at [`MAX_BACKOFF`], then spread by `jitter` (in -1..=1) over ±25% so that messages that
/// failed together (an SMTP outage) do not all come back at the same instant.
pub fn backoff(base: Duration, attempts: i32, jitter: f64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(31);
    let delay = base.saturating_mul(1 << exponent).min(MAX_BACKOFF);
    delay.mul_f64(1.0 + 0.25 * jitter.clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(30);

    #[test]
    fn backoff_doubles_from_the_base() {
        assert_eq!(backoff(BASE, 1, 0.0), BASE);
        assert_eq!(backoff(BASE, 2, 0.0), BASE * 2);
        assert_eq!(backoff(BASE, 4, 0.0), BASE * 8);
        // Nonsense input still gives the base, not a panic.
        assert_eq!(backoff(BASE, 0, 0.0), BASE);
        assert_eq!(backoff(BASE, -3, 0.0), BASE);
    }

    #[test]
    fn backoff_is_capped_at_fifteen_minutes() {
        assert_eq!(MAX_BACKOFF, Duration::from_secs(900));
        assert_eq!(backoff(BASE, 6, 0.0), MAX_BACKOFF);
        assert_eq!(backoff(BASE, i32::MAX, 0.0), MAX_BACKOFF);
        assert_eq!(backoff(Duration::MAX, 1, 0.0), MAX_BACKOFF);
    }

    #[test]
    fn a_retry_never_falls_after_the_horizon() {
        let now = OffsetDateTime::now_utc();
        let ten_minutes = Duration::from_secs(600);
        let later = now + time::Duration::minutes(3);
        assert_eq!(
            retry_within(ten_minutes, now, later),
            Duration::from_secs(180)
        );
        assert_eq!(retry_within(BASE, now, later), BASE);
        let past = now - time::Duration::minutes(1);
        assert_eq!(retry_within(BASE, now, past), Duration::ZERO);
    }

    #[test]
    fn jitter_spreads_by_a_quarter_either_way() {
        assert_eq!(backoff(BASE, 1, -1.0), Duration::from_millis(22_500));
        assert_eq!(backoff(BASE, 1, 1.0), Duration::from_millis(37_500));
        assert_eq!(backoff(BASE, 1, 7.0), Duration::from_millis(37_500));
        for attempts in 1..=12 {
            let plain = backoff(BASE, attempts, 0.0);
            let drawn = retry_delay(BASE, attempts);
            assert!(
                drawn >= plain.mul_f64(0.75) && drawn <= plain.mul_f64(1.25),
                "{drawn:?}"
            );
        }
    }
}
