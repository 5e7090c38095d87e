//! Logging: JSON when stdout is not a terminal, text otherwise; `KEYGATE_LOG_FORMAT=json|text` overrides,
//! `KEYGATE_LOG` (or `RUST_LOG`) sets the filter.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls do nothing.
pub fn init() {
    let filter = std::env::var("KEYGATE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    let json = match std::env::var("KEYGATE_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stdout().is_terminal(),
    };
    // A closed stderr must not take the server down: by default tracing reports a failed write with
    // eprintln!, which panics when stderr itself is what failed.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().log_internal_errors(false).try_init()
    } else {
        builder.log_internal_errors(false).try_init()
    };
}
