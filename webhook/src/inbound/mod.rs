//! One request to `/inbound/<id>`, from trusted bytes to a delivered command,
//! without the HTTP framework:
//!
//! 1. [`verification`]: the request as received becomes a verified one (the
//!    form decoded once, the signature checked against the URL Twilio
//!    signed, rebuilt by [`public_url`]);
//! 2. [`request_context`]: the verified request becomes the FEEL `request`
//!    context;
//! 3. [`pipeline`]: the webhook's expressions decide (activation condition,
//!    variables, correlation key, message id) and build the command;
//! 4. [`delivery`]: the command is committed to the outbox or sent to Zeebe.
//!
//! The handler in [`crate::http::handlers`] runs these steps in order and
//! turns the result into the reply.

pub mod delivery;
pub mod pipeline;
pub mod public_url;
pub mod request_context;
pub mod verification;
