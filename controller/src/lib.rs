//! The Setu controller (CRM, billing, payments, fleet). Filled by the controller issues.
