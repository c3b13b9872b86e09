//! Record types, PHI classification of JSON documents, masking and import formats (FHIR R4, Shopify orders).
