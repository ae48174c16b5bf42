//! `TOLLGATE__X_FILE=/path`: the value of `TOLLGATE__X` read from a file, as Docker and
//! Kubernetes secrets are mounted, so a secret never has to sit in the environment itself.

use std::collections::HashMap;

const PREFIX: &str = "TOLLGATE__";
const SUFFIX: &str = "_FILE";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvFileError {
    #[error("both {name} and {name}{SUFFIX} are set: keep one")]
    Both { name: String },
    #[error("{name}{SUFFIX}: cannot read {path}: {reason}")]
    Unreadable {
        name: String,
        path: String,
        reason: String,
    },
}

/// The `TOLLGATE__` variables of `vars` with every `…_FILE` one replaced by its base name and
/// the file's contents (one trailing line break removed, as `echo secret > file` leaves one).
///
/// # Errors
/// When a variable is given both ways, or its file cannot be read.
pub fn resolve(
    vars: impl IntoIterator<Item = (String, String)>,
    read: impl Fn(&str) -> std::io::Result<String>,
) -> Result<HashMap<String, String>, EnvFileError> {
    let vars: HashMap<String, String> = vars
        .into_iter()
        .filter(|(name, _)| name.starts_with(PREFIX))
        .collect();
    let mut resolved = HashMap::with_capacity(vars.len());
    // Sorted so that, of several mistakes, the same one is reported every time.
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    for name in names {
        let value = &vars[name];
        let Some(base) = name
            .strip_suffix(SUFFIX)
            .filter(|base| base.len() > PREFIX.len())
        else {
            resolved.insert(name.clone(), value.clone());
            continue;
        };
        if vars.contains_key(base) {
            return Err(EnvFileError::Both { name: base.into() });
        }
        let contents = read(value).map_err(|e| EnvFileError::Unreadable {
            name: base.into(),
            path: value.clone(),
            reason: e.to_string(),
        })?;
        let contents = contents
            .strip_suffix('\n')
            .map(|rest| rest.strip_suffix('\r').unwrap_or(rest))
            .unwrap_or(&contents);
        resolved.insert(base.to_owned(), contents.to_owned());
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn files(path: &str) -> std::io::Result<String> {
        match path {
            "/run/secrets/db" => Ok("postgres://u:p@db/x\n".into()),
            "/run/secrets/crlf" => Ok("secret\r\n".into()),
            "/run/secrets/two-lines" => Ok("a\n\n".into()),
            _ => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no file")),
        }
    }

    #[test]
    fn a_file_variable_gives_its_contents_to_the_base_name() {
        let resolved = resolve(
            vars(&[
                ("TOLLGATE__DATABASE__URL_FILE", "/run/secrets/db"),
                ("TOLLGATE__LAGO__API_KEY_FILE", "/run/secrets/crlf"),
                ("TOLLGATE__SERVER__BIND", "0.0.0.0:8080"),
                ("TOLLGATE__PDF__FONT_FAMILY_FILE", "/run/secrets/two-lines"),
                ("HOME", "/root"),
            ]),
            files,
        )
        .unwrap();
        assert_eq!(resolved["TOLLGATE__DATABASE__URL"], "postgres://u:p@db/x");
        assert_eq!(resolved["TOLLGATE__LAGO__API_KEY"], "secret");
        assert_eq!(resolved["TOLLGATE__SERVER__BIND"], "0.0.0.0:8080");
        // Only one line break goes: the rest is the file's.
        assert_eq!(resolved["TOLLGATE__PDF__FONT_FAMILY"], "a\n");
        assert!(!resolved.contains_key("TOLLGATE__DATABASE__URL_FILE"));
        assert!(!resolved.contains_key("HOME"));
    }

    #[test]
    fn both_forms_or_a_missing_file_are_refused_by_name() {
        let both = resolve(
            vars(&[
                ("TOLLGATE__DATABASE__URL", "postgres://x"),
                ("TOLLGATE__DATABASE__URL_FILE", "/run/secrets/db"),
            ]),
            files,
        )
        .unwrap_err();
        assert_eq!(
            both.to_string(),
            "both TOLLGATE__DATABASE__URL and TOLLGATE__DATABASE__URL_FILE are set: keep one"
        );
        let missing = resolve(vars(&[("TOLLGATE__LAGO__API_KEY_FILE", "/nowhere")]), files)
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("TOLLGATE__LAGO__API_KEY_FILE: cannot read /nowhere"),
            "{missing}"
        );
    }
}
