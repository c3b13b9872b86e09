//! Depth-first traversal of a document's leaves, shared by splitting, search and reports.

use std::sync::Arc;

use serde_json::Value;

use crate::path::PathStep;

/// The deepest path a document may have, in steps. FHIR resources reach about 8 and Shopify
/// orders 5; the limit keeps hostile documents from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

/// The document nests deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooDeep;

/// Where the walk stands when it reaches a leaf.
pub(crate) struct LeafSite<'p, 'v> {
    /// The steps from the top-level object to the leaf.
    pub(crate) steps: &'p [PathStep],
    /// `nodes[i]` is the value reached after `steps[..i]`; `nodes[0]` is the document and the
    /// last entry is the leaf itself, so `nodes.len() == steps.len() + 1`.
    pub(crate) nodes: &'p [&'v Value],
}

impl<'v> LeafSite<'_, 'v> {
    /// The leaf's value.
    pub(crate) fn value(&self) -> &'v Value {
        self.nodes[self.nodes.len() - 1]
    }
}

/// Calls `visit` for every leaf of `document` (scalars and empty containers, not the document
/// itself when it is empty), in the document's own key order.
pub(crate) fn walk_leaves<'v>(
    document: &'v Value,
    visit: &mut dyn FnMut(&LeafSite<'_, 'v>),
) -> Result<(), TooDeep> {
    let mut walker = Walker {
        steps: Vec::with_capacity(16),
        nodes: Vec::with_capacity(17),
    };
    walker.nodes.push(document);
    walker.children(document, visit)
}

struct Walker<'v> {
    steps: Vec<PathStep>,
    nodes: Vec<&'v Value>,
}

impl<'v> Walker<'v> {
    fn children(
        &mut self,
        container: &'v Value,
        visit: &mut dyn FnMut(&LeafSite<'_, 'v>),
    ) -> Result<(), TooDeep> {
        match container {
            Value::Object(map) => {
                for (key, child) in map {
                    self.descend(PathStep::Key(Arc::from(key.as_str())), child, visit)?;
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    let index = u32::try_from(index).map_err(|_| TooDeep)?;
                    self.descend(PathStep::Index(index), child, visit)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn descend(
        &mut self,
        step: PathStep,
        child: &'v Value,
        visit: &mut dyn FnMut(&LeafSite<'_, 'v>),
    ) -> Result<(), TooDeep> {
        if self.steps.len() >= MAX_DEPTH {
            return Err(TooDeep);
        }
        self.steps.push(step);
        self.nodes.push(child);

        let result = if is_leaf(child) {
            visit(&LeafSite {
                steps: &self.steps,
                nodes: &self.nodes,
            });
            Ok(())
        } else {
            self.children(child, visit)
        };

        self.steps.pop();
        self.nodes.pop();
        result
    }
}

/// Scalars and empty containers are leaves.
pub(crate) fn is_leaf(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::LeafPath;
    use serde_json::json;

    fn leaves(document: &Value) -> Vec<String> {
        let mut seen = Vec::new();
        walk_leaves(document, &mut |site| {
            assert_eq!(site.nodes.len(), site.steps.len() + 1);
            let path: LeafPath = site.steps.iter().cloned().collect();
            seen.push(format!("{path}={}", site.value()));
        })
        .unwrap();
        seen.sort();
        seen
    }

    #[test]
    fn visits_scalars_and_empty_containers() {
        let document = json!({"a": [1, {"b": null}, []], "c": {}, "d": {"e": "x"}});
        assert_eq!(
            leaves(&document),
            ["a[0]=1", "a[1].b=null", "a[2]=[]", "c={}", "d.e=\"x\""]
        );
        assert!(leaves(&json!({})).is_empty());
    }

    #[test]
    fn refuses_documents_deeper_than_the_limit() {
        let mut deep = json!("leaf");
        for _ in 0..MAX_DEPTH {
            deep = json!([deep]);
        }
        assert!(walk_leaves(&json!({ "a": deep.clone() }), &mut |_| {}).is_err());
        assert!(walk_leaves(&json!({ "a": deep[0].clone() }), &mut |_| {}).is_ok());
    }
}
