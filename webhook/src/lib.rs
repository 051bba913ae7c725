//! The webhook service: Twilio-verified `/inbound/<id>` → FEEL → Zeebe.
pub mod form;
pub mod twilio;
pub mod zeebe;
