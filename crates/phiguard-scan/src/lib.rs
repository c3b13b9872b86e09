//! Static analysis of storefront code and infrastructure for PHI leaks.
