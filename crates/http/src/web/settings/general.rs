//! `/settings`: the organization's display name, billing contact, tax id, payment terms,
//! alert thresholds and the debug mode toggle. The form is sent to
//! the settings service as the API's `PATCH /api/settings` merge patch would be.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use serde_json::{Value, json, value::RawValue};
use tollgate_domain::settings::OrganizationSettings;

use super::{Refusal, Section, refusal, refused_value, sections, see_other};
use crate::{
    routes::api::settings::{Document, apply_patch},
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::render,
    },
};

/// The form's fields as typed (what a refused form shows again).
#[derive(Deserialize, Default)]
pub struct GeneralForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_address: String,
    #[serde(default)]
    tax_id: String,
    #[serde(default)]
    net_terms_days: String,
    /// One USD amount per line.
    #[serde(default)]
    alert_thresholds: String,
}

impl From<&OrganizationSettings> for GeneralForm {
    fn from(settings: &OrganizationSettings) -> Self {
        let contact = settings.billing_contact.as_ref();
        Self {
            csrf: String::new(),
            display_name: settings.display_name.clone().unwrap_or_default(),
            contact_name: contact.map(|c| c.name.clone()).unwrap_or_default(),
            contact_email: contact.map(|c| c.email.clone()).unwrap_or_default(),
            contact_address: contact.and_then(|c| c.address.clone()).unwrap_or_default(),
            tax_id: settings
                .tax_id
                .as_ref()
                .map(|id| id.as_str().to_owned())
                .unwrap_or_default(),
            net_terms_days: settings
                .net_terms
                .map(|terms| terms.days().to_string())
                .unwrap_or_default(),
            alert_thresholds: settings
                .alert_thresholds
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

#[derive(Deserialize)]
pub struct DebugForm {
    #[serde(default)]
    csrf: String,
    /// `on` or `off`.
    debug_mode: String,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "settings_general.html")]
struct GeneralPage {
    layout: Layout,
    sections: Vec<Section>,
    form: GeneralForm,
    refusal: Option<Refusal>,
    /// What was just saved, to say so.
    saved: Option<String>,
    debug_mode: bool,
}

fn general_page(
    visitor: &Visitor,
    request: &HttpRequest,
    timing: &Timing,
    form: GeneralForm,
    debug_mode: bool,
) -> GeneralPage {
    GeneralPage {
        layout: Layout::page(visitor, request, key("settings-title"), timing),
        sections: sections("/settings"),
        form,
        refusal: None,
        saved: None,
        debug_mode,
    }
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, WebError> {
    let settings = timing
        .measure(
            "settings",
            state.settings.get(visitor.caller.principal.organization),
        )
        .await?;
    let mut page = general_page(
        &visitor,
        &request,
        &timing,
        GeneralForm::from(&settings),
        settings.debug_mode,
    );
    let t = catalog();
    page.saved = match query.saved.as_deref() {
        Some("settings") => Some(t.tr("settings-saved")),
        Some("debug-on") => Some(t.tr("settings-debug-turned-on")),
        Some("debug-off") => Some(t.tr("settings-debug-turned-off")),
        _ => None,
    };
    render(StatusCode::OK, &page)
}

fn raw(value: &Value) -> Result<Box<RawValue>, WebError> {
    serde_json::value::to_raw_value(value)
        .map_err(|error| WebError::Internal(format!("a settings value: {error}")))
}

/// Text or `null` for an empty field (which clears it).
fn text_or_null(text: &str) -> Value {
    match text.trim() {
        "" => Value::Null,
        text => Value::String(text.to_owned()),
    }
}

/// The non-empty lines of a text area.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(ToOwned::to_owned)
        .collect()
}

/// The merge patch the form amounts to, or why the form cannot be read at all.
fn patch_of(form: &GeneralForm) -> Result<Result<Document, String>, WebError> {
    let t = catalog();
    let net_terms = match form.net_terms_days.trim() {
        "" => Value::Null,
        days => match days.parse::<i64>() {
            Ok(days) => json!(days),
            Err(_) => return Ok(Err(t.tr("settings-net-terms-invalid"))),
        },
    };
    let contact = if [
        &form.contact_name,
        &form.contact_email,
        &form.contact_address,
    ]
    .iter()
    .all(|field| field.trim().is_empty())
    {
        Value::Null
    } else {
        json!({
            "name": form.contact_name.trim(),
            "email": form.contact_email.trim(),
            "address": text_or_null(&form.contact_address),
        })
    };
    let mut document = Document::new();
    for (name, value) in [
        ("display_name", text_or_null(&form.display_name)),
        ("billing_contact", contact),
        ("tax_id", text_or_null(&form.tax_id)),
        ("net_terms_days", net_terms),
        // Decimal strings: the API reads them exactly.
        ("alert_thresholds", json!(lines(&form.alert_thresholds))),
    ] {
        document.insert(name.to_owned(), raw(&value)?);
    }
    Ok(Ok(document))
}

/// `POST /settings`: the form saved as a merge patch of the fields it shows.
pub async fn save(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    form: web::Form<GeneralForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let outcome = match patch_of(&form)? {
        Ok(patch) => match timing
            .measure("settings", apply_patch(&visitor.caller, &state, patch))
            .await
        {
            Ok(_) => return Ok(see_other("/settings?saved=settings")),
            Err(error) => refusal(error)?,
        },
        Err(message) => refused_value(message),
    };
    let (status, refused) = outcome;
    let debug_mode = state
        .settings
        .get(visitor.caller.principal.organization)
        .await?
        .debug_mode;
    let mut page = general_page(&visitor, &request, &timing, form, debug_mode);
    page.refusal = Some(refused);
    render(status, &page)
}

/// `POST /settings/debug`: debug mode on or off (audited as a settings change).
pub async fn debug(
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    form: web::Form<DebugForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let on = match form.debug_mode.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(WebError::Api(crate::error::ApiError::Invalid {
                code: tollgate_domain::ErrorCode::InvalidRequest,
                message: "debug_mode must be `on` or `off`".into(),
            }));
        }
    };
    let mut patch = Document::new();
    patch.insert("debug_mode".to_owned(), raw(&json!(on))?);
    timing
        .measure("settings", apply_patch(&visitor.caller, &state, patch))
        .await?;
    Ok(see_other(if on {
        "/settings?saved=debug-on"
    } else {
        "/settings?saved=debug-off"
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emptied_form_clears_the_optional_fields_and_thresholds_keep_their_digits() {
        let form = GeneralForm {
            alert_thresholds: "10.50\n\n  250.125 \n".into(),
            ..GeneralForm::default()
        };
        let patch = patch_of(&form)
            .unwrap_or_else(|_| unreachable!())
            .unwrap_or_else(|_| unreachable!());
        let text = |name: &str| patch.get(name).map(|v| v.get().to_owned());
        assert_eq!(text("display_name").as_deref(), Some("null"));
        assert_eq!(text("billing_contact").as_deref(), Some("null"));
        assert_eq!(text("net_terms_days").as_deref(), Some("null"));
        assert_eq!(
            text("alert_thresholds").as_deref(),
            Some(r#"["10.50","250.125"]"#)
        );
        // Not a field of this form: left as stored.
        let fields: Vec<&String> = patch.keys().collect();
        assert!(!fields.iter().any(|name| *name == "debug_mode"));
    }

    #[test]
    fn net_terms_that_are_not_a_number_are_refused_before_the_api() {
        let form = GeneralForm {
            net_terms_days: "thirty".into(),
            ..GeneralForm::default()
        };
        assert!(matches!(patch_of(&form), Ok(Err(_))));
    }
}
