//! Inclusion and consistency proofs (RFC 6962 section 2.1.1 and 2.1.2), built from `O(log n)`
//! node reads, and their verifiers (RFC 9162 sections 2.1.3.2 and 2.1.4.2).
//!
//! Every proof carries the sizes it was computed for, and the verifiers refuse it for any other
//! sizes: a proof that leaf 5 is in the tree of size 8 says nothing about the tree of size 9.

use serde::{Deserialize, Serialize};

use crate::hash::{Hash, empty_root, node_hash};
use crate::tree::{NodeId, NodeSource, TreeError, fold_range, range_nodes, read_nodes};

/// Proof that one leaf is in the tree of one size: the sibling hashes from the leaf up to the
/// root (RFC 6962 `PATH`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The leaf the proof is for, counted from 0.
    pub leaf_index: u64,
    /// The tree size the proof was computed for.
    pub tree_size: u64,
    /// The audit path, lowest sibling first.
    pub hashes: Vec<Hash>,
}

/// Proof that the tree of one size is a prefix of the tree of a larger size (RFC 6962 `PROOF`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The size of the older tree.
    pub old_size: u64,
    /// The size of the newer tree.
    pub new_size: u64,
    /// The proof's hashes, in RFC 6962 order.
    pub hashes: Vec<Hash>,
}

/// Why a proof does not verify. None of these carry a hash or an entry, only sizes and indices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof names different sizes (or a different leaf) than the caller verifies against.
    #[error(
        "the proof was computed for {proof_first} and {proof_second}, not for {claimed_first} and \
         {claimed_second}"
    )]
    NotForTheseSizes {
        /// The leaf index (inclusion) or old size (consistency) the proof carries.
        proof_first: u64,
        /// The tree size (inclusion) or new size (consistency) the proof carries.
        proof_second: u64,
        /// The leaf index or old size the caller asked about.
        claimed_first: u64,
        /// The tree size or new size the caller asked about.
        claimed_second: u64,
    },
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not inside a tree of size {size}")]
    LeafOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The old size is larger than the new size.
    #[error("the old tree size {old} is larger than the new tree size {new}")]
    SizesOutOfOrder {
        /// The old size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// The proof has more or fewer hashes than its sizes call for.
    #[error("the proof has {count} hashes, which is the wrong number for its tree sizes")]
    WrongLength {
        /// How many hashes the proof has.
        count: usize,
    },
    /// The proof leads to a different root than the one given.
    #[error("the proof does not lead to the given root hash")]
    RootMismatch,
    /// A consistency proof does not lead back to the old tree's root.
    #[error("the proof does not lead back to the old tree's root hash")]
    OldRootMismatch,
}

/// The subtree ranges whose hashes form the inclusion proof of `index` in `[0, size)`, lowest
/// first (RFC 6962 `PATH`, unrolled).
fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let mut ranges = Vec::with_capacity(64);
    let (mut start, mut end) = (0, size);

    while end - start > 1 {
        let split = largest_power_of_two_below(end - start);
        if index < start + split {
            ranges.push((start + split, end));
            end = start + split;
        } else {
            ranges.push((start, start + split));
            start += split;
        }
    }
    ranges.reverse();
    ranges
}

/// The subtree ranges whose hashes form the consistency proof from `old` to `new`, in proof
/// order (RFC 6962 `SUBPROOF`, unrolled). Needs `0 < old < new`.
fn consistency_ranges(old: u64, new: u64) -> Vec<(u64, u64)> {
    let mut ranges = Vec::with_capacity(64);
    let (mut start, mut end) = (0, new);
    let mut old_is_whole_tree = true;

    while old - start != end - start {
        let split = largest_power_of_two_below(end - start);
        if old - start <= split {
            ranges.push((start + split, end));
            end = start + split;
        } else {
            ranges.push((start, start + split));
            start += split;
            old_is_whole_tree = false;
        }
    }

    // The old tree's own root is only needed when it is not the root of the new one's left part.
    if !old_is_whole_tree {
        ranges.push((start, end));
    }
    ranges.reverse();
    ranges
}

/// The largest power of two strictly below `n`, for `n >= 2`.
fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Reads every node the ranges need in one batch and folds each range into its hash.
fn range_hashes<S: NodeSource>(
    ranges: &[(u64, u64)],
    source: &S,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    let per_range: Vec<Vec<NodeId>> = ranges
        .iter()
        .map(|&(start, end)| range_nodes(start, end))
        .collect();
    let all: Vec<NodeId> = per_range.iter().flatten().copied().collect();
    let hashes = read_nodes(source, &all)?;

    let mut offset = 0;
    let mut folded = Vec::with_capacity(ranges.len());
    for ids in &per_range {
        folded.push(fold_range(&hashes[offset..offset + ids.len()]));
        offset += ids.len();
    }
    Ok(folded)
}

/// The inclusion proof of leaf `index` in the tree of `tree_size` leaves, from one batched read
/// of at most about 2·log2(n) nodes.
pub fn inclusion_proof<S: NodeSource>(
    index: u64,
    tree_size: u64,
    source: &S,
) -> Result<InclusionProof, TreeError<S::Error>> {
    if index >= tree_size {
        return Err(TreeError::LeafOutOfRange {
            index,
            size: tree_size,
        });
    }

    let hashes = range_hashes(&inclusion_ranges(index, tree_size), source)?;
    Ok(InclusionProof {
        leaf_index: index,
        tree_size,
        hashes,
    })
}

/// The consistency proof from the tree of `old_size` leaves to the tree of `new_size` leaves.
///
/// Empty when `old_size` is 0 or equal to `new_size`: every tree extends the empty tree and
/// itself.
pub fn consistency_proof<S: NodeSource>(
    old_size: u64,
    new_size: u64,
    source: &S,
) -> Result<ConsistencyProof, TreeError<S::Error>> {
    if old_size > new_size {
        return Err(TreeError::SizesOutOfOrder {
            old: old_size,
            new: new_size,
        });
    }

    let hashes = if old_size == 0 || old_size == new_size {
        Vec::new()
    } else {
        range_hashes(&consistency_ranges(old_size, new_size), source)?
    };
    Ok(ConsistencyProof {
        old_size,
        new_size,
        hashes,
    })
}

/// Checks that the entry whose leaf hash is `leaf` is leaf `index` of the tree of `tree_size`
/// leaves whose root is `root` (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    tree_size: u64,
    proof: &InclusionProof,
    root: &Hash,
) -> Result<(), ProofError> {
    if proof.leaf_index != index || proof.tree_size != tree_size {
        return Err(ProofError::NotForTheseSizes {
            proof_first: proof.leaf_index,
            proof_second: proof.tree_size,
            claimed_first: index,
            claimed_second: tree_size,
        });
    }
    if index >= tree_size {
        return Err(ProofError::LeafOutOfRange {
            index,
            size: tree_size,
        });
    }

    let wrong_length = ProofError::WrongLength {
        count: proof.hashes.len(),
    };
    let (mut f, mut s) = (index, tree_size - 1);
    let mut running = *leaf;

    for sibling in &proof.hashes {
        if s == 0 {
            return Err(wrong_length);
        }

        if f & 1 == 1 || f == s {
            running = node_hash(sibling, &running);
            // Climb past the levels where this node has no right sibling.
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            running = node_hash(&running, sibling);
        }

        f >>= 1;
        s >>= 1;
    }

    if s != 0 {
        return Err(wrong_length);
    }
    if running != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root` (RFC 9162 section 2.1.4.2).
///
/// For `old_size == new_size` the proof must be empty and the roots equal; for `old_size == 0`
/// the proof must be empty and `old_root` must be the empty tree's root.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &ConsistencyProof,
) -> Result<(), ProofError> {
    if proof.old_size != old_size || proof.new_size != new_size {
        return Err(ProofError::NotForTheseSizes {
            proof_first: proof.old_size,
            proof_second: proof.new_size,
            claimed_first: old_size,
            claimed_second: new_size,
        });
    }
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder {
            old: old_size,
            new: new_size,
        });
    }

    let wrong_length = ProofError::WrongLength {
        count: proof.hashes.len(),
    };
    if old_size == 0 || old_size == new_size {
        if !proof.hashes.is_empty() {
            return Err(wrong_length);
        }
        let expected_old = if old_size == 0 {
            empty_root()
        } else {
            *new_root
        };
        if *old_root != expected_old {
            return Err(ProofError::OldRootMismatch);
        }
        return Ok(());
    }

    // When the old tree is a perfect subtree on the left edge, its root is the proof's implicit
    // first element.
    let mut path = proof.hashes.iter();
    let first = if old_size.is_power_of_two() {
        *old_root
    } else {
        *path.next().ok_or(wrong_length.clone())?
    };

    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }

    let (mut old_running, mut new_running) = (first, first);
    for hash in path {
        if s == 0 {
            return Err(wrong_length);
        }

        if f & 1 == 1 || f == s {
            old_running = node_hash(hash, &old_running);
            new_running = node_hash(hash, &new_running);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            new_running = node_hash(&new_running, hash);
        }

        f >>= 1;
        s >>= 1;
    }

    if s != 0 {
        return Err(wrong_length);
    }
    if old_running != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if new_running != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
