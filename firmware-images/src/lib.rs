//! Recipes for agent-box images and signed update bundles.
//!
//! Nothing is built here yet: the fleet and OTA issues fill this crate.
