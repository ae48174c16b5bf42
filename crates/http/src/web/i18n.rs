//! Every user-facing string of the dashboard, from one Fluent catalog
//! (`web/i18n/en-US/main.ftl`), parsed once at start. Templates ask for a message by key
//! (`t.tr("key")`, `t.tr_count("key", n)`); code names keys it passes around with [`key`], so
//! the catalog test can find every key in use and fail on a missing or unused one.

use std::sync::LazyLock;

use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};

const CATALOG: &str = include_str!("../../web/i18n/en-US/main.ftl");

/// A message key, named where it is not asked for directly (tables, errors), so the catalog
/// test sees it.
pub const fn key(key: &'static str) -> &'static str {
    key
}

pub struct Catalog {
    bundle: FluentBundle<FluentResource>,
}

static CATALOG_EN: LazyLock<Catalog> = LazyLock::new(Catalog::english);

/// The en-US catalog (the only one so far).
pub fn catalog() -> &'static Catalog {
    &CATALOG_EN
}

impl Catalog {
    fn english() -> Self {
        // A catalog that does not parse is a build defect the catalog test reports; at run
        // time the messages that did parse are still used.
        let resource =
            FluentResource::try_new(CATALOG.to_owned()).unwrap_or_else(|(resource, errors)| {
                tracing::error!(?errors, "the message catalog has syntax errors");
                resource
            });
        let english: unic_langid::LanguageIdentifier = unic_langid::langid!("en-US");
        let mut bundle = FluentBundle::new_concurrent(vec![english]);
        // The pages are left-to-right only; isolation marks would show up in copied text.
        bundle.set_use_isolating(false);
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(?errors, "the message catalog has duplicate keys");
        }
        Self { bundle }
    }

    /// The message `key` with `args`; the key itself when missing (and an error logged).
    pub fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(pattern) = self.bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::error!(key, "no such message in the catalog");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::error!(key, ?errors, "a message could not be formatted");
        }
        text.into_owned()
    }

    /// Whether the catalog has `key` (for the catalog test).
    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }

    pub fn tr(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with one argument `$value` (text).
    pub fn tr_with(&self, key: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set("value", FluentValue::from(value.to_owned()));
        self.format(key, Some(&args))
    }

    /// The message `key` with named text arguments (`$name` in the catalog); code passes the
    /// key as `key("...")` so the catalog test sees it.
    pub fn tr_args(&self, key: &str, args: &[(&str, String)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, FluentValue::from(value.clone()));
        }
        self.format(key, Some(&fluent))
    }

    /// The message `key` with `$count`, which its plural selector picks a form by.
    pub fn tr_count(&self, key: &str, count: impl std::borrow::Borrow<i64>) -> String {
        let mut args = FluentArgs::new();
        args.set("count", FluentValue::from(*count.borrow()));
        self.format(key, Some(&args))
    }
}

/// The keys the catalog defines, for the catalog test.
pub fn defined_keys() -> Vec<String> {
    CATALOG
        .lines()
        .filter(|line| line.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|line| line.split_once(" =").map(|(key, _)| key.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests;
