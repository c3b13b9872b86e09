//! The PHI vault: the domain service that ties keys, records, policy, storage and audit together.
