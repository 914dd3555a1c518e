//! Integration tests of billing-core, as one test binary.
