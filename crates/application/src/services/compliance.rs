//! Compliance: what Tollgate keeps about people and who receives it (the Art. 30 record),
//! consent to optional processing, and exports of a person's data. Erasure and retention land
//! here as they are built.

pub mod consents;
pub mod exports;
pub mod records;
