//! `mast login`, `mast whoami`, `mast logout`, and the token every other subcommand sends.
//!
//! Where the token comes from, in astroquery's order: `--insecure-token` (an explicit
//! argument, off the beaten path on purpose), then `MAST_API_TOKEN` (set, even empty, it
//! wins), then the token store (`--token-store`), then, for `mast login` only, standard input
//! (`--with-token`) or a hidden prompt on the terminal.

use std::io::{IsTerminal as _, Read as _};

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use mast::MastClient;
use mast::auth::{Found, MastAuth, SessionInfo, Token, TokenStore, ask_unless_found, find_token};
use serde_json::Value;

use super::Format;

/// Where a stored token is read and written (`--token-store`, env `MAST_TOKEN_STORE`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum StoreChoice {
    /// The system keyring (astroquery's entry, so tokens are shared with astroquery); where
    /// no keyring works, the token file if one was stored there before
    #[default]
    Auto,
    /// The system keyring only
    Keyring,
    /// The token file only: `$XDG_CONFIG_HOME/mast-rs/token`, mode 0600 (for servers
    /// without a keyring)
    File,
}

/// The token commands.
#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// Check a MAST API token and (with --store-token) store it for later commands
    #[command(after_help = "The token is read, in this order, from --insecure-token, MAST_API_TOKEN, the token store,
then (or whenever --reenter-token is given) a hidden prompt on the terminal.
Create a token at https://auth.mast.stsci.edu/token; tokens expire after 10 days without use
and 60 days after creation.

Examples:
  mast login --store-token                      # prompts for the token, keeps it in the keyring
  pass show mast | mast login --with-token --store-token
  mast --token-store file login --with-token --store-token < token.txt   # no keyring here")]
    Login {
        /// Read the token from standard input (one line) instead of prompting
        #[arg(long, conflicts_with = "reenter_token")]
        with_token: bool,
        /// Store the accepted token (the keyring, or the token file with --token-store file)
        #[arg(long)]
        store_token: bool,
        /// Ask for the token even when one was found (to replace a stored one)
        #[arg(long)]
        reenter_token: bool,
    },
    /// Show the MAST session of the token in use (astroquery's session_info)
    #[command(after_help = "Examples:
  mast whoami
  mast whoami --format json")]
    Whoami,
    /// Stop using the stored token: with --forget, delete it from the token store
    Logout {
        /// Delete the stored token
        #[arg(long)]
        forget: bool,
    },
}

/// The token store `choice` names. `Auto` is the keyring, or the token file when no
/// keyring works and the file exists; `Ok(None)` when neither is there.
fn store(choice: StoreChoice) -> anyhow::Result<Option<TokenStore>> {
    match choice {
        StoreChoice::Keyring => Ok(Some(TokenStore::platform()?)),
        StoreChoice::File => Ok(Some(TokenStore::default_file()?)),
        StoreChoice::Auto => match TokenStore::platform() {
            Ok(store) => Ok(Some(store)),
            Err(no_keyring) => {
                tracing::debug!("no keyring: {no_keyring}");
                let file = TokenStore::default_file().ok();
                Ok(file.filter(|f| f.file_path().is_some_and(|p| p.exists())))
            }
        },
    }
}

/// The token `argument` or, failing that, `MAST_API_TOKEN` or the stored one.
fn found(argument: Option<Token>, choice: StoreChoice) -> anyhow::Result<Option<Found>> {
    if argument.is_some() || std::env::var_os(mast::auth::TOKEN_ENV).is_some() {
        return Ok(find_token(argument, None)?);
    }
    let store = store(choice)?;
    Ok(find_token(None, store.as_ref())?)
}

/// Puts the token every subcommand sends into `client`: the argument, `MAST_API_TOKEN` or
/// the stored token (none when none is there). It is not checked here (that would cost a
/// request per command): a refused token shows as ERROR rows that say so, and `mast whoami`
/// tells. A token store that cannot be read is a warning, not a failure, since public data
/// needs no token.
pub fn use_token(client: &MastClient, argument: Option<Token>, choice: StoreChoice, quiet: bool) {
    match found(argument, choice) {
        Ok(Some(found)) if !found.token.is_empty() => client.set_token(Some(found.token.into_secret())),
        Ok(_) => {}
        Err(e) if !quiet => eprintln!("WARNING: no MAST API token used: {e}"),
        Err(_) => {}
    }
}

/// Runs a token command; `Ok` means exit status 0.
pub async fn run(
    client: MastClient,
    command: AuthCommand,
    argument: Option<Token>,
    choice: StoreChoice,
    format: Format,
    quiet: bool,
) -> anyhow::Result<()> {
    match command {
        AuthCommand::Login { with_token, store_token, reenter_token } => {
            // --with-token: standard input is the source (as `gh auth login --with-token`);
            // otherwise the argument, MAST_API_TOKEN, the store, then the prompt.
            let found = if with_token { None } else { found(argument, choice)? };
            let ask = || if with_token { read_stdin() } else { prompt(&client) };
            let token = ask_unless_found(found, reenter_token, ask)?.token;
            let auth = MastAuth::new(client);
            let info = auth.login(token.clone()).await?;
            if !quiet {
                let name = info.display_name().unwrap_or_else(|| info.ezid.as_deref().unwrap_or(""));
                eprintln!("MAST API token accepted, welcome {}", mast::download::escape_for_terminal(name));
            }
            if store_token {
                let store = match choice {
                    // Storing never falls back to the file by itself: say how to opt in.
                    StoreChoice::Auto => TokenStore::platform().context(
                        "storing the token needs a system keyring; to keep it in a mode-0600 file in the \
                         configuration directory instead, pass --token-store file",
                    )?,
                    other => store(other)?.context("no token store")?,
                };
                store.store_token(&token)?;
                if !quiet {
                    eprintln!("mast: token stored in the {}", store.describe());
                }
            }
        }
        AuthCommand::Whoami => {
            use_token(&client, argument, choice, quiet);
            let info = MastAuth::new(client).session_info().await?;
            print_session(&info, format);
        }
        AuthCommand::Logout { forget } => {
            if forget {
                let store = store(choice)?
                    .context("no token store here (no keyring works and there is no token file): nothing to forget")?;
                let forgotten = store.forget_token()?;
                if !quiet {
                    let what = if forgotten { "deleted the stored token from" } else { "no token was stored in" };
                    eprintln!("mast: {what} the {}", store.describe());
                }
            } else if !quiet {
                eprintln!(
                    "mast: each command logs in afresh and keeps no session; `mast logout --forget` deletes the stored token"
                );
            }
            if !quiet && std::env::var_os(mast::auth::TOKEN_ENV).is_some() {
                eprintln!("mast: MAST_API_TOKEN is still set in this environment");
            }
        }
    }
    Ok(())
}

/// One line of standard input, the token (`--with-token`), without its line end.
fn read_stdin() -> anyhow::Result<Token> {
    let mut text = zeroize::Zeroizing::new(String::new());
    std::io::stdin().take(64 * 1024).read_to_string(&mut text).context("reading the token from standard input")?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        anyhow::bail!(mast::auth::Error::EmptyToken);
    }
    Ok(Token::new(token))
}

/// The hidden prompt (astroquery's `getpass`), on the terminal only.
fn prompt(client: &MastClient) -> anyhow::Result<Token> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "no MAST API token: standard input is not a terminal, so there is no prompt; pipe the token into \
             `mast login --with-token` or set MAST_API_TOKEN"
        );
    }
    eprintln!(
        "If you do not have an API token already, visit the following link to create one: {}",
        mast::proto::auth::token_page_url(client.config())
    );
    let text = zeroize::Zeroizing::new(
        rpassword::prompt_password("Enter MAST API Token: ").context("reading the token from the terminal")?,
    );
    Ok(Token::new(text.trim()))
}

/// The session: `key: value` lines (astroquery's verbose output), a JSON object, or the
/// canonical `key,value` CSV of the conformance harness (values JSON-encoded as Python's
/// `json.dumps(..., sort_keys=True)`).
fn print_session(info: &SessionInfo, format: Format) {
    let fields = session_fields(info);
    match format {
        Format::Table => {
            for line in info.lines() {
                println!("{}", mast::download::escape_for_terminal(&line));
            }
        }
        Format::Json => println!("{}", Value::Object(fields.into_iter().collect())),
        Format::Csv => {
            let mut out = String::from("\"key\",\"value\"\nstr,str\n");
            for (key, value) in fields {
                let cell = mast::pyfmt::json_dumps(&sorted(value));
                out.push_str(&format!("{},{}\n", quote(&key), quote(&cell)));
            }
            print!("{out}");
        }
    }
}

/// The session's fields in `/whoami`'s order, the token as MAST truncates it.
fn session_fields(info: &SessionInfo) -> Vec<(String, Value)> {
    let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    vec![
        ("eppn".into(), opt(&info.eppn)),
        ("ezid".into(), opt(&info.ezid)),
        ("attrib".into(), Value::Object(info.attrib.clone())),
        ("anon".into(), Value::Bool(info.anon)),
        ("scopes".into(), Value::from(info.scopes.clone())),
        ("session".into(), info.session.clone()),
        ("token".into(), info.token_echo().map_or(Value::Null, Value::from)),
    ]
}

/// `value` with every object's keys sorted (Python's `sort_keys=True`).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}
