//! Pure provisioning logic.
