//! Envelope encryption, key chain, blind indexes and credentials for phiguard, on aws-lc-rs.
