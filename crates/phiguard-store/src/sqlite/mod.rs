//! The embedded backend: two SQLite files in WAL mode.

mod convert;
mod keyring;
mod ledger;
mod pool;
mod read;
mod response;
mod safeguards;
mod schema;
mod writer;

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use parking_lot::Mutex;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::{Change, Pending, StoreError};
use pool::ReadPool;

/// The name of the data file inside the data directory.
pub const VAULT_FILE: &str = "vault.sqlite";

/// The name of the keyring file inside the data directory.
pub const KEYRING_FILE: &str = "keyring.sqlite";

/// The embedded SQLite store.
///
/// Opening creates both files (mode 0600) and migrates their schemas. Reads use a small pool
/// of connections; data writes go to one writer thread with group commit; keyring writes use
/// one connection under a lock (they are rare: a new subject, a rotation, a disposal).
pub struct SqliteStore {
    dir: PathBuf,
    vault_reads: ReadPool,
    keyring_reads: ReadPool,
    writer: mpsc::Sender<writer::Job>,
    keyring_writer: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`, which must exist.
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] if a file cannot be created or secured, [`StoreError::SchemaTooNew`]
    /// if a newer phiguard wrote it, or a database error.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let vault_path = dir.join(VAULT_FILE);
        let keyring_path = dir.join(KEYRING_FILE);

        let vault = open_writer(&vault_path)?;
        migrate(
            &vault,
            &vault_path,
            schema::VAULT_VERSION,
            &[
                Migration::sql(schema::VAULT_V1),
                Migration {
                    sql: schema::VAULT_V2,
                    data: Some(ledger::backfill),
                    after: schema::VAULT_V2_SEAL,
                },
                Migration::sql(schema::VAULT_V3),
                Migration::sql(schema::VAULT_V4),
            ],
        )?;
        let keyring = open_writer(&keyring_path)?;
        migrate(
            &keyring,
            &keyring_path,
            schema::KEYRING_VERSION,
            &[Migration::sql(schema::KEYRING_V1)],
        )?;

        Ok(SqliteStore {
            dir: dir.to_path_buf(),
            vault_reads: ReadPool::new(vault_path),
            keyring_reads: ReadPool::new(keyring_path),
            writer: writer::spawn(vault)?,
            keyring_writer: Mutex::new(keyring),
        })
    }

    /// The directory the store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Copies every committed page out of the write-ahead logs into the database files and
    /// truncates the logs, so that no superseded page (such as a destroyed key) lingers there.
    ///
    /// # Errors
    ///
    /// A database error, or [`StoreError::WriterStopped`].
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.keyring_writer
            .lock()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(StoreError::db("checkpointing the keyring"))?;

        let (reply, receiver) = oneshot::channel();
        self.writer
            .send(writer::Job::Checkpoint { reply })
            .map_err(|_| StoreError::WriterStopped)?;
        receiver.await.unwrap_or(Err(StoreError::WriterStopped))
    }

    pub(crate) fn submit_job(&self, changes: Vec<Change>) -> Pending {
        let (reply, receiver) = oneshot::channel();
        match self.writer.send(writer::Job::Apply { changes, reply }) {
            Ok(()) => Pending::new(receiver),
            Err(_) => Pending::failed(StoreError::WriterStopped),
        }
    }
}

/// Creates `path` with mode 0600 if it does not exist, so that SQLite (which copies the main
/// file's mode to its -wal and -shm files) never creates anything others can read.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        })
}

fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    create_private(path)?;
    let conn = Connection::open(path).map_err(StoreError::db("opening the database"))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA busy_timeout = 10000;",
    )
    .map_err(StoreError::db("configuring the database"))?;
    keep_plans_stable(&conn)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Turns on SQLite's query planner stability guarantee for a connection.
///
/// Without it, SQLite marks a statement for re-preparation whenever a newly bound value could
/// change its plan (a bound value compared with a partial index's condition is enough), so
/// every cached statement was compiled afresh on each use: measured at about a third of the
/// cost of a record read. phiguard's queries are all keyed lookups whose best plan does not
/// depend on the values, so a fixed plan loses nothing.
pub(crate) fn keep_plans_stable(conn: &Connection) -> Result<(), StoreError> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(drop)
    .map_err(StoreError::db("configuring the query planner"))
}

/// A migration's data step, run inside its transaction.
pub(crate) type DataStep = fn(&Connection) -> Result<(), StoreError>;

/// One step of a file's schema history: SQL, then optionally a data step and more SQL, all in
/// one transaction with the version bump.
pub(crate) struct Migration {
    pub(crate) sql: &'static str,
    pub(crate) data: Option<DataStep>,
    pub(crate) after: &'static str,
}

impl Migration {
    const fn sql(sql: &'static str) -> Self {
        Migration {
            sql,
            data: None,
            after: "",
        }
    }
}

fn migrate(
    conn: &Connection,
    path: &Path,
    newest: i64,
    steps: &[Migration],
) -> Result<(), StoreError> {
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(StoreError::db("reading the schema version"))?;
    if found > newest {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            supported: newest,
        });
    }

    for (index, step) in steps.iter().enumerate() {
        let version = i64::try_from(index).unwrap_or(i64::MAX) + 1;
        if version <= found {
            continue;
        }

        conn.execute_batch("BEGIN IMMEDIATE;")
            .map_err(StoreError::db("migrating the schema"))?;
        let applied = conn
            .execute_batch(step.sql)
            .map_err(StoreError::db("migrating the schema"))
            .and_then(|()| step.data.map_or(Ok(()), |data| data(conn)))
            .and_then(|()| {
                conn.execute_batch(&format!("{}\nPRAGMA user_version = {version};", step.after))
                    .map_err(StoreError::db("migrating the schema"))
            });
        match applied {
            Ok(()) => conn
                .execute_batch("COMMIT;")
                .map_err(StoreError::db("migrating the schema"))?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK;");
                return Err(e);
            }
        }
    }
    Ok(())
}
