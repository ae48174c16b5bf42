use secrecy::ExposeSecret;

use super::*;

#[test]
fn the_default_tax_rate_is_zero_exact_text_and_refused_out_of_range() {
    let load = |rate: Option<config::Value>| {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(rate) = rate {
            builder = builder
                .set_override("billing.default_tax_rate_percent", rate)
                .unwrap();
        }
        builder.build().unwrap().try_deserialize::<Settings>()
    };
    let percent = |settings: Settings| {
        let close = settings.billing.period_close();
        close.default_tax_rate.percent().to_string()
    };
    assert_eq!(percent(load(None).unwrap()), "0");
    assert_eq!(percent(load(Some("8.875".into())).unwrap()), "8.875");
    // An environment variable parsed as a number (try_parsing) reads the same.
    assert_eq!(percent(load(Some(20_i64.into())).unwrap()), "20");
    for bad in ["-1", "101", "abc"] {
        let error = load(Some(bad.into())).unwrap_err().to_string();
        assert!(error.contains("default_tax_rate_percent"), "{bad}: {error}");
    }
}

#[test]
fn defaults_load_and_keep_secrets_out_of_debug_output() {
    let mut settings: Settings = Config::builder()
        .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
        .build()
        .unwrap()
        .try_deserialize()
        .unwrap();
    assert_eq!(settings.server.body_limit_bytes, 32 * 1024 * 1024);
    assert_eq!(settings.delivery_targets(), vec!["embedded_meter"]);
    // Unset: usage goes to Lago as one event per meter, the metrics Lago mode makes.
    assert_eq!(settings.lago.billable_metric_code, None);

    settings.database.url = SecretString::from("postgres://u:hunter2@db/x");
    assert!(!format!("{settings:?}").contains("hunter2"));
    assert_eq!(
        settings.database.url.expose_secret(),
        "postgres://u:hunter2@db/x"
    );
}

#[test]
fn configured_systems_become_delivery_targets() {
    let mut settings: Settings = Config::builder()
        .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
        .build()
        .unwrap()
        .try_deserialize()
        .unwrap();
    settings.lago.url = "http://lago:3000".into();
    assert_eq!(settings.delivery_targets(), vec!["embedded_meter", "lago"]);
    settings.openmeter.url = "http://openmeter:8888".into();
    assert_eq!(settings.delivery_targets(), vec!["openmeter", "lago"]);
    // Metering in OpenMeter, billing embedded: the period close needs the rollups too.
    settings.lago.url = String::new();
    assert_eq!(
        settings.delivery_targets(),
        vec!["openmeter", "embedded_meter"]
    );
}
