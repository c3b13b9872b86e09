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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::reference::{naive_consistency, naive_path, naive_root};
    use crate::tree::MemoryTree;
    use proptest::prelude::*;

    // The eight-leaf reference tree of RFC 6962 implementations: the test inputs and expected
    // values used by the certificate-transparency projects (C++ merkletree tests, and
    // transparency-dev/merkle proof/verify_test.go, which carries them over). Leaf inputs, roots
    // of sizes 1 to 8, and known audit paths and consistency proofs.
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// (leaf index, tree size, audit path); the sources number leaves from 1, these from 0.
    const INCLUSION: [(u64, u64, &[&str]); 5] = [
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];

    /// (old size, new size, proof).
    const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    fn hex(text: &str) -> Hash {
        Hash::from_hex(text).unwrap()
    }

    fn hashes(texts: &[&str]) -> Vec<Hash> {
        texts.iter().map(|text| hex(text)).collect()
    }

    fn reference_tree() -> MemoryTree {
        let mut tree = MemoryTree::new();
        for leaf in LEAVES {
            tree.append(leaf_hash(
                &data_encoding::HEXLOWER.decode(leaf.as_bytes()).unwrap(),
            ));
        }
        tree
    }

    fn tree_of(size: u64) -> (MemoryTree, Vec<Hash>) {
        let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let mut tree = MemoryTree::new();
        for leaf in &leaves {
            tree.append(*leaf);
        }
        (tree, leaves)
    }

    fn flip(hash: &Hash, bit: usize) -> Hash {
        let mut bytes = *hash.as_bytes();
        bytes[bit / 8 % 32] ^= 1 << (bit % 8);
        Hash::from_bytes(bytes)
    }

    #[test]
    fn reference_roots_match_for_every_size() {
        let tree = reference_tree();
        for (size, root) in (1..=8).zip(ROOTS) {
            assert_eq!(
                crate::tree::root_at(size, &tree).unwrap(),
                hex(root),
                "size {size}"
            );
        }
    }

    #[test]
    fn reference_inclusion_proofs_are_reproduced_and_verify() {
        let tree = reference_tree();
        for (index, size, path) in INCLUSION {
            let proof = inclusion_proof(index, size, &tree).unwrap();
            assert_eq!(proof.hashes, hashes(path), "leaf {index} in size {size}");

            let leaf = tree.node(NodeId::leaf(index)).unwrap();
            let root = hex(ROOTS[size as usize - 1]);
            verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
        }
    }

    #[test]
    fn reference_consistency_proofs_are_reproduced_and_verify() {
        let tree = reference_tree();
        for (old, new, path) in CONSISTENCY {
            let proof = consistency_proof(old, new, &tree).unwrap();
            assert_eq!(proof.hashes, hashes(path), "{old} to {new}");

            let (old_root, new_root) = (hex(ROOTS[old as usize - 1]), hex(ROOTS[new as usize - 1]));
            verify_consistency(old, new, &old_root, &new_root, &proof).unwrap();
        }
    }

    #[test]
    fn reference_proofs_fail_for_any_other_claim() {
        let tree = reference_tree();
        let other = leaf_hash(b"WrongLeaf");

        // The true root of every size a rebound proof may claim, so that a claim fails because
        // the proof does not fit it, not because the root belongs to another size.
        let mut extended = reference_tree();
        for extra in 0..8u8 {
            extended.append(leaf_hash(&[0xee, extra]));
        }
        let true_root = |size: u64| crate::tree::root_at(size, &extended).unwrap();

        for (index, size, path) in INCLUSION {
            let leaf = tree.node(NodeId::leaf(index)).unwrap();
            let root = hex(ROOTS[size as usize - 1]);
            let proof = InclusionProof {
                leaf_index: index,
                tree_size: size,
                hashes: hashes(path),
            };

            // The same path presented as a proof for other positions or sizes.
            for (claimed_index, claimed_size) in [
                (index.wrapping_sub(1), size),
                (index + 1, size),
                (index ^ 2, size),
                (index, size * 2),
                (index, size / 2),
                (index, size + 1),
            ] {
                let rebound = InclusionProof {
                    leaf_index: claimed_index,
                    tree_size: claimed_size,
                    ..proof.clone()
                };
                let claimed_root = true_root(claimed_size);
                let result =
                    verify_inclusion(&leaf, claimed_index, claimed_size, &rebound, &claimed_root);
                assert!(
                    result.is_err(),
                    "{index}/{size} verified as {claimed_index}/{claimed_size}"
                );
                assert!(
                    verify_inclusion(&leaf, claimed_index, claimed_size, &proof, &root).is_err()
                );
            }

            assert!(verify_inclusion(&other, index, size, &proof, &root).is_err());
            assert!(verify_inclusion(&leaf, index, size, &proof, &empty_root()).is_err());

            let mut longer = proof.clone();
            longer.hashes.push(root);
            assert!(verify_inclusion(&leaf, index, size, &longer, &root).is_err());
            let mut preceded = proof.clone();
            preceded.hashes.insert(0, root);
            assert!(verify_inclusion(&leaf, index, size, &preceded, &root).is_err());
            if !proof.hashes.is_empty() {
                let mut shorter = proof.clone();
                shorter.hashes.pop();
                assert!(verify_inclusion(&leaf, index, size, &shorter, &root).is_err());
            }
        }

        for (old, new, path) in CONSISTENCY
            .into_iter()
            .filter(|(_, _, path)| !path.is_empty())
        {
            let (old_root, new_root) = (hex(ROOTS[old as usize - 1]), hex(ROOTS[new as usize - 1]));
            let proof = ConsistencyProof {
                old_size: old,
                new_size: new,
                hashes: hashes(path),
            };

            for (claimed_old, claimed_new) in [
                (old - 1, new),
                (old + 1, new),
                (old ^ 2, new),
                (old, new * 2),
                (old, new / 2),
            ] {
                let rebound = ConsistencyProof {
                    old_size: claimed_old,
                    new_size: claimed_new,
                    ..proof.clone()
                };
                let (claimed_old_root, claimed_new_root) =
                    (true_root(claimed_old), true_root(claimed_new));
                let result = verify_consistency(
                    claimed_old,
                    claimed_new,
                    &claimed_old_root,
                    &claimed_new_root,
                    &rebound,
                );
                assert!(
                    result.is_err(),
                    "{old}->{new} verified as {claimed_old}->{claimed_new}"
                );
            }
            assert!(verify_consistency(old, new, &new_root, &old_root, &proof).is_err());
            assert!(verify_consistency(old, new, &other, &new_root, &proof).is_err());
            assert!(verify_consistency(old, new, &old_root, &other, &proof).is_err());

            let empty = ConsistencyProof {
                hashes: Vec::new(),
                ..proof.clone()
            };
            assert!(verify_consistency(old, new, &old_root, &new_root, &empty).is_err());
            for extra in [old_root, new_root, proof.hashes[0]] {
                let mut longer = proof.clone();
                longer.hashes.push(extra);
                assert!(verify_consistency(old, new, &old_root, &new_root, &longer).is_err());
                let mut preceded = proof.clone();
                preceded.hashes.insert(0, extra);
                assert!(verify_consistency(old, new, &old_root, &new_root, &preceded).is_err());
            }
        }
    }

    #[test]
    fn trees_of_one_and_two_leaves() {
        let (one, leaves) = tree_of(1);
        let proof = inclusion_proof(0, 1, &one).unwrap();
        assert!(proof.hashes.is_empty());
        verify_inclusion(&leaves[0], 0, 1, &proof, &leaves[0]).unwrap();
        assert!(verify_inclusion(&leaves[0], 0, 1, &proof, &empty_root()).is_err());

        let (two, leaves) = tree_of(2);
        let root = two.root();
        for index in 0..2 {
            let proof = inclusion_proof(index, 2, &two).unwrap();
            assert_eq!(proof.hashes, vec![leaves[1 - index as usize]]);
            verify_inclusion(&leaves[index as usize], index, 2, &proof, &root).unwrap();
        }

        let proof = consistency_proof(1, 2, &two).unwrap();
        assert_eq!(proof.hashes, vec![leaves[1]]);
        verify_consistency(1, 2, &leaves[0], &root, &proof).unwrap();
        assert!(verify_consistency(1, 2, &leaves[1], &root, &proof).is_err());
    }

    #[test]
    fn trivial_consistency_needs_empty_proofs_and_matching_roots() {
        let (tree, _) = tree_of(5);
        let root = tree.root();
        let empty = |old, new| ConsistencyProof {
            old_size: old,
            new_size: new,
            hashes: vec![],
        };

        verify_consistency(0, 5, &empty_root(), &root, &empty(0, 5)).unwrap();
        verify_consistency(0, 0, &empty_root(), &empty_root(), &empty(0, 0)).unwrap();
        verify_consistency(5, 5, &root, &root, &empty(5, 5)).unwrap();
        assert_eq!(consistency_proof(0, 5, &tree).unwrap(), empty(0, 5));
        assert_eq!(consistency_proof(5, 5, &tree).unwrap(), empty(5, 5));

        assert!(verify_consistency(0, 5, &root, &root, &empty(0, 5)).is_err());
        assert!(verify_consistency(5, 5, &root, &empty_root(), &empty(5, 5)).is_err());
        let padded = ConsistencyProof {
            hashes: vec![root],
            ..empty(5, 5)
        };
        assert!(verify_consistency(5, 5, &root, &root, &padded).is_err());
        assert!(verify_consistency(6, 5, &root, &root, &empty(6, 5)).is_err());
    }

    #[test]
    fn requests_outside_the_tree_are_refused() {
        let (tree, leaves) = tree_of(4);
        assert!(matches!(
            inclusion_proof(4, 4, &tree),
            Err(TreeError::LeafOutOfRange { index: 4, size: 4 })
        ));
        assert!(matches!(
            consistency_proof(5, 4, &tree),
            Err(TreeError::SizesOutOfOrder { old: 5, new: 4 })
        ));
        assert!(matches!(
            inclusion_proof(0, 9, &tree),
            Err(TreeError::Source(_))
        ));

        let proof = InclusionProof {
            leaf_index: 4,
            tree_size: 4,
            hashes: vec![],
        };
        assert_eq!(
            verify_inclusion(&leaves[0], 4, 4, &proof, &tree.root()),
            Err(ProofError::LeafOutOfRange { index: 4, size: 4 })
        );
    }

    #[test]
    fn proofs_serialise_with_their_sizes() {
        let (tree, _) = tree_of(7);
        let proof = inclusion_proof(3, 7, &tree).unwrap();
        let json = serde_json::to_value(&proof).unwrap();
        assert_eq!(json["leaf_index"], 3);
        assert_eq!(json["tree_size"], 7);
        assert_eq!(
            serde_json::from_value::<InclusionProof>(json).unwrap(),
            proof
        );
    }

    fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
        (1u64..300).prop_flat_map(|size| (Just(size), 0..size))
    }

    fn sizes() -> impl Strategy<Value = (u64, u64)> {
        (1u64..300).prop_flat_map(|new| (1..=new, Just(new)))
    }

    proptest! {
        #[test]
        fn inclusion_matches_the_rfc_definition_and_resists_bit_flips(
            (size, index) in size_and_index(),
            bit in 0usize..256,
        ) {
            let (tree, all) = tree_of(size + 300);
            let leaves = &all[..size as usize];
            let root = naive_root(leaves);
            let proof = inclusion_proof(index, size, &tree).unwrap();
            prop_assert_eq!(&proof.hashes, &naive_path(index as usize, leaves));
            let leaf = leaves[index as usize];
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());

            for position in 0..proof.hashes.len() {
                let mut bad = proof.clone();
                bad.hashes[position] = flip(&bad.hashes[position], bit);
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
            }
            prop_assert!(verify_inclusion(&flip(&leaf, bit), index, size, &proof, &root).is_err());
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, bit)).is_err());

            // Any other (index, size) — whether or not the proof claims it — fails.
            for (other_index, other_size) in
                [(index ^ 1, size), (index, size + 1), (index, size ^ (1 << (bit % 9)))]
            {
                if (other_index, other_size) == (index, size) || other_index >= other_size {
                    continue;
                }
                let rebound = InclusionProof {
                    leaf_index: other_index, tree_size: other_size, ..proof.clone()
                };
                let other_root = naive_root(&all[..other_size as usize]);
                prop_assert!(
                    verify_inclusion(&leaf, other_index, other_size, &rebound, &other_root).is_err()
                );
            }
        }

        #[test]
        fn consistency_matches_the_rfc_definition_and_resists_bit_flips(
            (old, new) in sizes(),
            bit in 0usize..256,
        ) {
            let (tree, all) = tree_of(new + 1);
            let leaves = &all[..new as usize];
            let old_root = naive_root(&leaves[..old as usize]);
            let new_root = naive_root(leaves);
            let proof = consistency_proof(old, new, &tree).unwrap();
            prop_assert_eq!(&proof.hashes, &naive_consistency(old as usize, leaves));
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof).is_ok());

            for position in 0..proof.hashes.len() {
                let mut bad = proof.clone();
                bad.hashes[position] = flip(&bad.hashes[position], bit);
                prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
            }
            if old != new {
                let flipped_old = flip(&old_root, bit);
                let result = verify_consistency(old, new, &flipped_old, &new_root, &proof);
                prop_assert!(result.is_err());
            }
            let flipped_new = flip(&new_root, bit);
            prop_assert!(verify_consistency(old, new, &old_root, &flipped_new, &proof).is_err());

            for (other_old, other_new) in [(old + 1, new), (old - 1, new), (old, new + 1)] {
                if other_old == 0 || other_old > other_new || (other_old, other_new) == (old, new) {
                    continue;
                }
                let rebound = ConsistencyProof {
                    old_size: other_old, new_size: other_new, ..proof.clone()
                };
                let other_old_root = naive_root(&all[..other_old as usize]);
                let other_new_root = naive_root(&all[..other_new as usize]);
                prop_assert!(verify_consistency(
                    other_old, other_new, &other_old_root, &other_new_root, &rebound
                ).is_err());
            }
        }
    }
}
