//! Why a schema, a policy or a principal was refused.
//!
//! Messages name the policy (by its id) and the annotation or rule at fault. They quote policy
//! text and Cedar's own diagnostics, which speak of entity types, attribute names and ids; no
//! PHI value ever reaches a policy, an entity or a request context, so none can reach a message.

use phiguard_core::Category;

/// A policy, the built-in schema or a principal could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The schema embedded in this crate does not parse; a build of phiguard is broken.
    #[error("phiguard's built-in Cedar schema does not parse: {message}")]
    BuiltInSchema {
        /// Cedar's diagnostic.
        message: String,
    },

    /// The default policy file embedded in this crate does not parse.
    #[error("phiguard's built-in policy file does not parse: {message}")]
    BuiltInPolicies {
        /// Cedar's diagnostic.
        message: String,
    },

    /// A built-in policy lacks the `@id("...")` annotation that names it.
    #[error(
        "built-in policy `{policy}` has no @id annotation; every global policy needs a \
         readable id"
    )]
    MissingGlobalId {
        /// The id Cedar's parser gave the policy (`policy<n>`, n counting from 0).
        policy: String,
    },

    /// A tenant policy id is empty, too long or uses characters outside the slug alphabet.
    #[error(
        "a tenant policy id must be 1 to 63 characters of lowercase letters, digits, '-', '_' \
         and '.', starting with a letter or digit"
    )]
    InvalidPolicyId,

    /// Two policies in one compilation share an id.
    #[error("policy `{policy}` is given twice; policy ids must be unique within a tenant")]
    DuplicatePolicy {
        /// The namespaced id, such as `tenant/front-desk`.
        policy: String,
    },

    /// The policy nests brackets deeper than phiguard accepts.
    #[error("policy `{policy}` nests brackets more than {max} levels deep; simplify it")]
    TooDeep {
        /// The namespaced policy id.
        policy: String,
        /// The deepest nesting accepted.
        max: usize,
    },

    /// The text is not exactly one static Cedar policy.
    #[error("policy `{policy}` is not one valid Cedar policy: {message}")]
    Syntax {
        /// The namespaced policy id.
        policy: String,
        /// Cedar's parser diagnostic.
        message: String,
    },

    /// The policy parses but Cedar's validator (strict mode) rejects it against the schema.
    #[error("policy `{policy}` does not validate against the phiguard schema: {message}")]
    Validation {
        /// The namespaced policy id.
        policy: String,
        /// Cedar's validator diagnostics, joined by "; ".
        message: String,
    },

    /// A disclosure annotation is unknown, misplaced or names something that is not a category.
    #[error("policy `{policy}`, annotation @{annotation}: {problem}")]
    Annotation {
        /// The namespaced policy id.
        policy: String,
        /// The annotation key as written.
        annotation: String,
        /// What is wrong with it.
        problem: AnnotationProblem,
    },

    /// A permit that can apply to `read_record` or `list_records` names no category.
    #[error(
        "policy `{policy}` permits read_record or list_records but carries neither @clear nor \
         @masked, so it would disclose nothing; name the categories it grants, for example \
         @masked(\"name, contact\")"
    )]
    MissingDisclosure {
        /// The namespaced policy id.
        policy: String,
    },

    /// Turning a ceiling `forbid` into its marked `permit` failed inside Cedar.
    #[error("policy `{policy}` could not be compiled into a category ceiling: {message}")]
    Ceiling {
        /// The namespaced policy id.
        policy: String,
        /// Cedar's diagnostic.
        message: String,
    },

    /// The request contexts could not be built; a build of phiguard is broken.
    #[error("phiguard's request contexts could not be built: {message}")]
    Context {
        /// Cedar's diagnostic.
        message: String,
    },

    /// The actor's Cedar entity could not be built from its facts.
    #[error("the Cedar entity for actor `{actor}` could not be built: {message}")]
    Principal {
        /// The actor id (a slug, never PHI).
        actor: String,
        /// Cedar's diagnostic.
        message: String,
    },
}

/// What is wrong with one annotation of a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnnotationProblem {
    /// The key is none of the annotations phiguard understands.
    #[error(
        "phiguard does not know this annotation; use @clear or @masked on a permit, @withhold \
         or @mask on a forbid, and @id or @description for documentation"
    )]
    Unknown,

    /// An entry of the comma-separated list is not a category name.
    #[error(
        "`{name}` is not a PHI category; expected identifier, name, contact, address, \
         birthdate, demographic, clinical, financial, free_text, or \"*\" for all nine"
    )]
    UnknownCategory {
        /// The entry as written in the policy text (policy text is configuration, not PHI).
        name: String,
    },

    /// The annotation has no value or only separators.
    #[error("it names no category; list categories separated by commas, or \"*\" for all nine")]
    Empty,

    /// A grant annotation on a forbid, or a ceiling annotation on a permit.
    #[error("it belongs on a {belongs_on} policy")]
    WrongEffect {
        /// `permit` or `forbid`.
        belongs_on: &'static str,
    },

    /// Two disclosure annotations of the same policy name the same category.
    #[error("it names `{category}`, which another disclosure annotation of this policy names too")]
    Conflict {
        /// The category named twice.
        category: Category,
    },

    /// The policy's scope excludes both PHI-reading actions, so the annotation has no effect.
    #[error(
        "the policy cannot apply to read_record or list_records, the only actions whose \
         disclosures policies decide; put the action in the policy scope"
    )]
    NotPhiAction,
}
