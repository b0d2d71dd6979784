//! Stable text ids of service-level objects that admins name and integrations quote
//! (`china-5x8`, `standard`): lowercase letters, digits and `-`, at most 40.

/// Declares a slug id type: `slug_id!(Name, "what", "example")`.
macro_rules! slug_id {
    ($name:ident, $what:literal, $example:literal) => {
        #[doc = concat!("The stable id of a ", $what, ": lowercase letters, digits and `-`, e.g. `", $example, "`.")]
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String, example = $example, pattern = "^[a-z0-9][a-z0-9-]{0,39}$")]
        pub struct $name(String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                let ok = !s.is_empty()
                    && s.len() <= 40
                    && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !s.starts_with('-');
                if ok {
                    Ok($name(s.to_owned()))
                } else {
                    Err(format!(
                        concat!("`{}` is not a ", $what, " id: 1 to 40 lowercase letters, digits and '-', e.g. ", $example),
                        s
                    ))
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use slug_id;
