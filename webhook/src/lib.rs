//! The webhook service: Twilio-verified `/inbound/<id>` → FEEL → Zeebe.

pub mod zeebe;
