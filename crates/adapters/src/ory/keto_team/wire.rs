//! Keto's relationship shapes (`relationship`, `relationships`, `relationshipPatch`), with a
//! plain subject id (Tollgate never writes subject sets).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tuple {
    pub namespace: String,
    pub object: String,
    pub relation: String,
    /// Absent for a subject set, which Tollgate does not read as a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<String>,
}

impl Tuple {
    pub fn new(namespace: &str, object: String, relation: &str, subject: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            object,
            relation: relation.to_owned(),
            subject_id: Some(subject.to_owned()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Tuples {
    #[serde(default)]
    pub relation_tuples: Vec<Tuple>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Patch {
    action: &'static str,
    relation_tuple: Tuple,
}

impl Patch {
    pub fn insert(relation_tuple: Tuple) -> Self {
        Self {
            action: "insert",
            relation_tuple,
        }
    }

    pub fn delete(relation_tuple: Tuple) -> Self {
        Self {
            action: "delete",
            relation_tuple,
        }
    }
}
