//! Setu edge agent.
