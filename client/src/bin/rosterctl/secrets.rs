//! Where `settings set` reads a source's secret from: a file, an environment variable or
//! a prompt, so it need not be typed on the command line where shell history keeps it.

use crate::Failure;
use crate::cli::SettingsSetArgs;
use roster_client::Secret;

/// The environment variable `settings set --clever` reads the district token from when
/// no other secret flag is given.
const CLEVER_TOKEN_ENV: &str = "ROSTER_CLEVER_TOKEN";

/// The secret the flags name, or `None`: the server keeps the stored one.
pub fn from_flags(args: &SettingsSetArgs) -> Result<Option<Secret>, Failure> {
    let takes_secret = args.clever || args.clever_token.is_some() || args.oneroster_url.is_some();
    let named = args.secret_file.is_some() || args.secret_env.is_some() || args.secret_prompt;
    if named && !takes_secret {
        return Err(Failure::Local(
            "--secret-file, --secret-env and --secret-prompt give the secret of a Clever \
             (--clever) or OneRoster REST (--oneroster-url) source"
                .to_owned(),
        ));
    }
    let secret = if let Some(path) = &args.secret_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Local(format!("cannot read {}: {e}", path.display())))?;
        let line = text.lines().next().unwrap_or_default().trim().to_owned();
        Some(non_empty(
            line,
            &format!("the first line of {}", path.display()),
        )?)
    } else if let Some(var) = &args.secret_env {
        let value = std::env::var(var)
            .map_err(|_| Failure::Local(format!("the environment variable {var} is not set")))?;
        Some(non_empty(
            value,
            &format!("the environment variable {var}"),
        )?)
    } else if args.secret_prompt {
        let value = rpassword::prompt_password("source secret: ")
            .map_err(|e| Failure::Local(format!("cannot read the secret: {e}")))?;
        Some(non_empty(value, "the secret typed")?)
    } else if let Some(token) = &args.clever_token {
        eprintln!(
            "warning: --clever-token leaves the token in your shell history; \
             prefer --secret-prompt or --secret-file"
        );
        Some(token.clone())
    } else if args.clever {
        std::env::var(CLEVER_TOKEN_ENV)
            .ok()
            .filter(|token| !token.is_empty())
    } else {
        None
    };
    Ok(secret.map(Secret::new))
}

fn non_empty(value: String, what: &str) -> Result<String, Failure> {
    if value.trim().is_empty() {
        Err(Failure::Local(format!("{what} is empty: no secret to set")))
    } else {
        Ok(value)
    }
}
