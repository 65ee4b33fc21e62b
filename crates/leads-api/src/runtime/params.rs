//! `deserialize_with` helpers that check the bounds of inline parameter schemas.
//!
//! The generated parameter structs name them with the bounds as const arguments, e.g.
//! `int::<_, i32, 1, 100>`, so a bound is checked while the value is parsed and the error
//! says which one failed.

use serde::de::{Deserialize, Deserializer, Error};

fn check_int<E: Error>(value: i64, min: i64, max: i64) -> Result<i64, E> {
    if value < min {
        Err(E::custom(format!("must be at least {min}")))
    } else if value > max {
        Err(E::custom(format!("must be at most {max}")))
    } else {
        Ok(value)
    }
}

fn convert<T: TryFrom<i64>, E: Error>(value: i64) -> Result<T, E> {
    T::try_from(value).map_err(|_| E::custom("is out of range"))
}

/// An integer in `MIN..=MAX`.
pub fn int<'de, D, T, const MIN: i64, const MAX: i64>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let value = i64::deserialize(deserializer)?;
    convert(check_int(value, MIN, MAX)?)
}

/// An optional integer in `MIN..=MAX`.
pub fn opt_int<'de, D, T, const MIN: i64, const MAX: i64>(
    deserializer: D,
) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    Option::<i64>::deserialize(deserializer)?
        .map(|value| convert(check_int(value, MIN, MAX)?))
        .transpose()
}

fn check_length<E: Error>(value: String, min: u64, max: u64) -> Result<String, E> {
    let length = value.chars().count() as u64;
    if length < min {
        Err(E::custom(format!("must be at least {min} characters long")))
    } else if length > max {
        Err(E::custom(format!("must be at most {max} characters long")))
    } else {
        Ok(value)
    }
}

/// A string of `MIN..=MAX` characters.
pub fn string<'de, D, const MIN: u64, const MAX: u64>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    check_length(String::deserialize(deserializer)?, MIN, MAX)
}

/// An optional string of `MIN..=MAX` characters.
pub fn opt_string<'de, D, const MIN: u64, const MAX: u64>(
    deserializer: D,
) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Option::<String>::deserialize(deserializer)?
        .map(|value| check_length(value, MIN, MAX))
        .transpose()
}

/// An optional boolean: `true` or `false`. The text is read whole, because the query
/// decoder would read an empty value (`with_email=`) as an absent one, a filter the spec
/// does not allow to be empty.
pub fn opt_bool<'de, D>(deserializer: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    match String::deserialize(deserializer)?.as_str() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(D::Error::custom("must be `true` or `false`")),
    }
}

/// A repeated parameter with `MIN..=MAX` values.
pub fn list<'de, D, T, const MIN: u64, const MAX: u64>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let values = Vec::<T>::deserialize(deserializer)?;
    let count = values.len() as u64;
    if count < MIN {
        Err(D::Error::custom(format!(
            "must be given at least {MIN} times"
        )))
    } else if count > MAX {
        Err(D::Error::custom(format!(
            "must be given at most {MAX} times"
        )))
    } else {
        Ok(values)
    }
}

/// A nullable array property with `MIN..=MAX` items, or `null`; absent is the field's
/// default. `N` is the generated three-state type.
pub fn nullable_list<'de, D, T, N, const MIN: u64, const MAX: u64>(
    deserializer: D,
) -> Result<N, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
    N: super::ThreeState<Vec<T>>,
{
    let Some(values) = Option::<Vec<T>>::deserialize(deserializer)? else {
        return Ok(N::null());
    };
    let count = values.len() as u64;
    if count < MIN {
        Err(D::Error::custom(format!("must hold at least {MIN} items")))
    } else if count > MAX {
        Err(D::Error::custom(format!("must hold at most {MAX} items")))
    } else {
        Ok(N::value(values))
    }
}
