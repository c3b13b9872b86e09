use std::path::PathBuf;

/// Why a storage operation failed.
///
/// Messages name the table or file and the kind of failure. Statements bind every value as a
/// parameter, so SQLite's own messages carry table and column names, never stored values.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the data directory could not be created, opened or secured.
    #[error("data file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database engine failed.
    #[error("database error while {context}: {source}")]
    Database {
        /// What the store was doing.
        context: &'static str,
        /// The engine's error.
        source: rusqlite::Error,
    },
    /// A row that must be unique already exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A key change was prepared under a key version that a rotation retired meanwhile; prepare
    /// it again under the current version.
    #[error("{0} was retired by a key rotation while the change was prepared")]
    Retired(&'static str),
    /// A change refers to a row that does not exist.
    #[error("{0} does not exist")]
    Missing(&'static str),
    /// A stored value could not be decoded; the database was changed outside phiguard or is
    /// from a newer version.
    #[error("stored data is corrupt or from a newer phiguard: {0}")]
    Corrupt(String),
    /// The database schema is newer than this binary understands.
    #[error(
        "the database at {path} has schema version {found}; this phiguard understands up \
             to {supported}. Upgrade phiguard"
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// The version found.
        found: i64,
        /// The newest version this binary knows.
        supported: i64,
    },
    /// The background writer stopped; the store is shutting down or failed earlier.
    #[error("the store's writer has stopped; no further changes can be committed")]
    WriterStopped,
}

impl StoreError {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| StoreError::Database { context, source }
    }
}
