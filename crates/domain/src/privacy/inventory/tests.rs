use super::*;

#[test]
fn every_table_is_listed_once_and_every_column_once_per_table() {
    let mut names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    names.sort_unstable();
    let listed = names.len();
    names.dedup();
    assert_eq!(names.len(), listed, "a table is listed twice");
    for table in TABLES {
        let mut columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        columns.sort_unstable();
        columns.dedup();
        assert_eq!(columns.len(), table.columns.len(), "{}", table.name);
    }
}

#[test]
fn a_table_of_nobody_holds_no_personal_category_and_one_of_somebody_does() {
    for table in TABLES {
        let personal = !table.categories().is_empty();
        match table.subjects {
            DataSubject::Nobody => assert!(!personal, "{}", table.name),
            _ => assert!(personal, "{}", table.name),
        }
    }
}

#[test]
fn differences_name_unclassified_and_vanished_columns() {
    let mut columns: Vec<(&str, &str)> = TABLES
        .iter()
        .flat_map(|t| t.columns.iter().map(|(c, _)| (t.name, *c)))
        .collect();
    assert_eq!(differences(columns.clone()), (vec![], vec![]));

    columns.retain(|&(table, column)| (table, column) != ("usage_events", "trace_id"));
    columns.push(("usage_events", "prompt_text"));
    assert_eq!(
        differences(columns),
        (
            vec!["usage_events.prompt_text".to_owned()],
            vec!["usage_events.trace_id".to_owned()]
        )
    );
}

#[test]
fn contact_data_is_known_where_it_lives() {
    let customers = table("billing_customers").unwrap();
    assert_eq!(
        customers.category_of("billing_email"),
        Some(Category::Contact)
    );
    assert_eq!(customers.category_of("id"), Some(Category::Technical));
    assert_eq!(customers.category_of("no_such_column"), None);
    assert!(customers.categories().contains(&Category::Contact));
}

#[test]
fn docs_compliance_md_is_generated_from_the_inventory() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compliance.md");
    let generated = compliance_markdown();
    if std::env::var_os("TOLLGATE_WRITE_COMPLIANCE").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == generated,
        "docs/compliance.md is stale: TOLLGATE_WRITE_COMPLIANCE=1 cargo test -p tollgate-domain --lib inventory"
    );
    assert!(generated.contains("| `billing_customers.billing_email` | contact |"));
}
