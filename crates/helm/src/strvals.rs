//! Placeholder; filled by its own branch.
