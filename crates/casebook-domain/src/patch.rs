//! Partial updates: a field left out of a PATCH body is unchanged, `null` clears it.

use serde::{Deserialize, Deserializer};

/// A change to a field that may be cleared: `None` = leave as is, `Some(None)` = clear.
pub type Change<T> = Option<Option<T>>;

/// Deserialises a present field (even `null`) as `Some(..)`; use with `#[serde(default)]`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "double_option")]
        phone: Change<String>,
    }

    #[test]
    fn absent_null_and_value_differ() {
        assert_eq!(serde_json::from_str::<Body>("{}").unwrap().phone, None);
        assert_eq!(
            serde_json::from_str::<Body>("{\"phone\":null}")
                .unwrap()
                .phone,
            Some(None)
        );
        assert_eq!(
            serde_json::from_str::<Body>("{\"phone\":\"1\"}")
                .unwrap()
                .phone,
            Some(Some("1".into()))
        );
    }
}
