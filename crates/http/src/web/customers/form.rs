//! The customer form: `GET /customers/new` and `POST /customers` create one, `GET
//! /customers/{id}/edit` and `POST /customers/{id}` change one. The form becomes the API's
//! own request (`POST` / `PATCH /api/billing/customers`), checked by the same code, so a
//! refused form names the code the API would answer; it is shown again with every value kept.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;
use serde_json::{Value, json};
use tollgate_domain::ErrorCode;
use uuid::Uuid;

use super::customer;
use crate::{
    error::ApiError,
    routes::api::customers::{
        CreateCustomerRequest, UpdateCustomerRequest, customer_changes, customer_exists,
        new_customer,
    },
    state::AppState,
    web::{Layout, Timing, Visitor, WebError, i18n::key, layout::render},
};

/// The form's fields as typed: text, blank meaning "none".
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CustomerForm {
    pub csrf: String,
    pub external_id: String,
    pub name: String,
    pub billing_email: String,
    pub currency: String,
    pub tax_id: String,
    pub tax_rate: String,
    pub net_terms_days: String,
    pub timezone: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    pub state: String,
    pub country: String,
}

/// Why the form was refused: the API's code and message.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// What cannot change once created, shown beside the form.
pub struct Fixed {
    pub id: Uuid,
    pub external_id: String,
    pub currency: String,
}

#[derive(Template)]
#[template(path = "customers/form.html")]
struct FormPage {
    layout: Layout,
    form: CustomerForm,
    /// `None`: a new customer.
    fixed: Option<Fixed>,
    refusal: Option<Refusal>,
}

impl FormPage {
    fn action(&self) -> String {
        self.fixed.as_ref().map_or_else(
            || "/customers".to_owned(),
            |f| format!("/customers/{}", f.id),
        )
    }

    fn cancel(&self) -> String {
        self.fixed.as_ref().map_or_else(
            || "/customers".to_owned(),
            |f| format!("/customers/{}", f.id),
        )
    }
}

fn text(value: &str) -> Value {
    match value.trim() {
        "" => Value::Null,
        text => Value::String(text.to_owned()),
    }
}

impl CustomerForm {
    /// The address, `null` when every line of it is blank.
    fn address(&self) -> Value {
        let lines = [
            &self.line1,
            &self.line2,
            &self.city,
            &self.postal_code,
            &self.state,
            &self.country,
        ];
        if lines.iter().all(|line| line.trim().is_empty()) {
            return Value::Null;
        }
        json!({
            "line1": self.line1.trim(),
            "line2": text(&self.line2),
            "city": self.city.trim(),
            "postal_code": text(&self.postal_code),
            "state": text(&self.state),
            "country": self.country.trim(),
        })
    }

    /// Days as the API takes them: a whole number, or `null` when blank.
    fn net_terms(&self) -> Result<Value, ApiError> {
        match self.net_terms_days.trim() {
            "" => Ok(Value::Null),
            days => days
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| ApiError::Invalid {
                    code: ErrorCode::InvalidRequest,
                    message: "net_terms_days must be a whole number of days".into(),
                }),
        }
    }

    fn create_request(&self) -> Result<CreateCustomerRequest, ApiError> {
        let body = json!({
            "external_id": self.external_id.trim(),
            "name": self.name.trim(),
            "billing_email": self.billing_email.trim(),
            "currency": self.currency.trim(),
            "address": self.address(),
            "tax_id": text(&self.tax_id),
            "tax_rate": text(&self.tax_rate),
            "net_terms_days": self.net_terms()?,
            "timezone": text(&self.timezone),
        });
        serde_json::from_value(body).map_err(|error| ApiError::Internal(error.to_string()))
    }

    /// Every field, blank ones clearing what they hold; the time zone stays as it is when
    /// left blank (a customer always has one).
    fn update_request(&self) -> Result<UpdateCustomerRequest, ApiError> {
        let mut body = json!({
            "name": self.name.trim(),
            "billing_email": self.billing_email.trim(),
            "address": self.address(),
            "tax_id": text(&self.tax_id),
            "tax_rate": text(&self.tax_rate),
            "net_terms_days": self.net_terms()?,
        });
        if let (Some(fields), Value::String(zone)) = (body.as_object_mut(), text(&self.timezone)) {
            fields.insert("timezone".into(), Value::String(zone));
        }
        serde_json::from_value(body).map_err(|error| ApiError::Internal(error.to_string()))
    }
}

/// A refused form's status and what it says; anything but a refusal (or an outside system's
/// failure, shown in the form too so nothing typed is lost) is the page's error.
fn refused(error: ApiError) -> Result<(StatusCode, Refusal), WebError> {
    let status = actix_web::ResponseError::status_code(&error);
    if status.is_client_error() {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal {
                code: error.code().as_str(),
                message: error.public_message(),
            },
        ));
    }
    let error = WebError::from(error);
    match error.section_failure() {
        Some(failure) => Ok((
            failure.status,
            Refusal {
                code: failure.code,
                message: match failure.retry {
                    Some(retry) => format!("{} {retry}", failure.message),
                    None => failure.message,
                },
            },
        )),
        None => Err(error),
    }
}

fn see(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `GET /customers/new`.
pub async fn new(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
) -> Result<HttpResponse, WebError> {
    let page = FormPage {
        layout: Layout::page(&visitor, &request, key("customer-new-title"), &timing),
        form: CustomerForm::default(),
        fixed: None,
        refusal: None,
    };
    render(StatusCode::OK, &page)
}

/// `POST /customers`: 303 to the new customer's page.
pub async fn create(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    form: web::Form<CustomerForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let outcome = async {
        let customer = new_customer(&form.create_request()?)?;
        let external_id = customer.external_id().as_str().to_owned();
        timing
            .measure(
                "billing",
                state.billing.customers().create(
                    visitor.caller.principal.organization,
                    customer,
                    &visitor.caller.audit,
                ),
            )
            .await?
            .ok_or_else(|| customer_exists(&external_id))
    }
    .await;
    match outcome {
        Ok(record) => Ok(see(format!("/customers/{}", record.id))),
        Err(error) => {
            let (status, refusal) = refused(error)?;
            let page = FormPage {
                layout: Layout::page(&visitor, &request, key("customer-new-title"), &timing),
                form,
                fixed: None,
                refusal: Some(refusal),
            };
            render(status, &page)
        }
    }
}

/// `GET /customers/{id}/edit`: the form, filled with what is stored.
pub async fn edit(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let record = timing
        .measure("billing", customer(&state, &visitor, &id))
        .await?;
    let stored = &record.customer;
    let address = stored.address();
    let form = CustomerForm {
        csrf: String::new(),
        external_id: stored.external_id().as_str().to_owned(),
        name: stored.name().to_owned(),
        billing_email: stored.billing_email().as_str().to_owned(),
        currency: stored.currency().code().to_owned(),
        tax_id: stored
            .tax_id()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        tax_rate: stored
            .tax_rate()
            .map(|r| r.percent().normalize().to_string())
            .unwrap_or_default(),
        net_terms_days: stored
            .net_terms()
            .map(|t| t.days().to_string())
            .unwrap_or_default(),
        timezone: stored.timezone().as_str().to_owned(),
        line1: address.map(|a| a.line1.clone()).unwrap_or_default(),
        line2: address.and_then(|a| a.line2.clone()).unwrap_or_default(),
        city: address.map(|a| a.city.clone()).unwrap_or_default(),
        postal_code: address
            .and_then(|a| a.postal_code.clone())
            .unwrap_or_default(),
        state: address.and_then(|a| a.state.clone()).unwrap_or_default(),
        country: address
            .map(|a| a.country.as_str().to_owned())
            .unwrap_or_default(),
    };
    let page = FormPage {
        layout: Layout::page(&visitor, &request, key("customer-edit-title"), &timing),
        fixed: Some(Fixed {
            id: record.id,
            external_id: form.external_id.clone(),
            currency: form.currency.clone(),
        }),
        form,
        refusal: None,
    };
    render(StatusCode::OK, &page)
}

/// `POST /customers/{id}`: the change, then 303 to the customer's page.
pub async fn update(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<CustomerForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let record = timing
        .measure("billing", customer(&state, &visitor, &id))
        .await?;
    let form = form.into_inner();
    let outcome = async {
        let changes = customer_changes(form.update_request()?)?;
        timing
            .measure(
                "billing",
                state.billing.customers().update(
                    visitor.caller.principal.organization,
                    record.id,
                    changes,
                    &visitor.caller.audit,
                ),
            )
            .await?
            .ok_or(ApiError::Missing { what: "customer" })
    }
    .await;
    match outcome {
        Ok(record) => Ok(see(format!("/customers/{}", record.id))),
        Err(error) => {
            let (status, refusal) = refused(error)?;
            let page = FormPage {
                layout: Layout::page(&visitor, &request, key("customer-edit-title"), &timing),
                fixed: Some(Fixed {
                    id: record.id,
                    external_id: record.customer.external_id().as_str().to_owned(),
                    currency: record.customer.currency().code().to_owned(),
                }),
                form,
                refusal: Some(refusal),
            };
            render(status, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_fields_are_none_and_a_blank_address_is_no_address() {
        let form = CustomerForm {
            external_id: " acme ".into(),
            name: "Acme".into(),
            billing_email: "ap@acme.example".into(),
            currency: "EUR".into(),
            net_terms_days: "30".into(),
            ..CustomerForm::default()
        };
        let customer = new_customer(&form.create_request().unwrap()).unwrap();
        assert_eq!(customer.external_id().as_str(), "acme");
        assert!(customer.address().is_none());
        assert!(customer.tax_id().is_none());
        assert_eq!(customer.net_terms().map(|t| t.days()), Some(30));
    }

    #[test]
    fn refusals_carry_the_apis_codes() {
        let form = CustomerForm {
            external_id: "acme".into(),
            name: "Acme".into(),
            billing_email: "not an address".into(),
            currency: "EUR".into(),
            ..CustomerForm::default()
        };
        let error = new_customer(&form.create_request().unwrap()).unwrap_err();
        let (status, refusal) = refused(error).unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refusal.code, "invalid_value");

        let days = CustomerForm {
            net_terms_days: "soon".into(),
            ..form
        };
        let error = days.create_request().err().unwrap();
        assert_eq!(error.code().as_str(), "invalid_request");
    }
}
