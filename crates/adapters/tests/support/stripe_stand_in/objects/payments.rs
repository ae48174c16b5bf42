//! PaymentIntents and refunds: the test cards' outcomes, cancelling, refunding what was paid.

use serde_json::{Value, json};

use super::{
    super::{error, shapes::Node},
    AUTHENTICATION_REQUIRED, Answer, DECLINED, VISA, World, missing, now, strings,
};

impl World {
    pub(super) fn create_intent(&mut self, params: &Node) -> Answer {
        let customer = params.leaf(&["customer"]).unwrap_or_default();
        if !self.customers.contains_key(customer) {
            return missing("customer", customer);
        }
        let method = params.leaf(&["payment_method"]).unwrap_or_default();
        let card = match self.methods.get(method) {
            Some((owner, card)) if owner == customer => card.clone(),
            Some(_) => {
                return (
                    400,
                    error(
                        "invalid_request_error",
                        None,
                        Some("payment_method"),
                        "The provided PaymentMethod belongs to another Customer.",
                    ),
                );
            }
            None if [VISA, DECLINED, AUTHENTICATION_REQUIRED].contains(&method) => {
                method.to_owned()
            }
            None => return missing("payment_method", method),
        };
        let id = self.id("pi");
        let mut intent = self.fixture("payment_intent");
        intent["id"] = json!(id);
        intent["client_secret"] = json!(format!("{id}_secret_standin"));
        intent["created"] = json!(now());
        intent["canceled_at"] = Value::Null;
        intent["amount"] = json!(params.leaf(&["amount"]).and_then(|a| a.parse::<i64>().ok()));
        intent["currency"] = json!(params.leaf(&["currency"]));
        intent["customer"] = json!(customer);
        intent["payment_method"] = json!(method);
        intent["metadata"] = json!(strings(params.branch("metadata")));
        intent["next_action"] = Value::Null;
        intent["processing"] = Value::Null;
        let failure = match card.as_str() {
            DECLINED => Some((
                "card_declined",
                "generic_decline",
                "Your card was declined.",
            )),
            AUTHENTICATION_REQUIRED => Some((
                "authentication_required",
                "authentication_required",
                "Your card was declined. This transaction requires authentication.",
            )),
            _ => None,
        };
        let confirmed = params.leaf(&["confirm"]) == Some("true");
        let Some((code, decline_code, message)) = failure.filter(|_| confirmed) else {
            intent["status"] = json!(if confirmed {
                "succeeded"
            } else {
                "requires_confirmation"
            });
            intent["amount_received"] = if confirmed {
                intent["amount"].clone()
            } else {
                json!(0)
            };
            intent["last_payment_error"] = Value::Null;
            self.intents.insert(id, intent.clone());
            return (200, intent);
        };
        let last_error = json!({"type": "card_error", "code": code, "decline_code": decline_code, "message": message});
        intent["status"] = json!("requires_payment_method");
        intent["amount_received"] = json!(0);
        intent["last_payment_error"] = last_error.clone();
        self.intents.insert(id, intent.clone());
        let mut body = json!({"error": last_error});
        body["error"]["payment_intent"] = intent;
        (402, body)
    }

    pub(super) fn cancel_intent(&mut self, id: &str, params: &Node) -> Answer {
        let Some(intent) = self.intents.get_mut(id) else {
            return missing("payment_intent", id);
        };
        if ["succeeded", "canceled"].contains(&intent["status"].as_str().unwrap_or_default()) {
            let message = format!(
                "You cannot cancel this PaymentIntent because it has a status of {}.",
                intent["status"].as_str().unwrap_or_default()
            );
            return (
                400,
                error(
                    "invalid_request_error",
                    Some("payment_intent_unexpected_state"),
                    None,
                    &message,
                ),
            );
        }
        intent["status"] = json!("canceled");
        intent["canceled_at"] = json!(now());
        intent["cancellation_reason"] = json!(params.leaf(&["cancellation_reason"]));
        (200, intent.clone())
    }

    pub(super) fn refund(&mut self, params: &Node) -> Answer {
        let id = params.leaf(&["payment_intent"]).unwrap_or_default();
        let Some(intent) = self.intents.get(id) else {
            return missing("payment_intent", id);
        };
        if intent["status"] != "succeeded" {
            return (
                400,
                error(
                    "invalid_request_error",
                    Some("charge_not_refundable"),
                    None,
                    "This PaymentIntent has no succeeded charge to refund.",
                ),
            );
        }
        let paid = intent["amount"].as_i64().unwrap_or_default();
        let amount = params
            .leaf(&["amount"])
            .and_then(|a| a.parse::<i64>().ok())
            .unwrap_or(paid);
        if amount > paid || amount <= 0 {
            return (
                400,
                error(
                    "invalid_request_error",
                    Some("amount_too_large"),
                    Some("amount"),
                    "Refund amount is greater than the amount left to refund.",
                ),
            );
        }
        let currency = intent["currency"].clone();
        let mut refund = self.fixture("refund");
        refund["id"] = json!(self.id("re"));
        refund["amount"] = json!(amount);
        refund["currency"] = currency;
        refund["payment_intent"] = json!(id);
        refund["reason"] = json!(params.leaf(&["reason"]));
        refund["metadata"] = json!(strings(params.branch("metadata")));
        refund["status"] = json!("succeeded");
        (200, refund)
    }
}
