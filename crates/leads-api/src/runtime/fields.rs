//! Optional properties and `null`: what the generated models call for the spec's rules.
//!
//! serde reads `null` into an `Option` as `None`, the same as a missing property. The
//! generated models keep the two apart: a property the spec lets be `null` is a
//! three-state `Nullable<T>` (generated, one per crate), and an optional property that
//! the spec does not let be `null` deserialises through [`not_null`].

use serde::de::{Deserialize, Deserializer, Error};

/// How the runtime builds a generated three-state `Nullable<T>` without naming it.
pub trait ThreeState<T> {
    /// The property was sent as `null`.
    fn null() -> Self;
    /// The property was sent with a value.
    fn value(value: T) -> Self;
}

/// An optional property whose schema does not allow `null`: a missing property is `None`
/// (the field's `#[serde(default)]`), a value is `Some`, and `null` is refused.
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(D::Error::custom(
            "must not be null; leave the property out instead",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Model {
        #[serde(default, deserialize_with = "not_null")]
        name: Option<String>,
    }

    #[test]
    fn null_is_refused_and_absent_is_none() {
        let absent: Model = serde_json::from_str("{}").expect("absent");
        assert_eq!(absent.name, None);
        let given: Model = serde_json::from_str(r#"{"name": "a"}"#).expect("given");
        assert_eq!(given.name.as_deref(), Some("a"));
        let error = serde_json::from_str::<Model>(r#"{"name": null}"#).expect_err("null");
        assert!(error.to_string().contains("must not be null"), "{error}");
    }
}
