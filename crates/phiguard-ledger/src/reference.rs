//! A naive, recursive transcription of RFC 6962 section 2.1 (MTH, PATH, PROOF and SUBPROOF), used
//! only by tests as the independent model the real, iterative code is checked against.

use crate::hash::{Hash, empty_root, node_hash};

/// The largest power of two strictly below `n` (`n >= 2`).
fn split(n: usize) -> usize {
    n.next_power_of_two() / 2
}

/// MTH(D[n]) over leaf hashes.
pub(crate) fn naive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]).
pub(crate) fn naive_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }

    let k = split(n);
    if m < k {
        let mut path = naive_path(m, &leaves[..k]);
        path.push(naive_root(&leaves[k..]));
        path
    } else {
        let mut path = naive_path(m - k, &leaves[k..]);
        path.push(naive_root(&leaves[..k]));
        path
    }
}

/// PROOF(m, D[n]).
pub(crate) fn naive_consistency(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if m == 0 || m == leaves.len() {
        return Vec::new();
    }
    subproof(m, leaves, true)
}

fn subproof(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![naive_root(leaves)]
        };
    }

    let k = split(n);
    if m <= k {
        let mut proof = subproof(m, &leaves[..k], complete);
        proof.push(naive_root(&leaves[k..]));
        proof
    } else {
        let mut proof = subproof(m - k, &leaves[k..], false);
        proof.push(naive_root(&leaves[..k]));
        proof
    }
}
