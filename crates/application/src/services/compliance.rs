//! Compliance: what Tollgate keeps about people and who receives it (the Art. 30 record).
//! Exports, erasure, consent and retention land here as they are built.

pub mod records;
