//! The shape of an append-only Merkle tree and the nodes a store keeps of it.
//!
//! Only *perfect* subtrees are ever stored: a node at `(level, index)` is the root of the `2^level`
//! leaves `[index * 2^level, (index + 1) * 2^level)`, and level 0 holds the leaf hashes. Such a
//! node never changes once its last leaf is appended, so a store can write it once and never
//! touch it again. The root of a tree of any size is the fold of at most 64 of them (one per set
//! bit of the size), which is how [`root_at`] answers for any past size in `O(log n)` reads.
//!
//! ```text
//!  size 6:            root = H(n(2,0), n(1,2))
//!                      /                 \
//!              n(2,0) = [0,4)         n(1,2) = [4,6)
//!               /        \              /      \
//!          n(1,0)     n(1,1)        n(0,4)   n(0,5)
//!          /   \      /   \
//!      n(0,0) n(0,1) n(0,2) n(0,3)
//! ```

use std::fmt;

use crate::hash::{Hash, empty_root, node_hash};

/// The position of one perfect subtree: `2^level` leaves starting at leaf `index * 2^level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// The height of the subtree; 0 is a single leaf.
    pub level: u8,
    /// The subtree's position among the subtrees of its level, counted from 0 at the left.
    pub index: u64,
}

impl NodeId {
    /// The node of one leaf.
    pub const fn leaf(index: u64) -> Self {
        NodeId { level: 0, index }
    }

    /// The first leaf this node covers.
    pub const fn first_leaf(self) -> u64 {
        self.index << self.level
    }

    /// One past the last leaf this node covers.
    pub const fn end_leaf(self) -> u64 {
        (self.index + 1) << self.level
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node ({}, {})", self.level, self.index)
    }
}

/// Where the hashes of perfect subtrees come from: the store's node table, or memory.
///
/// Implementations return the hash stored for a node that is complete in the log; asking for a
/// node whose leaves are not all appended yet is a caller bug that the functions of this crate
/// never commit (they only ask for nodes inside the tree size they were given).
pub trait NodeSource {
    /// Why a node could not be read.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The hash of one perfect subtree.
    fn node(&self, id: NodeId) -> Result<Hash, Self::Error>;

    /// The hashes of several perfect subtrees, in the order asked. A SQL store should override
    /// this to answer with one query; the proofs and roots of this crate read all the nodes they
    /// need through one call.
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        ids.iter().map(|id| self.node(*id)).collect()
    }
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    type Error = T::Error;

    fn node(&self, id: NodeId) -> Result<Hash, Self::Error> {
        (**self).node(id)
    }

    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        (**self).nodes(ids)
    }
}

/// Why a root or proof could not be computed from a [`NodeSource`].
#[derive(Debug, thiserror::Error)]
pub enum TreeError<E> {
    /// The node source failed.
    #[error("the ledger's node hashes could not be read")]
    Source(#[source] E),
    /// The node source answered with a different number of hashes than asked for.
    #[error("the ledger's node source returned {returned} hashes for {asked} nodes")]
    WrongNodeCount {
        /// How many nodes were asked for.
        asked: usize,
        /// How many hashes came back.
        returned: usize,
    },
    /// An inclusion proof was asked for a leaf the tree does not contain.
    #[error("leaf index {index} is not inside a tree of size {size}")]
    LeafOutOfRange {
        /// The leaf asked for.
        index: u64,
        /// The tree size the proof was asked against.
        size: u64,
    },
    /// A consistency proof was asked from a larger tree to a smaller one.
    #[error("a consistency proof needs the old size {old} to be at most the new size {new}")]
    SizesOutOfOrder {
        /// The size of the older tree.
        old: u64,
        /// The size of the newer tree.
        new: u64,
    },
}

/// Reads the given nodes through one [`NodeSource::nodes`] call and checks the answer's length.
pub(crate) fn read_nodes<S: NodeSource>(
    source: &S,
    ids: &[NodeId],
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }

    let hashes = source.nodes(ids).map_err(TreeError::Source)?;
    if hashes.len() != ids.len() {
        return Err(TreeError::WrongNodeCount {
            asked: ids.len(),
            returned: hashes.len(),
        });
    }
    Ok(hashes)
}

/// The perfect subtrees that make up the leaves `[start, end)`, left to right (largest first).
///
/// `start` must be a multiple of the largest power of two not above `end - start`, which holds for
/// every range RFC 6962's recursive definition produces; the range then splits along the set bits
/// of its length.
pub(crate) fn range_nodes(start: u64, end: u64) -> Vec<NodeId> {
    let mut ids = Vec::with_capacity(8);
    let mut position = start;
    let length = end - start;

    for level in (0..64u8).rev() {
        if length & (1 << level) != 0 {
            ids.push(NodeId {
                level,
                index: position >> level,
            });
            position += 1 << level;
        }
    }
    ids
}

/// Folds the hashes of adjacent perfect subtrees (left to right) into the hash of their range.
pub(crate) fn fold_range(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    let Some(last) = iter.next() else {
        return empty_root();
    };
    iter.fold(*last, |right, left| node_hash(left, &right))
}

/// The perfect subtrees whose roots fold into the root of a tree of `size` leaves.
pub fn peak_nodes(size: u64) -> Vec<NodeId> {
    range_nodes(0, size)
}

/// The root of the tree as it was when it had `size` leaves, from at most 64 node reads.
///
/// The empty tree's root is `SHA-256("")` and needs no read.
pub fn root_at<S: NodeSource>(size: u64, source: &S) -> Result<Hash, TreeError<S::Error>> {
    let hashes = read_nodes(source, &peak_nodes(size))?;
    Ok(fold_range(&hashes))
}

/// A perfect-subtree node completed by an append, for the store to persist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewNode {
    /// Where the node sits.
    pub id: NodeId,
    /// Its hash.
    pub hash: Hash,
}

/// The right edge of the tree: the roots of its perfect subtrees, enough to append and to compute
/// the root without reading anything else.
///
/// Holds one hash per set bit of the size (at most 64), so a writer keeps one per tenant in
/// memory and rebuilds it with [`Frontier::from_source`] after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    peaks: Vec<Hash>,
}

/// The hashes given for a frontier do not fit its size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a frontier of size {size} needs {expected} subtree hashes, not {given}")]
pub struct FrontierShapeError {
    /// The size claimed.
    pub size: u64,
    /// How many hashes that size needs.
    pub expected: usize,
    /// How many were given.
    pub given: usize,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub const fn new() -> Self {
        Frontier {
            size: 0,
            peaks: Vec::new(),
        }
    }

    /// A frontier from its size and the hashes of [`peak_nodes`]`(size)`, left to right.
    pub fn from_peaks(size: u64, peaks: Vec<Hash>) -> Result<Self, FrontierShapeError> {
        let expected = size.count_ones() as usize;
        if peaks.len() != expected {
            return Err(FrontierShapeError {
                size,
                expected,
                given: peaks.len(),
            });
        }
        Ok(Frontier { size, peaks })
    }

    /// Rebuilds the frontier of the tree at `size` from stored nodes (one batched read).
    pub fn from_source<S: NodeSource>(size: u64, source: &S) -> Result<Self, TreeError<S::Error>> {
        let peaks = read_nodes(source, &peak_nodes(size))?;
        Ok(Frontier { size, peaks })
    }

    /// How many leaves the tree has.
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The roots of the perfect subtrees on the right edge, left to right; they are the nodes
    /// [`peak_nodes`]`(self.size())` names.
    pub fn peaks(&self) -> &[Hash] {
        &self.peaks
    }

    /// The root hash of the tree (`SHA-256("")` when empty).
    pub fn root(&self) -> Hash {
        fold_range(&self.peaks)
    }

    /// Appends one leaf hash and returns every node the append completes, lowest first: the leaf
    /// itself at level 0, then each perfect subtree it closes. The store persists them all.
    ///
    /// # Panics
    ///
    /// Never in practice: it would need 2^64 appends.
    pub fn append(&mut self, leaf: Hash) -> Vec<NewNode> {
        let mut completed = Vec::with_capacity(1 + self.size.trailing_ones() as usize);
        self.append_with(leaf, |id, hash| completed.push(NewNode { id, hash: *hash }));
        completed
    }

    /// Like [`Frontier::append`], but hands each completed node to `completed` instead of
    /// collecting them, for writers that stream them straight into a statement.
    pub fn append_with(&mut self, leaf: Hash, mut completed: impl FnMut(NodeId, &Hash)) {
        let mut id = NodeId::leaf(self.size);
        let mut hash = leaf;
        completed(id, &hash);

        // Each set low bit of the old size is a perfect subtree of the same height waiting on
        // its right sibling: merge until the first clear bit.
        while self.size & (1 << id.level) != 0 {
            let Some(left) = self.peaks.pop() else {
                break;
            };
            hash = node_hash(&left, &hash);
            id = NodeId {
                level: id.level + 1,
                index: id.index >> 1,
            };
            completed(id, &hash);
        }

        self.peaks.push(hash);
        self.size += 1;
    }
}

/// A whole tree kept in memory: every perfect-subtree node, level by level.
///
/// For tests, benchmarks and small tools; the server keeps its nodes in the store instead.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    frontier: Frontier,
    levels: Vec<Vec<Hash>>,
}

/// A node that a [`MemoryTree`] does not hold (its subtree is not complete).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the in-memory tree holds no {node}")]
pub struct MissingNode {
    /// The node asked for.
    pub node: NodeId,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        MemoryTree::default()
    }

    /// Appends one leaf hash.
    pub fn append(&mut self, leaf: Hash) {
        let levels = &mut self.levels;
        self.frontier.append_with(leaf, |id, hash| {
            let level = usize::from(id.level);
            if levels.len() <= level {
                levels.resize_with(level + 1, Vec::new);
            }
            levels[level].push(*hash);
        });
    }

    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The current frontier.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }
}

impl NodeSource for MemoryTree {
    type Error = MissingNode;

    fn node(&self, id: NodeId) -> Result<Hash, MissingNode> {
        usize::try_from(id.index)
            .ok()
            .and_then(|index| self.levels.get(usize::from(id.level))?.get(index))
            .copied()
            .ok_or(MissingNode { node: id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::reference::naive_root;
    use proptest::prelude::*;

    fn leaves(count: u64) -> Vec<Hash> {
        (0..count).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn appends_report_every_completed_node() {
        let mut frontier = Frontier::new();
        let mut reported = Vec::new();
        for leaf in leaves(8) {
            reported.push(
                frontier
                    .append(leaf)
                    .iter()
                    .map(|n| n.id)
                    .collect::<Vec<_>>(),
            );
        }

        assert_eq!(reported[0], vec![NodeId::leaf(0)]);
        assert_eq!(
            reported[1],
            vec![NodeId::leaf(1), NodeId { level: 1, index: 0 }]
        );
        assert_eq!(reported[2], vec![NodeId::leaf(2)]);
        assert_eq!(
            reported[7],
            vec![
                NodeId::leaf(7),
                NodeId { level: 1, index: 3 },
                NodeId { level: 2, index: 1 },
                NodeId { level: 3, index: 0 }
            ]
        );
        assert_eq!(frontier.peaks().len(), 1);
    }

    #[test]
    fn frontier_shapes_are_checked() {
        let two = leaves(2);
        assert!(Frontier::from_peaks(3, two.clone()).is_ok());
        let err = Frontier::from_peaks(4, two).unwrap_err();
        assert_eq!(err.expected, 1);
        assert!(Frontier::from_peaks(0, Vec::new()).unwrap().root() == empty_root());
    }

    #[test]
    fn memory_tree_refuses_incomplete_nodes() {
        let mut tree = MemoryTree::new();
        for leaf in leaves(3) {
            tree.append(leaf);
        }
        assert!(tree.node(NodeId { level: 1, index: 0 }).is_ok());
        assert!(tree.node(NodeId { level: 1, index: 1 }).is_err());
        assert!(tree.node(NodeId::leaf(3)).is_err());
    }

    proptest! {
        #[test]
        fn every_past_root_matches_the_recursive_definition(size in 0u64..300) {
            let all = leaves(size);
            let mut tree = MemoryTree::new();
            let mut roots = vec![tree.root()];
            for leaf in &all {
                tree.append(*leaf);
                roots.push(tree.root());
            }

            for past in 0..=size {
                let expected = naive_root(&all[..past as usize]);
                prop_assert_eq!(roots[past as usize], expected);
                prop_assert_eq!(root_at(past, &tree).unwrap(), expected);

                let rebuilt = Frontier::from_source(past, &tree).unwrap();
                prop_assert_eq!(rebuilt.root(), expected);
            }
        }

        #[test]
        fn a_rebuilt_frontier_keeps_appending_like_the_original(
            size in 0u64..200,
            more in 1u64..50,
        ) {
            let all = leaves(size + more);
            let mut tree = MemoryTree::new();
            for leaf in &all[..size as usize] {
                tree.append(*leaf);
            }

            let mut rebuilt = Frontier::from_source(size, &tree).unwrap();
            for leaf in &all[size as usize..] {
                rebuilt.append(*leaf);
            }
            prop_assert_eq!(rebuilt.root(), naive_root(&all));
        }
    }
}
