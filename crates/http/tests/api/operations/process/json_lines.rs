//! A JSON reader that refuses an object repeating a key (`serde_json::Value` keeps the last).

use std::collections::HashSet;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};

/// Every line of `logs` is one JSON object whose objects (nested ones too) have distinct keys;
/// the number of lines.
pub fn check(logs: &str) -> usize {
    let mut lines = 0;
    for line in logs.lines().filter(|line| !line.trim().is_empty()) {
        let parsed: Result<Distinct, _> = serde_json::from_str(line);
        if let Err(error) = parsed {
            panic!("{error} in the log line {line}");
        }
        lines += 1;
    }
    lines
}

struct Distinct;

impl<'de> Deserialize<'de> for Distinct {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DistinctVisitor)
    }
}

struct DistinctVisitor;

impl<'de> Visitor<'de> for DistinctVisitor {
    type Value = Distinct;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Distinct, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format!("the key `{key}` appears twice")));
            }
            map.next_value::<Distinct>()?;
        }
        Ok(Distinct)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Distinct, A::Error> {
        while seq.next_element::<Distinct>()?.is_some() {}
        Ok(Distinct)
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<Distinct, E> {
        Ok(Distinct)
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<Distinct, E> {
        Ok(Distinct)
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<Distinct, E> {
        Ok(Distinct)
    }

    fn visit_f64<E: Error>(self, _: f64) -> Result<Distinct, E> {
        Ok(Distinct)
    }

    fn visit_str<E: Error>(self, _: &str) -> Result<Distinct, E> {
        Ok(Distinct)
    }

    fn visit_unit<E: Error>(self) -> Result<Distinct, E> {
        Ok(Distinct)
    }
}

#[test]
fn a_repeated_key_is_found_at_any_depth() {
    assert_eq!(
        check("{\"a\":1,\"b\":{\"c\":[1,{\"d\":null}]}}\n\n{\"x\":true}"),
        2
    );
    for bad in [
        "{\"target\":\"a\",\"target\":\"b\"}",
        "{\"span\":{\"name\":\"x\",\"name\":\"y\"}}",
        "not json",
    ] {
        assert!(std::panic::catch_unwind(|| check(bad)).is_err(), "{bad}");
    }
}
