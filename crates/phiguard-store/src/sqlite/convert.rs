//! Conversions between domain types and SQLite columns.

use std::str::FromStr;

use phiguard_core::Timestamp;

use crate::StoreError;

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn timestamp(micros: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(micros)
        .map_err(|_| StoreError::Corrupt("a stored time is out of range".into()))
}

pub(crate) fn opt_timestamp(micros: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    micros.map(timestamp).transpose()
}

pub(crate) fn parse<T: FromStr>(text: &str, what: &'static str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("a stored {what} is not valid")))
}

pub(crate) fn version(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt("a stored key version is invalid".into()))
}
