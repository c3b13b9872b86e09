//! The inventory's types: what the TOML file declares, field by field.
//!
//! Every struct denies unknown fields, so a misspelt key is an error rather than a silently
//! ignored setting. References to other entries (`system = "storefront"`) are kept with their
//! position in the file so that an undefined one can be reported where it was written.

use jiff::civil::Date;
use phiguard_core::{Category, Role, TenantId};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// A whole platform inventory: one file per platform.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// The platform as a whole.
    pub platform: Platform,
    /// The applications and services PHI can pass through.
    #[serde(default)]
    pub systems: Vec<System>,
    /// Databases, caches, search indexes, object stores, backups and log sinks.
    #[serde(default)]
    pub data_stores: Vec<DataStore>,
    /// Third parties that receive data: trackers, payment, email, fulfilment, EHRs.
    #[serde(default)]
    pub integrations: Vec<Integration>,
    /// Pages and screens, and who can reach them.
    #[serde(default)]
    pub surfaces: Vec<Surface>,
    /// Roles, how they are provisioned and what PHI they reach.
    #[serde(default)]
    pub roles: Vec<RoleGrant>,
    /// Signed statements for controls no machine can check.
    #[serde(default)]
    pub attestations: Vec<Attestation>,
}

/// The platform the inventory describes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// A human name, for reports.
    pub name: String,
    /// The commerce platform it is built on.
    pub kind: PlatformKind,
    /// Who answers for the inventory (a team or a role, not a person's private details).
    pub owner: String,
    /// The healthcare organisations (covered entities) the platform serves.
    #[serde(default)]
    pub tenants: Vec<TenantId>,
}

/// The commerce platform a storefront runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformKind {
    /// Shopify Plus (Shopify does not sign business associate agreements).
    ShopifyPlus,
    /// Shopify below Plus.
    Shopify,
    /// Magento Open Source, self-hosted.
    Magento,
    /// Adobe Commerce (Adobe offers a BAA for its HIPAA-ready services).
    AdobeCommerce,
    /// A headless storefront over a commerce API.
    Headless,
    /// Anything else.
    Custom,
}

/// An application or service: the unit other entries belong to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// A slug other entries use to refer to this system.
    pub id: String,
    /// A human name.
    pub name: String,
    /// What kind of system it is.
    pub kind: SystemKind,
    /// Where it runs (`shopify`, `aws:us-east-1`, `on-premises`), free text.
    #[serde(default)]
    pub hosting: Option<String>,
    /// Whether PHI is processed or stored in the system itself.
    pub handles_phi: bool,
    /// The team that owns it.
    #[serde(default)]
    pub owner: Option<String>,
}

/// What kind of system an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemKind {
    /// The customer-facing shop.
    Storefront,
    /// An order, pharmacy or fulfilment back-end the platform runs.
    Backend,
    /// An admin application or app-settings screen.
    AdminApp,
    /// Analytics, data warehouse or pipelines.
    DataPlatform,
    /// Shared infrastructure: networks, clusters, CI.
    Infrastructure,
    /// A system run by a third party on the platform's behalf.
    ThirdParty,
}

/// A place data rests: a database, cache, search index, object store, backup or log sink.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataStore {
    /// A slug other entries use to refer to this store.
    pub id: String,
    /// The system that owns the store.
    pub system: Spanned<String>,
    /// What kind of store it is.
    pub kind: DataStoreKind,
    /// The product (`postgresql`, `redis`, `opensearch`, `s3`), free text.
    #[serde(default)]
    pub engine: Option<String>,
    /// Whether the store holds PHI. Say `true` when unsure: assess treats an unknown as PHI.
    pub holds_phi: bool,
    /// The PHI categories it holds.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// How the data is encrypted where it rests.
    pub encryption_at_rest: AtRest,
    /// How the data is protected on the network.
    pub encryption_in_transit: InTransit,
    /// Terraform resource addresses that create the store
    /// (`aws_elasticache_replication_group.sessions`), so scan findings can be tied to it.
    #[serde(default)]
    pub terraform: Vec<String>,
    /// For a backup or snapshot store: the id of the store it copies.
    #[serde(default)]
    pub backup_of: Option<Spanned<String>>,
    /// How long data is kept, in days.
    #[serde(default)]
    pub retention_days: Option<u32>,
}

/// The kinds of data store the Security Rule cares about differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataStoreKind {
    /// A relational or document database.
    Database,
    /// Redis, Memcached, Valkey: often forgotten when encryption is planned.
    Cache,
    /// OpenSearch, Elasticsearch, Algolia: copies of records, often in plaintext.
    SearchIndex,
    /// S3, GCS, Azure Blob.
    ObjectStore,
    /// Backups and snapshots.
    Backup,
    /// Where logs end up.
    LogSink,
}

/// Encryption at rest, as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtRest {
    /// Encrypted under a key the platform controls (KMS customer-managed key, HSM).
    CustomerManagedKey,
    /// Encrypted by the provider under a key the platform does not control.
    ProviderManagedKey,
    /// Not encrypted.
    None,
    /// Nobody knows yet: assess reports it as missing evidence.
    Unknown,
}

/// Protection on the network, as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InTransit {
    /// TLS with certificates verified by the clients.
    Tls,
    /// TLS in both directions.
    MutualTls,
    /// Plaintext on the network.
    None,
    /// Nobody knows yet.
    Unknown,
}

/// A third party that receives data from the platform.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integration {
    /// A slug for the integration.
    pub id: String,
    /// The vendor's name (`Meta`, `Google`, `Stripe`). Scan matches its recipients against this
    /// name and the aliases, ignoring case and punctuation.
    pub vendor: String,
    /// Other names the vendor's scripts go by (`facebook`, `gtm`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What the integration is for.
    pub kind: IntegrationKind,
    /// The state of the business associate agreement.
    pub baa: BaaStatus,
    /// Where the signed BAA is kept.
    #[serde(default)]
    pub baa_document: Option<String>,
    /// The PHI categories it receives.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The systems that send it data.
    #[serde(default)]
    pub systems: Vec<Spanned<String>>,
}

/// What an integration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    /// Analytics and tag managers.
    Analytics,
    /// Advertising pixels.
    Advertising,
    /// Session replay and heatmaps.
    SessionReplay,
    /// Email and SMS marketing.
    Marketing,
    /// Payment processing.
    Payment,
    /// Shipping and fulfilment.
    Fulfillment,
    /// Electronic health records, e-prescribing, labs.
    Clinical,
    /// Customer support tools.
    Support,
    /// Anything else.
    Other,
}

/// Whether a business associate agreement covers what a third party receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaaStatus {
    /// A BAA is signed: PHI may go there within its terms.
    Signed,
    /// No BAA: no PHI may go there.
    NotSigned,
    /// The party receives no PHI, or a HIPAA exception applies (say which in the inventory's
    /// comments); scan still treats PHI sent there as a finding.
    NotRequired,
    /// Nobody knows yet.
    Unknown,
}

impl BaaStatus {
    /// Whether PHI sent to the party is covered by an agreement.
    pub const fn covers_phi(self) -> bool {
        matches!(self, BaaStatus::Signed)
    }
}

/// A page or screen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Surface {
    /// A slug for the surface.
    pub id: String,
    /// The system that serves it.
    pub system: Spanned<String>,
    /// What kind of page it is.
    pub kind: SurfaceKind,
    /// Whether a visitor must sign in to reach it.
    pub authenticated: bool,
    /// Who can reach it.
    pub audience: Audience,
    /// Whether the page is about a health condition, treatment or prescription.
    #[serde(default)]
    pub health_context: bool,
    /// URL paths, for reports (`/account/orders`).
    #[serde(default)]
    pub urls: Vec<String>,
    /// Glob patterns of the source files that render the surface, relative to the scanned root
    /// (`templates/customers/*.liquid`, `sections/main-account*.liquid`).
    #[serde(default)]
    pub files: Vec<String>,
}

/// What kind of page a surface is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurfaceKind {
    /// A public storefront page (home, collection, product, blog).
    StorefrontPage,
    /// Cart and checkout.
    Checkout,
    /// The customer account, order history and order status.
    Account,
    /// The merchant's admin.
    Admin,
    /// App-settings screens inside an admin.
    AppSettings,
}

/// Who can reach a surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Anyone on the internet.
    Public,
    /// Signed-in customers (patients).
    Customers,
    /// The tenant's staff.
    Staff,
    /// The tenant's administrators.
    TenantAdmins,
    /// The platform's own operators.
    PlatformOperators,
}

impl Surface {
    /// Whether a tracker on this surface sees PHI under the OCR tracking-technology guidance:
    /// authenticated pages, checkout and account pages do; so do unauthenticated pages about a
    /// health condition, although AHA v. Becerra vacated that part for IP address plus visit.
    pub fn trackers_see_phi(&self) -> bool {
        self.authenticated || matches!(self.kind, SurfaceKind::Checkout | SurfaceKind::Account)
    }
}

/// A role, how its members get it and what it reaches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleGrant {
    /// The role's name, as policies spell it.
    pub id: Role,
    /// What the role does.
    #[serde(default)]
    pub description: Option<String>,
    /// The systems the role gives access to.
    #[serde(default)]
    pub systems: Vec<Spanned<String>>,
    /// How members are added and removed.
    pub provisioning: Provisioning,
    /// The PHI categories the role can see.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Whether sign-in requires a second factor.
    #[serde(default)]
    pub mfa: bool,
    /// How often membership is re-certified, in days; absent means never.
    #[serde(default)]
    pub recertification_days: Option<u32>,
    /// When membership was last re-certified.
    #[serde(default, deserialize_with = "optional_date")]
    pub last_recertified: Option<Date>,
}

/// How members of a role are provisioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provisioning {
    /// Single sign-on with automated provisioning and de-provisioning (SCIM).
    SsoScim,
    /// Single sign-on, accounts created by hand.
    Sso,
    /// Local accounts created by hand.
    Manual,
    /// One account shared by several people.
    SharedAccount,
    /// API keys or service credentials.
    ApiKey,
}

/// A signed statement for a control no machine can check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The 45 CFR citation the statement covers, as `164.308(a)(1)(ii)(C)`; a statement for a
    /// standard covers its implementation specifications. Kept with its position so that a
    /// citation assess does not know can be reported where it was written.
    pub control: Spanned<String>,
    /// What is attested, in a few words.
    pub title: String,
    /// Who signs for it (a role or team).
    pub owner: String,
    /// When it was signed.
    #[serde(deserialize_with = "date")]
    pub date: Date,
    /// Where the evidence lives.
    pub document: String,
    /// When it must be renewed.
    #[serde(default, deserialize_with = "optional_date")]
    pub expires: Option<Date>,
}

fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    let datetime = toml::value::Datetime::deserialize(deserializer)?;
    civil_date(&datetime).map_err(serde::de::Error::custom)
}

fn optional_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
    date(deserializer).map(Some)
}

fn civil_date(datetime: &toml::value::Datetime) -> Result<Date, &'static str> {
    const WANTED: &str = "expected a plain date such as 2025-03-31, without a time";

    if datetime.time.is_some() || datetime.offset.is_some() {
        return Err(WANTED);
    }

    let day = datetime.date.ok_or(WANTED)?;
    let year = i16::try_from(day.year).map_err(|_| WANTED)?;
    let month = i8::try_from(day.month).map_err(|_| WANTED)?;
    let day_of_month = i8::try_from(day.day).map_err(|_| WANTED)?;
    Date::new(year, month, day_of_month).map_err(|_| WANTED)
}
