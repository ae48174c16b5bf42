//! OpenMeter answering a delivery with something unusable: settled by the dispatcher's rules
//! (`tests/support/nonsense.rs`), never a dead letter.

use tollgate_adapters::openmeter::OpenMeterTarget;
use tollgate_application::ports::DeliveryTarget;

use crate::building_blocks::*;
use crate::nonsense;

#[tokio::test]
async fn unusable_answers_to_a_delivery_are_delivered_or_retried() -> TestResult {
    for nonsense in nonsense::ALL {
        let server = stand_in(nonsense.answer()).await;
        let mut config = config(&server)?;
        config.timeout = nonsense::TIMEOUT;
        let outcomes = OpenMeterTarget::new(config)?.deliver(&items(2)?).await;
        assert_eq!(outcomes.len(), 2);
        for outcome in &outcomes {
            nonsense.assert_delivery(outcome);
        }
    }
    Ok(())
}
