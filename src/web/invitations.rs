//! How a user's username e-mail reads on the pages (Gestione Utenze, the user's Modifica
//! page, the support sheet): when it was sent, its delivery status with the receipts, and
//! what its link is worth now ("Il link scade il …", "Link scaduto"). Times are Italian,
//! in Europe/Rome (`clock::in_rome_words`).

use time::OffsetDateTime;

use crate::clock::in_rome_words;
use crate::db::invitations::Invitation;
use crate::db::outbox::Delivery;
use crate::domain::RegistrationState;

/// One username e-mail as the pages show it.
#[derive(Debug, Clone, Default)]
pub struct InvitationView {
    /// `data-consegna`: `queued`, `sent`, `delivered`, `bounced`, `failed`, `expired`.
    pub delivery: &'static str,
    /// "Inviata il 02/12/2026 alle 14:05 · Consegnata".
    pub summary: String,
    /// Refused by the recipient's side: the address needs correcting.
    pub refused: bool,
    /// Not delivered (refused or expired): shown as an alarm.
    pub alarm: bool,
    /// `data-link`: `valido`, `scaduto`, `sostituito`, or empty when the user waits for no link.
    pub link: &'static str,
    /// "Il link scade il 09/12/2026 alle 14:05", "Link scaduto", … or empty.
    pub link_text: String,
    /// When it was queued (the history's first column).
    pub queued: String,
    pub recipient: String,
}

impl InvitationView {
    pub fn link_expired(&self) -> bool {
        self.link == "scaduto"
    }
}

/// "Inviata il … · Consegnata": when the mail server took it, then what became of it.
fn summary(inv: &Invitation, delivery: Delivery) -> String {
    let sent = inv
        .sent_at
        .map(|at| format!("Inviata il {}", in_rome_words(at)));
    match (sent, delivery) {
        (Some(sent), Delivery::Sent) => sent,
        (Some(sent), other) => format!("{sent} · {}", other.label()),
        (None, other) => other.label().to_owned(),
    }
}

fn view(inv: Invitation) -> InvitationView {
    let delivery = inv.delivery();
    InvitationView {
        delivery: delivery.as_str(),
        summary: summary(&inv, delivery),
        refused: delivery.refused(),
        alarm: delivery.refused() || delivery == Delivery::Expired,
        link: "",
        link_text: String::new(),
        queued: in_rome_words(inv.created_at),
        recipient: inv.recipient,
    }
}

/// The user's latest username e-mail; its link is spoken of only while the user has still
/// to activate (`now`: the portal's clock, which links expire by).
pub fn latest(
    inv: Invitation,
    user_state: RegistrationState,
    now: OffsetDateTime,
) -> InvitationView {
    let expires_at = inv.expires_at;
    let mut shown = view(inv);
    if let (RegistrationState::Pending, Some(expires_at)) = (user_state, expires_at) {
        if expires_at > now {
            shown.link = "valido";
            shown.link_text = format!("Il link scade il {}", in_rome_words(expires_at));
        } else {
            shown.link = "scaduto";
            shown.link_text = "Link scaduto".to_owned();
        }
    }
    shown
}

/// Every username e-mail of the user, newest first: only the newest link can still work
/// (a newer e-mail kills the older links).
pub fn history(
    sends: Vec<Invitation>,
    user_state: RegistrationState,
    now: OffsetDateTime,
) -> Vec<InvitationView> {
    sends
        .into_iter()
        .enumerate()
        .map(|(i, inv)| {
            if i == 0 {
                return latest(inv, user_state, now);
            }
            InvitationView {
                link: "sostituito",
                link_text: "Sostituito da un invio successivo".to_owned(),
                ..view(inv)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::delivery_receipts::ReceiptStatus;
    use crate::db::outbox::MessageState;
    use time::macros::datetime;

    fn sent(receipt: Option<ReceiptStatus>) -> Invitation {
        Invitation {
            recipient: "luca@example.it".to_owned(),
            state: MessageState::Sent,
            receipt_status: receipt,
            receipt_at: None,
            created_at: datetime!(2026-12-02 13:05 UTC),
            sent_at: Some(datetime!(2026-12-02 13:05 UTC)),
            expires_at: Some(datetime!(2026-12-09 13:05 UTC)),
        }
    }

    #[test]
    fn a_sent_invitation_reads_when_it_left_and_what_became_of_it() {
        let now = datetime!(2026-12-03 10:00 UTC);
        let pending = RegistrationState::Pending;
        let plain = latest(sent(None), pending, now);
        assert_eq!(plain.summary, "Inviata il 02/12/2026 alle 14:05");
        assert_eq!(plain.link_text, "Il link scade il 09/12/2026 alle 14:05");
        let delivered = latest(sent(Some(ReceiptStatus::Delivered)), pending, now);
        assert_eq!(
            delivered.summary,
            "Inviata il 02/12/2026 alle 14:05 · Consegnata"
        );
        let bounced = latest(sent(Some(ReceiptStatus::Bounced)), pending, now);
        assert!(bounced.refused && bounced.alarm);
        assert_eq!(bounced.delivery, "bounced");
    }

    #[test]
    fn the_link_expires_by_the_portal_clock_and_only_matters_before_activation() {
        let later = datetime!(2026-12-09 13:06 UTC);
        let expired = latest(sent(None), RegistrationState::Pending, later);
        assert!(expired.link_expired());
        assert_eq!(expired.link_text, "Link scaduto");
        let active = latest(sent(None), RegistrationState::Active, later);
        assert_eq!((active.link, active.link_text.as_str()), ("", ""));
        let all = history(
            vec![sent(None), sent(None)],
            RegistrationState::Pending,
            later,
        );
        assert_eq!(
            all.iter().map(|v| v.link).collect::<Vec<_>>(),
            ["scaduto", "sostituito"]
        );
    }
}
