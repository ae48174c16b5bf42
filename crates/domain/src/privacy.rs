//! What personal data Tollgate keeps, why, on what legal basis, for how long and who receives
//! it: the data inventory every privacy output is generated from.

pub mod consent;
pub mod export;
pub mod inventory;
pub mod notice;
