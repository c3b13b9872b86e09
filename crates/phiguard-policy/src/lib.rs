//! Minimum-necessary access decisions with Cedar: one evaluation yields a disclosure per PHI category.
