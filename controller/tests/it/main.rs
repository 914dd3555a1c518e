//! The controller, started for real on port 0, against SQLite — or PostgreSQL when
//! `SETU_TEST_POSTGRES_URL` is set (then every test gets a fresh database on that server).

mod access;
mod admin;
mod api;
mod audit;
mod auth;
mod billing;
mod broker;
mod browser;
mod fleet_pages;
mod hardening;
mod helpers;
mod hostile_input;
mod idempotency;
mod jobs;
mod openapi;
mod second_factor;
mod store;
mod tenancy;
mod tokens;
mod users;
