//! keygate: a self-hosted OAuth2 authorization server that gives an application "API keys as a service".

pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod keyring;
pub mod oauth;
pub mod ops;
pub mod startup;
pub mod state;
pub mod telemetry;
