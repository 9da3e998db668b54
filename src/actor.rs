//! Who performs an action, as recorded in the audit trail.

use uuid::Uuid;

use crate::db::audit::AuditEvent;
use crate::domain::AuditAction;

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub staff_user_id: Option<Uuid>,
    /// `sistema`, the acting username, or `assistenza:<staff>`.
    pub label: String,
    pub client_addr: Option<String>,
}

impl Actor {
    /// The portal itself (contract ingestion, the worker).
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            staff_user_id: None,
            label: "sistema".to_owned(),
            client_addr: None,
        }
    }

    /// An anonymous visitor acting through an emailed link or a public form.
    pub fn visitor(client_addr: Option<String>) -> Actor {
        Actor {
            user_id: None,
            staff_user_id: None,
            label: "visitatore".to_owned(),
            client_addr,
        }
    }

    /// A logged-in user of a company.
    pub fn user(user_id: Uuid, username: &str, client_addr: Option<String>) -> Actor {
        Actor {
            user_id: Some(user_id),
            staff_user_id: None,
            label: username.to_owned(),
            client_addr,
        }
    }

    /// A Servizio Clienti 191 operator.
    pub fn staff(staff_user_id: Uuid, username: &str, client_addr: Option<String>) -> Actor {
        Actor {
            user_id: None,
            staff_user_id: Some(staff_user_id),
            label: format!("assistenza:{username}"),
            client_addr,
        }
    }

    /// An event by this actor on `subject_user_id` of `company_id`.
    pub fn event<'a>(
        &'a self,
        company_id: Uuid,
        subject_user_id: Option<Uuid>,
        action: AuditAction,
        details: serde_json::Value,
    ) -> AuditEvent<'a> {
        AuditEvent {
            company_id,
            actor_user_id: self.user_id,
            staff_user_id: self.staff_user_id,
            actor_label: &self.label,
            subject_user_id,
            action,
            details,
            client_addr: self.client_addr.as_deref(),
        }
    }
}
