//! The record types each tenant uses: the built-in ones, with the tenant's attribute mappings
//! applied, and the tenant's own custom types.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use phiguard_core::{AuditAction, Decision, Outcome, TenantId, Timestamp};
use phiguard_policy::{Action, Resource};
use phiguard_records::{AttributeMap, RecordType, builtin_type, builtin_types};
use phiguard_store::{Change, RecordTypeConfig};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Caller, Vault, VaultError};

/// A tenant's effective record types, by name, as of one configuration version.
#[derive(Default)]
struct TenantTypes {
    version: u64,
    types: HashMap<String, Arc<RecordType>>,
    maps: HashMap<String, Value>,
}

/// Effective record types per tenant, recomputed when the tenant's configuration changes.
#[derive(Default)]
pub(crate) struct RecordTypeCache(RwLock<HashMap<TenantId, Arc<TenantTypes>>>);

/// A record type as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordTypeInfo {
    /// The type's name.
    pub name: String,
    /// Whether phiguard ships it.
    pub builtin: bool,
    /// What it holds.
    pub description: String,
    /// The tenant's attribute mapping for it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_map: Option<Value>,
    /// Its rules, search fields and attribute lists.
    pub definition: Value,
}

const CUSTOM: &str = "custom";
const ATTRIBUTE_MAP: &str = "attribute_map";

impl Vault {
    fn tenant_types(&self, tenant: &TenantId) -> Result<Arc<TenantTypes>, VaultError> {
        let version = self
            .store()
            .config_version(tenant)?
            .ok_or(VaultError::NotFound("the tenant"))?;
        if let Some(types) = self.record_types.0.read().get(tenant)
            && types.version == version
        {
            return Ok(Arc::clone(types));
        }

        let mut types: HashMap<String, Arc<RecordType>> = builtin_types()
            .iter()
            .map(|t| (t.name().as_str().to_owned(), Arc::new(t.clone())))
            .collect();
        let mut maps = HashMap::new();
        for config in self.store().record_types(tenant)? {
            let stored: Value = serde_json::from_str(&config.definition)
                .map_err(|_| VaultError::internal("a stored record type", "is not JSON"))?;
            if let Some(definition) = stored.get(CUSTOM) {
                let bytes = serde_json::to_vec(definition).unwrap_or_default();
                let custom = RecordType::custom_from_json(&bytes)
                    .map_err(|e| VaultError::internal("a stored custom record type", e))?;
                types.insert(config.name.clone(), Arc::new(custom));
            } else if let Some(map) = stored.get(ATTRIBUTE_MAP) {
                let builtin = builtin_type(&config.name)
                    .ok_or_else(|| VaultError::internal("an attribute map", "names no type"))?;
                let parsed = AttributeMap::from_json(map)
                    .map_err(|e| VaultError::internal("a stored attribute map", e))?;
                types.insert(
                    config.name.clone(),
                    Arc::new(builtin.with_attribute_map(&parsed)),
                );
                maps.insert(config.name.clone(), map.clone());
            }
        }

        let computed = Arc::new(TenantTypes {
            version,
            types,
            maps,
        });
        self.record_types
            .0
            .write()
            .insert(tenant.clone(), Arc::clone(&computed));
        Ok(computed)
    }

    /// The effective record type `name` for `tenant`.
    pub(crate) fn record_type(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Arc<RecordType>, VaultError> {
        self.tenant_types(tenant)?
            .types
            .get(name)
            .cloned()
            .ok_or(VaultError::UnknownRecordType)
    }

    /// Every record type of the tenant that declares a search field named `field`.
    pub(crate) fn types_with_search_field(
        &self,
        tenant: &TenantId,
        field: &str,
    ) -> Result<Vec<Arc<RecordType>>, VaultError> {
        Ok(self
            .tenant_types(tenant)?
            .types
            .values()
            .filter(|t| t.search_field(field).is_some())
            .cloned()
            .collect())
    }

    /// The record types a tenant can store. Allowed by `read_configuration`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; storage failures.
    pub async fn record_types(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<Vec<RecordTypeInfo>, VaultError> {
        let action = Action::ReadConfiguration;
        if let Err(e) = self.authorize(caller, tenant, action, Resource::Tenant(tenant)) {
            return Err(self
                .refuse(caller, AuditAction::ReadConfiguration, None, None, e)
                .await);
        }

        let types = self.tenant_types(tenant)?;
        let mut infos: Vec<RecordTypeInfo> = types
            .types
            .values()
            .map(|t| RecordTypeInfo {
                name: t.name().as_str().to_owned(),
                builtin: builtin_type(t.name().as_str()).is_some(),
                description: t.description().to_owned(),
                attribute_map: types.maps.get(t.name().as_str()).cloned(),
                definition: t.definition_json(),
            })
            .collect();
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(infos)
    }

    /// Registers or replaces a tenant's custom record type from its JSON definition. Allowed by
    /// `manage_record_types`.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] naming the rule that is wrong, or a reserved namespace;
    /// [`VaultError::Forbidden`].
    pub async fn put_custom_record_type(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        definition: &[u8],
    ) -> Result<RecordTypeInfo, VaultError> {
        let action = Action::ManageRecordTypes;
        let parsed = self
            .authorize(caller, tenant, action, Resource::Tenant(tenant))
            .and_then(|_| {
                RecordType::custom_from_json(definition).map_err(|e| VaultError::InvalidInput {
                    what: "the record type definition",
                    reason: e.to_string(),
                })
            });
        let record_type = match parsed {
            Ok(t) => t,
            Err(e) => {
                return Err(self
                    .refuse(caller, AuditAction::PutRecordType, None, None, e)
                    .await);
            }
        };

        let name = record_type.name().as_str().to_owned();
        let stored = json!({ CUSTOM: record_type.definition_json() });
        self.store_type_config(caller, tenant, &name, stored)
            .await?;
        Ok(RecordTypeInfo {
            name,
            builtin: false,
            description: record_type.description().to_owned(),
            attribute_map: None,
            definition: record_type.definition_json(),
        })
    }

    /// Sets a tenant's mapping of form labels (Shopify `note_attributes` and line-item
    /// `properties`) to categories for a built-in type. Allowed by `manage_record_types`.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] naming the entry that is wrong;
    /// [`VaultError::UnknownRecordType`] for a type that is not built in or has no attribute
    /// lists; [`VaultError::Forbidden`].
    pub async fn put_attribute_map(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        record_type: &str,
        map: &Value,
    ) -> Result<RecordTypeInfo, VaultError> {
        let action = Action::ManageRecordTypes;
        let checked = self
            .authorize(caller, tenant, action, Resource::Tenant(tenant))
            .and_then(|_| {
                let builtin = builtin_type(record_type)
                    .filter(|t| !t.attribute_lists().is_empty())
                    .ok_or(VaultError::UnknownRecordType)?;
                let parsed =
                    AttributeMap::from_json(map).map_err(|e| VaultError::InvalidInput {
                        what: "the attribute map",
                        reason: e.to_string(),
                    })?;
                Ok(builtin.with_attribute_map(&parsed))
            });
        let effective = match checked {
            Ok(t) => t,
            Err(e) => {
                return Err(self
                    .refuse(caller, AuditAction::PutRecordType, None, None, e)
                    .await);
            }
        };

        self.store_type_config(caller, tenant, record_type, json!({ ATTRIBUTE_MAP: map }))
            .await?;
        Ok(RecordTypeInfo {
            name: record_type.to_owned(),
            builtin: true,
            description: effective.description().to_owned(),
            attribute_map: Some(map.clone()),
            definition: effective.definition_json(),
        })
    }

    async fn store_type_config(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        name: &str,
        stored: Value,
    ) -> Result<(), VaultError> {
        let config = RecordTypeConfig {
            tenant: tenant.clone(),
            name: name.to_owned(),
            definition: stored.to_string(),
            updated_at: Timestamp::now(),
        };
        let mut event = self.event(
            caller,
            AuditAction::PutRecordType,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(name.to_owned());
        self.store()
            .submit(vec![Change::PutRecordType(config), Change::Audit(event)])
            .await?;
        Ok(())
    }
}
