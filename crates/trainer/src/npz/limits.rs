//! The reader's bounds on what a hostile file may ask of it, shared by the parsers and the
//! errors that name them.

/// Deepest nesting of brackets accepted in a header's dict (numpy's headers nest two deep).
pub(super) const MAX_DEPTH: usize = 16;

/// Longest `.npy` header accepted (numpy itself refuses headers over 10,000 bytes by default).
pub(super) const MAX_HEADER_LEN: usize = 1 << 16;
