//! A small pool of read connections.
//!
//! Readers never wait on the writer in WAL mode, so a handful of connections that are handed
//! out and returned is all the concurrency reads need; statements are cached per connection.

use std::path::PathBuf;

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// Idle connections kept beyond this are closed.
const MAX_IDLE: usize = 32;

pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf) -> Self {
        ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let taken = self.idle.lock().pop();
        let conn = match taken {
            Some(conn) => conn,
            None => self.open()?,
        };

        let result = f(&conn);

        let mut idle = self.idle.lock();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        result
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)
            .map_err(StoreError::db("opening a read connection"))?;
        conn.execute_batch(
            "PRAGMA query_only = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -16000;
             PRAGMA mmap_size = 1073741824;",
        )
        .map_err(StoreError::db("configuring a read connection"))?;
        super::keep_plans_stable(&conn)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}
