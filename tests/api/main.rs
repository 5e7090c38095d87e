//! One integration-test binary: every test starts a real keygate on a random port with a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_control;
mod access_keys;
mod authorization_code;
mod browser;
mod chromium;
mod cli;
mod client_credentials;
mod client_libraries;
mod console;
mod crash;
mod document_repository;
#[allow(dead_code)]
#[path = "../../examples/document_repository.rs"]
mod document_repository_example;
mod dpop;
mod faults;
mod fixtures;
mod helpers;
mod integrity;
mod introspection;
mod lifecycle;
mod management;
mod mcp;
mod oidc_client_ts;
mod openapi;
mod openid_connect;
mod operations;
mod private_key_jwt;
mod protocol;
mod rate_limits;
mod registration;
mod scale_out;
mod sdk;
mod sdk_js;
mod sdk_python;
mod secrets;
mod serve;
mod signing_keys;
mod snapshots;
mod token_errors;
mod trusted_identities;
mod users;
