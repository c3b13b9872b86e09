//! Durable storage for phiguard: the Store abstraction and its embedded SQLite backend.
