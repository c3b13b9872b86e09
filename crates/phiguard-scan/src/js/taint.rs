//! Taint: what a value carries — PHI evidence, the function parameters it came from (while a
//! function is being summarised), and for object literals the taint of each known field.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::classify::Evidence;

/// The PHI a value may carry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Taint {
    /// Evidence that the value as a whole is PHI.
    pub evidence: Option<Rc<Evidence>>,
    /// Bit `i` set: the value depends on parameter `i` of the function being summarised.
    pub params: u32,
    /// For object literals: the fields whose taint is known.
    pub fields: Option<Rc<BTreeMap<String, Taint>>>,
}

impl Taint {
    /// A value that carries nothing.
    pub(crate) fn clean() -> Self {
        Taint::default()
    }

    /// A value that is PHI for the reason given.
    pub(crate) fn phi(evidence: Evidence) -> Self {
        Taint {
            evidence: Some(Rc::new(evidence)),
            ..Taint::default()
        }
    }

    /// The value of parameter `index` while a function is summarised.
    pub(crate) fn param(index: usize) -> Self {
        let params = u32::try_from(index)
            .ok()
            .and_then(|i| 1u32.checked_shl(i))
            .unwrap_or(0);
        Taint {
            params,
            ..Taint::default()
        }
    }

    /// An object literal with known fields.
    pub(crate) fn object(opaque: Taint, fields: BTreeMap<String, Taint>) -> Self {
        Taint {
            fields: Some(Rc::new(fields)),
            ..opaque
        }
    }

    /// A value carrying both.
    pub(crate) fn union(self, other: Taint) -> Taint {
        let fields = match (self.fields, other.fields) {
            (Some(a), Some(b)) => {
                let mut merged = (*a).clone();
                for (key, taint) in b.iter() {
                    let joined = match merged.remove(key) {
                        Some(existing) => existing.union(taint.clone()),
                        None => taint.clone(),
                    };
                    merged.insert(key.clone(), joined);
                }
                Some(Rc::new(merged))
            }
            (a, b) => a.or(b),
        };
        Taint {
            evidence: self.evidence.or(other.evidence),
            params: self.params | other.params,
            fields,
        }
    }

    /// The value with its field structure forgotten (an element of an array, a method result).
    pub(crate) fn flatten(&self) -> Taint {
        Taint {
            evidence: self.first_evidence(),
            params: self.all_params(),
            fields: None,
        }
    }

    /// The evidence of the value or of any field in it.
    pub(crate) fn first_evidence(&self) -> Option<Rc<Evidence>> {
        self.evidence.clone().or_else(|| {
            self.fields
                .as_ref()
                .and_then(|fields| fields.values().find_map(Taint::first_evidence))
        })
    }

    /// The parameters the value or any field in it depends on.
    pub(crate) fn all_params(&self) -> u32 {
        let fields = self.fields.as_ref().map_or(0, |fields| {
            fields.values().fold(0, |acc, t| acc | t.all_params())
        });
        self.params | fields
    }

    /// The taint of member `name`: the field's own when the object is a literal, the whole
    /// value's otherwise.
    pub(crate) fn member(&self, name: &str) -> Taint {
        let opaque = Taint {
            evidence: self.evidence.clone(),
            params: self.params,
            fields: None,
        };
        match &self.fields {
            Some(fields) => match fields.get(name) {
                Some(field) => field.clone().union(opaque),
                None => opaque,
            },
            None => opaque,
        }
    }
}

#[cfg(test)]
mod tests {
    use phiguard_core::Category;

    use super::*;

    #[test]
    fn fields_keep_their_own_taint() {
        let mut fields = BTreeMap::new();
        fields.insert(
            "dob".to_owned(),
            Taint::phi(Evidence::new(Category::Birthdate, "dob")),
        );
        fields.insert("token".to_owned(), Taint::clean());
        let object = Taint::object(Taint::clean(), fields);

        assert!(object.first_evidence().is_some());
        assert!(object.member("dob").first_evidence().is_some());
        assert!(object.member("token").first_evidence().is_none());
        assert!(object.member("other").first_evidence().is_none());
        assert!(object.flatten().first_evidence().is_some());
    }

    #[test]
    fn params_combine() {
        let t = Taint::param(0).union(Taint::param(3));
        assert_eq!(t.all_params(), 0b1001);
        assert_eq!(Taint::param(40).params, 0);
    }
}
