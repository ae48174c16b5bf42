//! `docs/compliance.md`, generated from the inventory (a test keeps the file current).

use std::fmt::Write;

use super::{Category, DataSubject, TABLES};

const HEADER: &str = "# Compliance: the data inventory

Generated from `crates/domain/src/privacy/inventory/tables.rs` by
`TOLLGATE_WRITE_COMPLIANCE=1 cargo test -p tollgate-domain --lib inventory`; a test fails when
this file is stale, and another when a column of the migrated schema is not classified. The
same inventory builds the record of processing activities (`GET /api/privacy/records`, GDPR
Art. 30), with the recipients' hosts as configured.

Never stored: prompts, completions, request or response headers, client IP addresses (the
audit log keeps a salted hash), LiteLLM's price map.

Retention is what the inventory declares; the retention job that enforces it is not built yet,
except for exports: the workers delete an export's content 7 days after it is built.
";

fn names(categories: &[Category]) -> String {
    categories
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The whole document.
pub fn compliance_markdown() -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "\n## Processing activities\n\n| table | subjects | purpose | legal basis | categories | retention | recipients |\n|---|---|---|---|---|---|---|\n",
    );
    for table in TABLES.iter().filter(|t| t.subjects != DataSubject::Nobody) {
        let recipients: Vec<&str> = table.recipients.iter().map(|r| r.as_str()).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            table.name,
            table.subjects.as_str(),
            table.purpose.describe(),
            table.basis.article(),
            names(&table.categories()),
            table.retention.describe(),
            if recipients.is_empty() {
                "none".to_owned()
            } else {
                format!("{} (when configured)", recipients.join(", "))
            },
        );
    }
    out.push_str("\n## Columns holding personal data\n\n| column | category |\n|---|---|\n");
    for table in TABLES {
        for (column, category) in table.columns.iter().filter(|(_, c)| c.personal()) {
            let _ = writeln!(out, "| `{}.{column}` | {} |", table.name, category.as_str());
        }
    }
    out.push_str("\n## Tables without personal data\n\n");
    for table in TABLES.iter().filter(|t| t.subjects == DataSubject::Nobody) {
        let _ = writeln!(out, "* `{}`: {}", table.name, table.purpose.describe());
    }
    out
}
