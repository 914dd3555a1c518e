//! Integration tests of the provisioning crate, as one test binary.

mod adoption;
mod fixture;
mod guard_rails;
mod plans;
mod properties;
mod validation;
