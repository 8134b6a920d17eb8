//! Deletion and return certificates.
