//! Integration tests of billing-core, as one test binary.

mod fixture;
mod properties;
mod scenarios;
