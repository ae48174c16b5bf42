//! The dashboard's billing cards: per currency, what was invoiced, paid and is outstanding
//! (the service behind `GET /api/billing/summary`), against the period before; and the
//! margin where the currency is USD, the one LLM costs are counted in.

use rust_decimal::Decimal;
use tollgate_application::ports::CurrencyTotals;
use tollgate_domain::billing::Money;

use super::figures::{Card, percent, rounded, usd};
use crate::web::i18n::{catalog, key};

/// One of a currency's totals.
type Figure = fn(&CurrencyTotals) -> Money;

/// `EUR 1,234.00`: the amount in the currency's minor units, its code before it.
fn money(amount: Money) -> String {
    let places = amount.currency().minor_units();
    format!(
        "{} {}",
        amount.currency().code(),
        rounded(amount.amount(), places)
    )
}

fn exact(amount: Money) -> String {
    amount.amount().normalize().to_string()
}

/// The same currency's totals of the previous period, if it had any.
fn previous_of<'a>(previous: &'a [CurrencyTotals], code: &str) -> Option<&'a CurrencyTotals> {
    previous
        .iter()
        .find(|totals| totals.invoiced.currency().code() == code)
}

/// Invoiced, paid and outstanding cards per currency, each with its change.
pub fn cards(current: &[CurrencyTotals], previous: &[CurrencyTotals]) -> Vec<Card> {
    let t = catalog();
    let mut cards = Vec::new();
    for totals in current {
        let code = totals.invoiced.currency().code().to_owned();
        let before = previous_of(previous, &code);
        let figures: [(&str, Figure); 3] = [
            (key("card-invoiced"), |t| t.invoiced),
            (key("card-paid"), |t| t.paid),
            (key("card-outstanding"), |t| t.outstanding),
        ];
        for (label, figure) in figures {
            let now = figure(totals);
            let card = Card::new(t.tr_with(label, &code), money(now), exact(now));
            let then = before.map_or(Decimal::ZERO, |b| figure(b).amount());
            let shown = before.map_or_else(|| format!("{code} 0"), |b| money(figure(b)));
            cards.push(card.against(now.amount(), then, shown));
        }
    }
    cards
}

/// The USD margin: what was invoiced in USD less what the LLM calls cost, and its share of
/// the invoiced amount. `None` without USD invoices.
pub fn margin(current: &[CurrencyTotals], cost_usd: Decimal) -> Option<Card> {
    let invoiced = current
        .iter()
        .find(|totals| totals.invoiced.currency().code() == "USD")?
        .invoiced
        .amount();
    let margin = invoiced - cost_usd;
    let t = catalog();
    let mut card = Card::new(
        t.tr("card-margin"),
        usd(margin),
        margin.normalize().to_string(),
    );
    if !invoiced.is_zero() {
        card.value = format!("{} ({})", card.value, percent(margin / invoiced));
    }
    Some(card)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use tollgate_domain::billing::Currency;

    use super::*;
    use crate::web::dashboard::figures::Trend;

    fn totals(currency: Currency, invoiced: i64, paid: i64, outstanding: i64) -> CurrencyTotals {
        let money = |cents: i64| Money::new(Decimal::new(cents, 2), currency);
        CurrencyTotals {
            invoiced: money(invoiced),
            paid: money(paid),
            outstanding: money(outstanding),
            credited: money(0),
        }
    }

    #[test]
    fn each_currency_has_its_cards_against_the_same_currency_before() {
        let eur = Currency::parse("EUR").unwrap();
        let now = [totals(eur, 150_000, 100_000, 50_000)];
        let before = [
            totals(Currency::USD, 999, 999, 999),
            totals(eur, 100_000, 100_000, 0),
        ];
        let cards = cards(&now, &before);
        assert_eq!(cards.len(), 3);
        assert_eq!(cards[0].label, "Invoiced (EUR)");
        assert_eq!(cards[0].value, "EUR 1,500.00");
        let change = cards[0].change.as_ref().unwrap();
        assert_eq!((change.trend, change.text.as_str()), (Trend::Up, "+50.0%"));
        assert_eq!(change.previous, "EUR 1,000.00");
        assert_eq!(cards[2].change.as_ref().unwrap().text, "new");
    }

    #[test]
    fn the_margin_is_usd_invoiced_less_llm_cost_and_only_in_usd() {
        let usd = [totals(Currency::USD, 10_000, 0, 10_000)];
        let card = margin(&usd, Decimal::new(2_500, 2)).unwrap();
        assert_eq!(card.value, "$75.00 (75.0%)");
        assert_eq!(card.exact, "75");
        let eur = [totals(Currency::parse("EUR").unwrap(), 10_000, 0, 0)];
        assert!(margin(&eur, Decimal::ONE).is_none());
    }
}
