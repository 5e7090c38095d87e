//! keygate: a self-hosted OAuth2 authorization server that gives an application "API keys as a service".

pub mod api;
pub mod audit;
pub mod background;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod keyring;
pub mod metrics;
pub mod oauth;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod rate_limit;
pub mod request_body;
pub mod request_log;
pub mod revocation;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod usage;
