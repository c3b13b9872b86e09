//! Putting a split document back together from the parts a caller may see.
//!
//! Both entry points gather the disclosed leaves, mask those of `masked` categories, sort them
//! by path and hand them to one [`Builder`], which builds the document in a single pass.
//! [`reassemble_encoded`] is the read path's fast form: it decodes fragments into views that
//! borrow keys and strings from the bytes, so the only allocations are the output's own.

use std::cmp::Ordering;

use phiguard_core::{Category, Disclosure, Disclosures};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use crate::fragment::{
    Fragment, FragmentError, FragmentView, Leaf, LeafValue, Part, StepRef, ValueRef,
};
use crate::json_writer::JsonWriter;
use crate::mask::mask_by_key;
use crate::path::PathStep;
use crate::walk::MAX_DEPTH;

/// What happens to the leaves of one part under `disclosures`: `None` when they are left out,
/// `Some(None)` when they are included as they are, `Some(Some(category))` when masked.
fn treatment(part: Part, disclosures: &Disclosures) -> Option<Option<Category>> {
    match part {
        Part::Structure => Some(None),
        Part::Phi(category) => match disclosures.get(category) {
            Disclosure::Withheld => None,
            Disclosure::Clear => Some(None),
            Disclosure::Masked => Some(Some(category)),
        },
    }
}

/// Rebuilds a document from the parts the vault opened, as `disclosures` allow.
///
/// [`Part::Structure`] is always included. A category disclosed `clear` is included as it is,
/// `masked` through [`crate::mask()`] (leaves without a safe reduced form are dropped), and
/// `withheld` not at all, even when its fragment is passed in. Arrays whose elements lost all
/// their leaves are compacted, keeping the remaining elements in order; objects and arrays that
/// lose every leaf disappear.
///
/// Fragments are expected to come from one split record. Should two disagree about a path
/// (which `split` never produces, and the vault's per-record encryption context prevents), the
/// leaf from the part given first is kept and the other is dropped.
pub fn reassemble(
    parts: impl IntoIterator<Item = (Part, Fragment)>,
    disclosures: &Disclosures,
) -> Value {
    let mut leaves: Vec<(Leaf, Option<Value>)> = Vec::new();
    for (part, fragment) in parts {
        let Some(masking) = treatment(part, disclosures) else {
            continue;
        };
        for leaf in fragment.into_leaves() {
            let value = match masking {
                None => None,
                Some(category) => match masked(category, leaf.path.last_key(), &leaf.value) {
                    Some(value) => Some(value),
                    None => continue,
                },
            };
            leaves.push((leaf, value));
        }
    }

    // A stable sort keeps, among leaves with one path, the one from the earlier part first.
    leaves.sort_by(|a, b| a.0.path.cmp(&b.0.path));

    let mut builder = Builder::new();
    for (leaf, masked) in &mut leaves {
        let Leaf { path, value } = leaf;
        let value = match masked.take() {
            Some(masked) => masked,
            None => std::mem::replace(value, LeafValue::Null).into_json(),
        };
        let path: &_ = path;
        builder.push(path.steps(), value);
    }
    builder.finish()
}

fn masked(category: Category, last_key: Option<&str>, value: &LeafValue) -> Option<Value> {
    mask_by_key(category, last_key, &value.clone().into_json())
}

/// [`reassemble`] straight from encoded fragments, as the vault's read path has them after
/// decryption; faster, because keys and strings are read in place.
///
/// Fragments of withheld categories are not decoded. Fails only when a fragment's bytes are
/// malformed.
pub fn reassemble_encoded(
    parts: &[(Part, &[u8])],
    disclosures: &Disclosures,
) -> Result<Value, FragmentError> {
    let views = decode_disclosed(parts, disclosures)?;
    let mut builder = Builder::new();
    feed_in_order(&views, |steps, value| {
        builder.push(steps, value.into_json())
    });
    Ok(builder.finish())
}

/// [`reassemble_encoded`], written straight to compact JSON text without building a
/// [`Value`]: the cheapest way from stored fragments to a response body.
///
/// Parses to exactly the [`Value`] that [`reassemble_encoded`] returns; object keys come out
/// in path order (sorted).
pub fn reassemble_encoded_json(
    parts: &[(Part, &[u8])],
    disclosures: &Disclosures,
) -> Result<String, FragmentError> {
    let views = decode_disclosed(parts, disclosures)?;
    let capacity = parts.iter().map(|(_, bytes)| bytes.len()).sum::<usize>() * 2;
    let mut writer = JsonWriter::with_capacity(capacity);
    feed_in_order(&views, |steps, value| writer.push(steps, value));
    Ok(writer.finish())
}

type Views<'b> = Vec<(Option<Category>, FragmentView<'b>)>;

/// The views of the parts `disclosures` lets through, each with the category to mask by.
fn decode_disclosed<'b>(
    parts: &[(Part, &'b [u8])],
    disclosures: &Disclosures,
) -> Result<Views<'b>, FragmentError> {
    let mut views = Vec::with_capacity(parts.len());
    for (part, bytes) in parts {
        if let Some(masking) = treatment(*part, disclosures) {
            views.push((masking, FragmentView::decode(bytes)?));
        }
    }
    Ok(views)
}

/// A leaf's value as disclosed: read in place, or the masked form.
pub(crate) enum Disclosed<'v, 'b> {
    AsIs(&'v ValueRef<'b>),
    Masked(Value),
}

impl Disclosed<'_, '_> {
    fn into_json(self) -> Value {
        match self {
            Disclosed::AsIs(value) => value.to_json(),
            Disclosed::Masked(value) => value,
        }
    }
}

fn disclose<'v, 'b>(
    masking: Option<Category>,
    steps: &[StepRef<'_>],
    value: &'v ValueRef<'b>,
) -> Option<Disclosed<'v, 'b>> {
    let Some(category) = masking else {
        return Some(Disclosed::AsIs(value));
    };
    let last_key = steps.iter().rev().find_map(|step| match step {
        StepRef::Key(key) => Some(*key),
        StepRef::Index(_) => None,
    });
    mask_by_key(category, last_key, &value.to_json()).map(Disclosed::Masked)
}

/// Calls `emit` for every disclosed leaf of `views` in path order, the earliest view first
/// among equal paths. Views as the encoder writes them are sorted and are merged head by head;
/// any other order is sorted first.
fn feed_in_order<'v, 'b>(
    views: &'v [(Option<Category>, FragmentView<'b>)],
    mut emit: impl FnMut(&'v [StepRef<'b>], Disclosed<'v, 'b>),
) {
    if !views.iter().all(|(_, view)| view.sorted) {
        let mut leaves: Vec<(&'v [StepRef<'b>], Disclosed<'v, 'b>)> = Vec::new();
        for (masking, view) in views {
            for leaf in &view.leaves {
                let steps = view.steps_of(leaf);
                if let Some(value) = disclose(*masking, steps, &leaf.value) {
                    leaves.push((steps, value));
                }
            }
        }
        leaves.sort_by(|a, b| a.0.cmp(b.0));
        for (steps, value) in leaves {
            emit(steps, value);
        }
        return;
    }

    let mut heads = vec![0usize; views.len()];
    loop {
        let mut smallest: Option<(usize, &'v [StepRef<'b>])> = None;
        for (position, (_, view)) in views.iter().enumerate() {
            let Some(leaf) = view.leaves.get(heads[position]) else {
                continue;
            };
            let steps = view.steps_of(leaf);
            if smallest.is_none_or(|(_, best)| steps < best) {
                smallest = Some((position, steps));
            }
        }
        let Some((position, steps)) = smallest else {
            return;
        };

        let (masking, view) = &views[position];
        let leaf = &view.leaves[heads[position]];
        heads[position] += 1;
        if let Some(value) = disclose(*masking, steps, &leaf.value) {
            emit(steps, value);
        }
    }
}

/// What the builder needs of a path step, whether owned or borrowed.
pub(crate) trait Step {
    fn key(&self) -> Option<&str>;
    fn index(&self) -> Option<u32>;

    fn same(&self, other: &Self) -> bool {
        self.index() == other.index() && self.key() == other.key()
    }
}

impl Step for PathStep {
    fn key(&self) -> Option<&str> {
        self.as_key()
    }

    fn index(&self) -> Option<u32> {
        match self {
            PathStep::Index(index) => Some(*index),
            PathStep::Key(_) => None,
        }
    }
}

impl Step for StepRef<'_> {
    fn key(&self) -> Option<&str> {
        match self {
            StepRef::Key(key) => Some(key),
            StepRef::Index(_) => None,
        }
    }

    fn index(&self) -> Option<u32> {
        match self {
            StepRef::Index(index) => Some(*index),
            StepRef::Key(_) => None,
        }
    }

    fn same(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

/// A container under construction.
enum Container {
    Object(Map<String, Value>),
    /// The elements so far and the source index of the last one, to spot duplicates.
    Array(Vec<Value>, Option<u32>),
}

impl Container {
    fn for_step(next: &impl Step) -> Container {
        match next.index() {
            None => Container::Object(Map::new()),
            Some(_) => Container::Array(Vec::new(), None),
        }
    }

    /// Places `value` at `step`; a value that conflicts with what is there is dropped.
    fn insert(&mut self, step: &impl Step, value: Value) {
        match (self, step.key(), step.index()) {
            (Container::Object(map), Some(key), _) => {
                if let Entry::Vacant(slot) = map.entry(key) {
                    slot.insert(value);
                }
            }
            (Container::Array(items, last), _, Some(index)) if *last != Some(index) => {
                items.push(value);
                *last = Some(index);
            }
            _ => {}
        }
    }

    fn into_value(self) -> Value {
        match self {
            Container::Object(map) => Value::Object(map),
            Container::Array(items, _) => Value::Array(items),
        }
    }
}

/// Builds a document from leaves pushed in path order, in one pass: the open containers form a
/// stack along the current path, and each leaf closes the containers it does not share with
/// the previous one and opens those it needs. Sorted input keeps every container's leaves
/// together, so a closed container is never needed again; unsorted input loses leaves but
/// never panics.
pub(crate) struct Builder<'s, S> {
    /// `frames[i]` is the container at the first `i` steps of the current path; `frames[0]` is
    /// the document.
    frames: Vec<Container>,
    /// The steps that lead to `frames[1..]`.
    path: Vec<&'s S>,
}

impl<'s, S: Step> Builder<'s, S> {
    pub(crate) fn new() -> Self {
        let mut frames = Vec::with_capacity(MAX_DEPTH + 1);
        frames.push(Container::Object(Map::new()));
        Builder {
            frames,
            path: Vec::with_capacity(MAX_DEPTH),
        }
    }

    pub(crate) fn push(&mut self, steps: &'s [S], value: Value) {
        let Some((last, parents)) = steps.split_last() else {
            return;
        };

        let shared = parents
            .iter()
            .zip(&self.path)
            .take_while(|(step, open)| step.same(open))
            .count();
        while self.path.len() > shared {
            self.close();
        }

        for (depth, step) in parents.iter().enumerate().skip(shared) {
            self.frames.push(Container::for_step(&steps[depth + 1]));
            self.path.push(step);
        }

        if let Some(top) = self.frames.last_mut() {
            top.insert(last, value);
        }
    }

    fn close(&mut self) {
        let (Some(container), Some(step)) = (self.frames.pop(), self.path.pop()) else {
            return;
        };
        if let Some(parent) = self.frames.last_mut() {
            parent.insert(step, container.into_value());
        }
    }

    pub(crate) fn finish(mut self) -> Value {
        while !self.path.is_empty() {
            self.close();
        }
        self.frames
            .pop()
            .map_or_else(|| Value::Object(Map::new()), Container::into_value)
    }
}
