//! `Application`: everything `keygate serve` runs, built the same way by `main` and by the tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::db::Db;
use crate::keyring::{Keyring, RotationTiming};
use crate::state::AppState;
use crate::{api, background, oauth, ops, pages};

/// A bound, ready-to-run keygate server.
pub struct Application {
    port: u16,
    server: Server,
    pub state: AppState,
}

impl Application {
    /// Binds the listener, opens and migrates the database, and loads (or creates) the signing key.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        // Trusted issuers' keys are fetched over HTTPS.
        crate::crypto::install_tls_provider();
        let listener = TcpListener::bind(&config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let address = listener.local_addr()?;
        let config = Arc::new(config.with_bound_address(address));
        let master_key = Arc::new(MasterKey::load(
            config.master_key.as_ref(),
            &config.master_key_file,
        )?);
        let db_config = config.clone();
        let db = web::block(move || {
            Db::connect(
                &db_config.database_url,
                db_config.database_pool_size,
                Duration::from_secs(db_config.database_timeout_seconds),
            )
        })
        .await??;
        let keyring = Arc::new(
            Keyring::open(
                db.clone(),
                master_key,
                config.signing_alg,
                RotationTiming::scheduled(&config),
            )
            .await?,
        );
        let state = AppState::new(db, config.clone(), keyring)?;
        state
            .revocations
            .sync(&state.db)
            .await
            .context("cannot read revoked tokens")?;
        background::spawn(state.clone());
        let server = run(listener, state.clone(), &config)?;
        tracing::info!(address = %address, issuer = config.issuer(), database = crate::db::redact(&config.database_url), "keygate listening");
        Ok(Application {
            port: address.port(),
            server,
            state,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is asked to stop, then writes what is still queued (audit events, key uses), so a
    /// graceful stop loses none of them.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Err(error) = self.state.audit.flush(&self.state.db).await {
            tracing::error!(error = %error, "audit events queued at shutdown could not be written");
        }
        self.state.usage.flush(&self.state.db).await;
        served
    }
}

fn run(listener: TcpListener, state: AppState, config: &Config) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(actix_web::middleware::from_fn(
                crate::request_body::bounded_body,
            ))
            .wrap(actix_web::middleware::from_fn(
                crate::request_log::request_log,
            ))
            .configure(ops::configure)
            .configure(oauth::configure)
            .configure(api::configure)
            .configure(pages::configure)
            .route("/openapi.json", web::get().to(crate::openapi::document))
    })
    // Slow or idle clients and connection floods are bounded; a stop lets requests in flight finish.
    .client_request_timeout(Duration::from_secs(config.request_timeout_seconds))
    .keep_alive(Duration::from_secs(config.keep_alive_seconds))
    .max_connections(config.max_connections)
    .shutdown_timeout(config.shutdown_grace_seconds)
    .listen(listener)?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// `keygate serve`: builds the application and runs it until it is stopped.
pub fn serve(config: Config) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config).await?;
        app.run_until_stopped().await?;
        Ok(())
    })
}
