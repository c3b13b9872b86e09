//! The key chain in use: unwrapping tenant, index and subject keys on demand, and rotation.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use phiguard_core::{SubjectId, TenantId, Timestamp};
use phiguard_crypto::{Aad, BlindIndexKey, KeyMaterial, RootKey, SecretKey};
use phiguard_store::{
    KeyChange, Store, StoreError, WrappedIndexKey, WrappedSubjectKey, WrappedTenantKey,
};

use crate::VaultError;

/// Subject keys start at version 1; phiguard does not yet rotate subject keys themselves.
pub(crate) const SUBJECT_KEY_VERSION: u32 = 1;

/// What a tenant key rotation did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RotationReport {
    /// The tenant.
    pub tenant: TenantId,
    /// The new current tenant key version.
    pub new_version: u32,
    /// How many subject keys were re-wrapped under it.
    pub rewrapped_subject_keys: u64,
    /// Old tenant key versions destroyed because nothing depends on them any more.
    pub destroyed_versions: Vec<u32>,
}

/// Unwraps keys on demand and caches the tenant-level ones.
///
/// Tenant keys are cached by (tenant, version): a version's material never changes, so the
/// cache stays right even when another process rotates keys. Subject keys are unwrapped per
/// request and never cached, so that destroying one takes effect at once in every process.
pub(crate) struct Keychain {
    root: RootKey,
    tenant_keys: RwLock<HashMap<(TenantId, u32), Arc<SecretKey>>>,
    index_keys: RwLock<HashMap<TenantId, Arc<BlindIndexKey>>>,
}

impl Keychain {
    pub(crate) fn new(root: RootKey) -> Self {
        Keychain {
            root,
            tenant_keys: RwLock::new(HashMap::new()),
            index_keys: RwLock::new(HashMap::new()),
        }
    }

    /// The keyring changes that give a new tenant its first tenant key and its index key.
    pub(crate) fn new_tenant(&self, tenant: &TenantId) -> Result<Vec<KeyChange>, VaultError> {
        let tenant_key = SecretKey::generate()?;
        let index_key = KeyMaterial::generate()?;
        let version = 1;

        let wrapped_tenant = self
            .root
            .key()
            .wrap(tenant_key.material(), &Aad::TenantKey { tenant, version })?;
        let wrapped_index = tenant_key.wrap(
            &index_key,
            &Aad::IndexKey {
                tenant,
                tenant_key_version: version,
            },
        )?;

        Ok(vec![
            KeyChange::InsertTenantKey(WrappedTenantKey {
                tenant: tenant.clone(),
                version,
                wrapped: wrapped_tenant,
                created_at: Timestamp::now(),
            }),
            KeyChange::PutIndexKey(WrappedIndexKey {
                tenant: tenant.clone(),
                tenant_key_version: version,
                wrapped: wrapped_index,
            }),
        ])
    }

    fn unwrap_tenant_key(&self, wrapped: &WrappedTenantKey) -> Result<Arc<SecretKey>, VaultError> {
        let aad = Aad::TenantKey {
            tenant: &wrapped.tenant,
            version: wrapped.version,
        };
        let material = self.root.key().unwrap_key(&wrapped.wrapped, &aad)?;
        Ok(Arc::new(SecretKey::from_material(material)?))
    }

    /// One version of a tenant key.
    pub(crate) fn tenant_key(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        version: u32,
    ) -> Result<Arc<SecretKey>, VaultError> {
        if let Some(key) = self.tenant_keys.read().get(&(tenant.clone(), version)) {
            return Ok(Arc::clone(key));
        }

        let wrapped = store
            .tenant_keys(tenant)?
            .into_iter()
            .find(|k| k.version == version)
            .ok_or_else(|| VaultError::internal("keyring", "a tenant key version is missing"))?;
        let key = self.unwrap_tenant_key(&wrapped)?;
        self.tenant_keys
            .write()
            .insert((tenant.clone(), version), Arc::clone(&key));
        Ok(key)
    }

    /// The newest tenant key version, which wraps new subject keys.
    pub(crate) fn current_tenant_key(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
    ) -> Result<(u32, Arc<SecretKey>), VaultError> {
        let newest = store
            .tenant_keys(tenant)?
            .into_iter()
            .map(|k| k.version)
            .max()
            .ok_or_else(|| VaultError::internal("keyring", "the tenant has no key"))?;
        Ok((newest, self.tenant_key(store, tenant, newest)?))
    }

    /// The tenant's blind-index key.
    pub(crate) fn index_key(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
    ) -> Result<Arc<BlindIndexKey>, VaultError> {
        if let Some(key) = self.index_keys.read().get(tenant) {
            return Ok(Arc::clone(key));
        }

        let wrapped = store
            .index_key(tenant)?
            .ok_or_else(|| VaultError::internal("keyring", "the tenant has no index key"))?;
        let tenant_key = self.tenant_key(store, tenant, wrapped.tenant_key_version)?;
        let aad = Aad::IndexKey {
            tenant,
            tenant_key_version: wrapped.tenant_key_version,
        };
        let material = tenant_key.unwrap_key(&wrapped.wrapped, &aad)?;
        let key = Arc::new(BlindIndexKey::new(&material));
        self.index_keys
            .write()
            .insert(tenant.clone(), Arc::clone(&key));
        Ok(key)
    }

    /// Stores fresh subject keys, each wrapped under the tenant's current key.
    ///
    /// A rotation (in this process or another) can retire the tenant key version between
    /// reading it and committing; the keyring refuses a subject key wrapped under a retired
    /// version, and the keys are then wrapped again under the new current version. The subject
    /// keys themselves never change, so anything already sealed with them stays valid.
    pub(crate) fn store_subject_keys(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        keys: &[(&SubjectId, &SecretKey)],
    ) -> Result<(), VaultError> {
        const ATTEMPTS: usize = 5;

        for attempt in 1..=ATTEMPTS {
            let (tenant_key_version, tenant_key) = self.current_tenant_key(store, tenant)?;
            let mut changes = Vec::with_capacity(keys.len());
            for (subject, key) in keys {
                let aad = Aad::SubjectKey {
                    tenant,
                    subject,
                    subject_key_version: SUBJECT_KEY_VERSION,
                    tenant_key_version,
                };
                changes.push(KeyChange::InsertSubjectKey(WrappedSubjectKey {
                    tenant: tenant.clone(),
                    subject: (*subject).clone(),
                    version: SUBJECT_KEY_VERSION,
                    tenant_key_version,
                    wrapped: tenant_key.wrap(key.material(), &aad)?,
                }));
            }
            match store.apply_keys(changes) {
                Ok(_) => return Ok(()),
                Err(StoreError::Retired(_)) if attempt < ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(VaultError::internal(
            "storing subject keys",
            "the tenant key kept being rotated",
        ))
    }

    /// A subject's key, or `None` if it was destroyed (the subject was disposed of).
    pub(crate) fn subject_key(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        subject: &SubjectId,
    ) -> Result<Option<(u32, SecretKey)>, VaultError> {
        let Some(wrapped) = store.subject_key(tenant, subject)? else {
            return Ok(None);
        };
        let tenant_key = self.tenant_key(store, tenant, wrapped.tenant_key_version)?;
        let material = tenant_key.unwrap_key(&wrapped.wrapped, &subject_aad(&wrapped))?;
        Ok(Some((wrapped.version, SecretKey::from_material(material)?)))
    }

    /// Adds a tenant key version, re-wraps the index key and every subject key under it, and
    /// destroys older versions once nothing depends on them.
    pub(crate) fn rotate(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
    ) -> Result<RotationReport, VaultError> {
        let (old_version, _) = self.current_tenant_key(store, tenant)?;
        let new_version = old_version + 1;
        let new_key = SecretKey::generate()?;
        let wrapped_new = self.root.key().wrap(
            new_key.material(),
            &Aad::TenantKey {
                tenant,
                version: new_version,
            },
        )?;

        let index_material = {
            let wrapped = store
                .index_key(tenant)?
                .ok_or_else(|| VaultError::internal("keyring", "the tenant has no index key"))?;
            let old = self.tenant_key(store, tenant, wrapped.tenant_key_version)?;
            let aad = Aad::IndexKey {
                tenant,
                tenant_key_version: wrapped.tenant_key_version,
            };
            old.unwrap_key(&wrapped.wrapped, &aad)?
        };
        let wrapped_index = new_key.wrap(
            &index_material,
            &Aad::IndexKey {
                tenant,
                tenant_key_version: new_version,
            },
        )?;

        let mut changes = vec![
            KeyChange::InsertTenantKey(WrappedTenantKey {
                tenant: tenant.clone(),
                version: new_version,
                wrapped: wrapped_new,
                created_at: Timestamp::now(),
            }),
            KeyChange::PutIndexKey(WrappedIndexKey {
                tenant: tenant.clone(),
                tenant_key_version: new_version,
                wrapped: wrapped_index,
            }),
        ];

        for wrapped in store.subject_keys_wrapped_below(tenant, new_version)? {
            let from_version = wrapped.tenant_key_version;
            let old = self.tenant_key(store, tenant, from_version)?;
            let material = old.unwrap_key(&wrapped.wrapped, &subject_aad(&wrapped))?;
            let mut rewrapped = WrappedSubjectKey {
                tenant_key_version: new_version,
                ..wrapped
            };
            rewrapped.wrapped = new_key.wrap(&material, &subject_aad(&rewrapped))?;
            changes.push(KeyChange::Rewrap {
                from_version,
                key: rewrapped,
            });
        }
        changes.push(KeyChange::DestroyUnusedTenantKeys {
            tenant: tenant.clone(),
            below: new_version,
        });

        let receipt = store.apply_keys(changes)?;
        self.tenant_keys
            .write()
            .insert((tenant.clone(), new_version), Arc::new(new_key));
        self.tenant_keys
            .write()
            .retain(|(t, v), _| t != tenant || !receipt.destroyed_tenant_key_versions.contains(v));

        Ok(RotationReport {
            tenant: tenant.clone(),
            new_version,
            rewrapped_subject_keys: receipt.rewrapped,
            destroyed_versions: receipt.destroyed_tenant_key_versions,
        })
    }
}

fn subject_aad(key: &WrappedSubjectKey) -> Aad<'_> {
    Aad::SubjectKey {
        tenant: &key.tenant,
        subject: &key.subject,
        subject_key_version: key.version,
        tenant_key_version: key.tenant_key_version,
    }
}
