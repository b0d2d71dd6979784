//! The layers of a configuration as TOML values: a file merged over the defaults, then
//! `CASEBOOK_*` environment variables applied, each parsed like the value it replaces.

use super::ConfigError;

pub(super) fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(base), toml::Value::Table(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_table() && value.is_table() => {
                        merge(existing, value)
                    }
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

pub(super) fn apply_env(
    value: &mut toml::Value,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("CASEBOOK_"))
        .collect();
    let toml::Value::Table(root) = value else {
        return Ok(());
    };
    for (key, slot) in root.iter_mut() {
        let name = format!("CASEBOOK_{}", key.to_uppercase());
        match slot {
            toml::Value::Table(section) => {
                for (sub, leaf) in section.iter_mut() {
                    let name = format!("{name}_{}", sub.to_uppercase());
                    if let Some((_, raw)) = env.iter().find(|(k, _)| *k == name) {
                        *leaf = parse_like(leaf, raw)
                            .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
                    }
                }
            }
            leaf => {
                if let Some((_, raw)) = env.iter().find(|(k, _)| *k == name) {
                    *leaf = parse_like(leaf, raw)
                        .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
                }
            }
        }
    }
    Ok(())
}

fn parse_like(current: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    match current {
        toml::Value::Integer(_) => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("'{raw}' is not a whole number")),
        toml::Value::Boolean(_) => match raw.trim() {
            "true" | "1" | "yes" => Ok(toml::Value::Boolean(true)),
            "false" | "0" | "no" => Ok(toml::Value::Boolean(false)),
            _ => Err(format!("'{raw}' is not true or false")),
        },
        // A list of words, comma-separated (e.g. networks: `127.0.0.1,10.0.0.0/8`).
        toml::Value::Array(items) if items.iter().all(toml::Value::is_str) => {
            Ok(toml::Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .map(|w| toml::Value::String(w.to_owned()))
                    .collect(),
            ))
        }
        _ => Ok(toml::Value::String(raw.to_owned())),
    }
}
