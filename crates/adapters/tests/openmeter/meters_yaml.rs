//! OpenMeter's own meter definitions (`deploy/openmeter/meters.yaml`) against the domain's.

use tollgate_adapters::openmeter::OpenMeterConfig;
use tollgate_domain::metering::Meter;
use url::Url;

use crate::building_blocks::TestResult;

#[test]
fn meters_yaml_declares_every_domain_meter_for_the_default_event_type() -> TestResult {
    let yaml = include_str!("../../../../deploy/openmeter/meters.yaml");
    let default = OpenMeterConfig::new(Url::parse("http://openmeter:8888")?);
    let entries: Vec<&str> = yaml.split("\n  - slug: ").skip(1).collect();
    assert_eq!(entries.len(), Meter::ALL.len());
    for meter in Meter::ALL {
        let slug = meter.slug();
        let entry = entries
            .iter()
            .find(|entry| entry.starts_with(&format!("{slug}\n")))
            .ok_or(format!("no meter {slug}"))?;
        for line in [
            format!("eventType: {}", default.event_type),
            "aggregation: SUM".to_owned(),
            format!("valueProperty: $.{slug}"),
        ]
        .iter()
        .map(String::as_str)
        .chain([
            "groupBy:",
            "model: $.model",
            "provider: $.provider",
            "key: $.key",
            "team: $.team",
            "status: $.status",
        ]) {
            assert!(entry.contains(line), "{slug}: no `{line}`");
        }
    }
    Ok(())
}
