//! The command line: `keygate serve`, `migrate`, `init`, and the admin commands. Every command that makes a
//! credential prints it once, and with `--json` prints one JSON object instead.

mod admin;
mod bench;
mod registrations;
mod token;
mod trusted_issuers;
mod users;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::db::Db;
use crate::domain::ttl::TtlOverrides;
use crate::keyring::RotationTiming;

#[derive(Debug, Parser)]
#[command(
    name = "keygate",
    version,
    about = "OAuth2 authorization server: API keys as a service"
)]
pub struct Cli {
    /// TOML configuration file; KEYGATE_* variables override it.
    #[arg(long, global = true, env = "KEYGATE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (creates the database, master key and signing key on first start).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate {
        #[arg(long)]
        json: bool,
    },
    /// Create the bootstrap global admin client (scope keygate:admin) and print its secret key once.
    Init {
        #[arg(long, default_value = "keygate admin")]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage service clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage a client's access keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage the users of a tenant.
    #[command(subcommand)]
    User(UserCommand),
    /// Console accounts of no tenant, who administer everything.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Print an access token obtained with an access key (kg_sk_… or kg_pk_…), for scripts and curl.
    Token {
        /// The access key; prefer the environment variable, so it stays out of shell history.
        #[arg(long, env = "KEYGATE_ACCESS_KEY", hide_env_values = true)]
        key: String,
        /// The client of a secret key; asked of keygate when omitted.
        #[arg(long)]
        client_id: Option<String>,
        /// Where keygate is, for secret keys (private keys name their issuer); default: the configured issuer.
        #[arg(long)]
        issuer: Option<String>,
        #[arg(long)]
        scope: Option<String>,
        /// RFC 8707 resource (repeatable).
        #[arg(long = "resource")]
        resources: Vec<String>,
        /// Print the whole token response as JSON instead of the bare token.
        #[arg(long)]
        json: bool,
    },
    /// For bench/: many clients with one secret key each, `client_id:secret` lines written to a file.
    #[command(hide = true, name = "bench-seed")]
    BenchSeed {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        count: usize,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Trust an external OIDC issuer (a CI system, Kubernetes, an identity provider): its tokens get a client's
    /// access tokens with no key (the jwt-bearer and token-exchange grants).
    #[command(subcommand, name = "trusted-issuer")]
    TrustedIssuer(TrustedIssuerCommand),
    /// Initial access tokens with which clients register themselves in a tenant (RFC 7591).
    #[command(subcommand, name = "registration-token")]
    RegistrationToken(RegistrationTokenCommand),
    /// A tenant's open registration: clients registering without an initial access token, under a strict policy.
    #[command(subcommand, name = "open-registration")]
    OpenRegistration(OpenRegistrationCommand),
    /// Manage the keys that sign access tokens.
    #[command(subcommand, name = "signing-key")]
    SigningKey(SigningKeyCommand),
    /// Manage the master key that seals signing keys in the database.
    #[command(subcommand, name = "master-key")]
    MasterKey(MasterKeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum MasterKeyCommand {
    /// Reseal every signing key with a new master key (from KEYGATE_NEW_MASTER_KEY; the current one is the configured
    /// master key). All or nothing; then restart every node with the new key.
    Rotate {
        /// The new master key, base64 of 32 bytes (openssl rand -base64 32); from the environment only.
        #[arg(
            long,
            env = "KEYGATE_NEW_MASTER_KEY",
            hide_env_values = true,
            hide = true
        )]
        new_key: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        #[arg(long)]
        name: String,
        /// Short unique name, used at sign-in.
        #[arg(long)]
        slug: String,
        #[command(flatten)]
        ttl: TtlArgs,
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create a confidential service client.
    Create {
        #[arg(long)]
        name: String,
        /// The tenant it belongs to; global when omitted.
        #[arg(long)]
        tenant: Option<String>,
        /// An allowed scope (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// A scope granted when a token request names none (repeatable; default: all allowed scopes).
        #[arg(long = "default-scope")]
        default_scopes: Vec<String>,
        /// A grant type it may use (repeatable; default: client_credentials).
        #[arg(long = "grant-type")]
        grant_types: Vec<String>,
        /// Also create a secret key and print it once.
        #[arg(long)]
        with_key: bool,
        #[command(flatten)]
        ttl: TtlArgs,
        #[arg(long)]
        json: bool,
    },
    /// List clients.
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a client with its effective token lifetimes.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client and every key it has.
    Delete {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrustedIssuerCommand {
    /// Create a trust from its JSON, as `POST /v1/trusted-issuers` takes it.
    Create {
        /// The JSON file, or `-` for standard input.
        #[arg(long)]
        file: PathBuf,
        /// The tenant whose clients the rules name; overrides the file's `tenant_id`. Absent: a global trust.
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List trusts (a tenant's, or all).
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Delete a trust; its issuer's tokens get nothing more.
    Delete {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegistrationTokenCommand {
    /// Mint an initial access token and print it once.
    Create {
        #[arg(long)]
        tenant: String,
        /// How many clients it may register (1: single use); absent: any number.
        #[arg(long)]
        max_uses: Option<i64>,
        /// Seconds until it expires; absent: it does not.
        #[arg(long)]
        expires_in: Option<i64>,
        /// A JSON file (or `-`) with the policy of the clients it registers, as the API takes it.
        #[arg(long)]
        policy: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's initial access tokens (never the tokens themselves).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete an initial access token; the clients it registered stay.
    Delete {
        #[arg(long)]
        tenant: String,
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OpenRegistrationCommand {
    /// Whether the tenant's open registration is on, and its policy.
    Show {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Turn it on (or change its policy) from a JSON file (or `-`), as `PUT …/open-registration` takes it.
    On {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Turn it off: registration needs an initial access token again.
    Off {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a secret access key and print it once.
    Create {
        #[arg(long)]
        client: String,
        /// Lifetime in seconds; no expiry when omitted.
        #[arg(long)]
        expires_in: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// List a client's keys (metadata only).
    List {
        #[arg(long)]
        client: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key; it stays listed with its revocation time.
    Revoke {
        #[arg(long)]
        client: String,
        key_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password comes from standard input or KEYGATE_USER_PASSWORD, never the command line.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Unique in the tenant; the OpenID Connect `email` claim.
        #[arg(long)]
        email: Option<String>,
        /// The product checked that the address is the user's.
        #[arg(long, requires = "email")]
        email_verified: bool,
        /// Administers the tenant in the management console.
        #[arg(long)]
        tenant_admin: bool,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's users.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a user and end their sign-ins.
    Delete {
        #[arg(long)]
        tenant: String,
        user_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Create an operator; the password comes from standard input or KEYGATE_USER_PASSWORD, never the command line.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// List the operators.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SigningKeyCommand {
    /// Make a new signing key and retire the current one (published until its tokens expire).
    Rotate {
        /// RS256, ES256 or EdDSA; default: the configured signing_alg.
        #[arg(long)]
        alg: Option<String>,
        /// Sign with the new key at once (the old one is compromised). Without it the new key is published first
        /// and signs one JWKS max-age plus one keyring reload later.
        #[arg(long)]
        immediate: bool,
        #[arg(long)]
        json: bool,
    },
}

/// Token lifetime overrides, in seconds.
#[derive(Debug, Args)]
pub struct TtlArgs {
    #[arg(long)]
    pub ttl_client_credentials: Option<i64>,
    #[arg(long)]
    pub ttl_password: Option<i64>,
    #[arg(long)]
    pub ttl_authorization_code: Option<i64>,
    #[arg(long)]
    pub ttl_refresh_token: Option<i64>,
    #[arg(long)]
    pub ttl_jwt_bearer: Option<i64>,
    #[arg(long)]
    pub ttl_token_exchange: Option<i64>,
}

impl From<TtlArgs> for TtlOverrides {
    fn from(args: TtlArgs) -> TtlOverrides {
        TtlOverrides {
            client_credentials: args.ttl_client_credentials,
            password: args.ttl_password,
            authorization_code: args.ttl_authorization_code,
            refresh_token: args.ttl_refresh_token,
            jwt_bearer: args.ttl_jwt_bearer,
            token_exchange: args.ttl_token_exchange,
        }
    }
}

/// Runs one command to completion.
/// Runs a command; `serve` is the server's entry point, which `main` passes in (the CLI sits below the wiring).
pub fn run(cli: Cli, serve: fn(Config) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(config),
        Command::Migrate { json } => {
            let db = Db::connect(&config.database_url, 1, CLI_DATABASE_TIMEOUT)?;
            admin::print(json, &serde_json::json!({"status": "migrated"}), || {
                "database is up to date".into()
            })?;
            drop(db);
            Ok(())
        }
        Command::Init { name, json } => admin::init(&open(&config)?, &config, &name, json),
        Command::Tenant(command) => admin::tenant(&open(&config)?, &config, command),
        Command::Client(command) => admin::client(&open(&config)?, &config, command),
        Command::Key(command) => admin::key(&open(&config)?, command),
        Command::TrustedIssuer(command) => trusted_issuers::run(&open(&config)?, &config, command),
        Command::RegistrationToken(command) => registrations::run_tokens(&open(&config)?, command),
        Command::OpenRegistration(command) => registrations::run_open(&open(&config)?, command),
        Command::BenchSeed { tenant, count, out } => {
            bench::seed(&open(&config)?, tenant, count, &out)
        }
        Command::SigningKey(SigningKeyCommand::Rotate {
            alg,
            immediate,
            json,
        }) => {
            let timing = match immediate {
                true => RotationTiming::immediate(&config),
                false => RotationTiming::scheduled(&config),
            };
            admin::rotate(&open(&config)?, &config, alg, timing, json)
        }
        Command::MasterKey(MasterKeyCommand::Rotate { new_key, json }) => {
            admin::rotate_master_key(&open(&config)?, &config, &new_key, json)
        }
        Command::User(command) => users::run(&open(&config)?, &config, command),
        Command::Operator(command) => users::operators(&open(&config)?, command),
        Command::Token {
            key,
            client_id,
            issuer,
            scope,
            resources,
            json,
        } => {
            let issuer = issuer.unwrap_or_else(|| config.issuer());
            let body = token::fetch(token::TokenRequest {
                key,
                client_id,
                issuer,
                scope,
                resources,
            })?;
            let token = body["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            admin::print(json, &body, || token)
        }
    }
}

/// The CLI runs one command and may wait longer than a request for the database.
const CLI_DATABASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn open(config: &Config) -> anyhow::Result<Db> {
    Db::connect(&config.database_url, 2, CLI_DATABASE_TIMEOUT)
}

/// A JSON body as the API takes it (`what` names it in errors), from a file or, for `-`, standard input.
fn read_json<T: serde::de::DeserializeOwned>(
    file: &std::path::Path,
    what: &str,
) -> anyhow::Result<T> {
    use anyhow::Context;
    use std::io::Read;
    let text = if file == std::path::Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
    };
    serde_json::from_str(&text)
        .with_context(|| format!("the {what} is not valid JSON of its API shape"))
}
