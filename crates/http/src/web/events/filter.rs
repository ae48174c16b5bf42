//! The event list's filters as a GET form: read into the metering service's filter, each
//! unusable value dropped with its field's message.

use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::ports::EventFilter;

use super::super::{i18n::key, usage::view::FieldError, when};

/// The query as sent, every field text (shown again as typed).
#[derive(Debug, Default, Deserialize)]
pub struct EventsForm {
    pub customer: Option<String>,
    pub model: Option<String>,
    pub status: Option<String>,
    /// The LiteLLM key's alias.
    pub key: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub tz: Option<String>,
    pub cursor: Option<String>,
}

pub struct Filters {
    pub filter: EventFilter,
    pub tz: Tz,
    pub errors: Vec<FieldError>,
}

fn given(text: Option<&String>) -> Option<String> {
    text.map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl EventsForm {
    /// The filters as a query string (no cursor), blanks left out: the links to other pages
    /// keep the filters.
    pub fn query_string(&self) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("customer", &self.customer),
            ("model", &self.model),
            ("status", &self.status),
            ("key", &self.key),
            ("from", &self.from),
            ("to", &self.to),
            ("tz", &self.tz),
        ] {
            if let Some(value) = given(value.as_ref()) {
                pairs.append_pair(name, &value);
            }
        }
        pairs.finish()
    }

    pub fn value(&self, field: &str) -> &str {
        let value = match field {
            "customer" => &self.customer,
            "model" => &self.model,
            "key" => &self.key,
            "from" => &self.from,
            "to" => &self.to,
            "tz" => &self.tz,
            _ => &None,
        };
        value.as_deref().unwrap_or_default()
    }
}

pub fn read(form: &EventsForm) -> Filters {
    let mut errors = Vec::new();
    let tz = when::zone(form.tz.as_deref()).unwrap_or_else(|_| {
        errors.push(("tz", key("period-tz-invalid")));
        Tz::UTC
    });
    let status = given(form.status.as_ref()).filter(|status| {
        let known = matches!(status.as_str(), "success" | "failure");
        if !known {
            errors.push(("status", key("events-error-status")));
        }
        known
    });
    let mut time = |field, text: Option<&String>| {
        let text = given(text)?;
        let at = when::parse(&text, tz);
        if at.is_none() {
            errors.push((field, key("events-error-time")));
        }
        at
    };
    let from = time("from", form.from.as_ref());
    let mut to = time("to", form.to.as_ref());
    if let (Some(from), Some(until)) = (from, to)
        && from >= until
    {
        errors.push(("to", key("events-error-order")));
        to = None;
    }
    Filters {
        filter: EventFilter {
            customer: given(form.customer.as_ref()),
            model: given(form.model.as_ref()),
            status,
            key_alias: given(form.key.as_ref()),
            from,
            to,
        },
        tz,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn form(pairs: &[(&str, &str)]) -> EventsForm {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        actix_web::web::Query::<EventsForm>::from_query(&query)
            .map(actix_web::web::Query::into_inner)
            .unwrap_or_default()
    }

    #[test]
    fn filters_are_read_in_the_zone_and_blanks_are_no_filter() {
        let read = read(&form(&[
            ("customer", " acme "),
            ("model", ""),
            ("status", "failure"),
            ("from", "2026-12-06T10:00"),
            ("tz", "Europe/Paris"),
        ]));
        assert!(read.errors.is_empty());
        assert_eq!(read.filter.customer.as_deref(), Some("acme"));
        assert_eq!(read.filter.model, None);
        assert_eq!(read.filter.status.as_deref(), Some("failure"));
        assert_eq!(
            read.filter.from,
            Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).single()
        );
    }

    #[test]
    fn each_unusable_value_is_dropped_with_its_message() {
        let read = read(&form(&[
            ("status", "maybe"),
            ("from", "2026-12-06"),
            ("to", "2026-12-05"),
        ]));
        assert_eq!(
            read.errors,
            vec![
                ("status", "events-error-status"),
                ("to", "events-error-order")
            ]
        );
        assert_eq!(read.filter.status, None);
        assert_eq!(read.filter.to, None);
        assert!(read.filter.from.is_some());
        let read = super::read(&form(&[("from", "last tuesday")]));
        assert_eq!(read.errors, vec![("from", "events-error-time")]);
    }

    #[test]
    fn the_links_keep_the_filters_but_not_the_cursor() {
        let form = form(&[("customer", "acme"), ("cursor", "abc"), ("model", "")]);
        assert_eq!(form.query_string(), "customer=acme");
    }
}
