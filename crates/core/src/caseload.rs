//! The caseload list as one stored value, and the list's order.
//!
//! A device with thousands of patients would otherwise read (and decrypt, and decode) thousands of
//! summary rows before it can show its first screen. The app keeps a [`CaseloadCache`] — every
//! summary as of one point of its caseload log — and applies only the rows logged since (see the
//! app's `storage/caseload.rs`). The rows stay the source of truth; the cache is rebuilt from them.

use serde::{Deserialize, Serialize};

use crate::summary::{PatientSummary, SummaryEncodeError, STORED_SUMMARY_VERSION};

/// First byte of a stored cache. The second is [`STORED_SUMMARY_VERSION`]: postcard is not
/// self-describing, so a cache written with another summary shape is not read (it is rebuilt).
pub const CACHE_FORMAT: u8 = 1;

/// Every summary, as of caseload-log entry `covers` (all summary writes up to it are reflected).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseloadCache {
    pub covers: u64,
    /// In list order ([`sort`]).
    pub summaries: Vec<PatientSummary>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CacheDecodeError {
    #[error("the caseload cache is empty")]
    Empty,
    #[error("the caseload cache was written in another format ({format}, summaries v{summary})")]
    OtherFormat { format: u8, summary: u8 },
    #[error("the caseload cache does not decode: {0}")]
    Malformed(String),
}

impl CaseloadCache {
    pub fn encode(&self) -> Result<Vec<u8>, SummaryEncodeError> {
        postcard::to_extend(self, vec![CACHE_FORMAT, STORED_SUMMARY_VERSION])
            .map_err(|e| SummaryEncodeError::new(e.to_string()))
    }

    /// Reads a stored cache; never panics on bad bytes (any error means: read the rows instead).
    pub fn decode(bytes: &[u8]) -> Result<Self, CacheDecodeError> {
        match bytes {
            [] | [_] => Err(CacheDecodeError::Empty),
            [CACHE_FORMAT, STORED_SUMMARY_VERSION, body @ ..] => {
                match postcard::take_from_bytes::<CaseloadCache>(body) {
                    Ok((cache, [])) => Ok(cache),
                    Ok((_, rest)) => Err(CacheDecodeError::Malformed(format!(
                        "{} unexpected trailing bytes",
                        rest.len()
                    ))),
                    Err(e) => Err(CacheDecodeError::Malformed(e.to_string())),
                }
            }
            [format, summary, ..] => Err(CacheDecodeError::OtherFormat {
                format: *format,
                summary: *summary,
            }),
        }
    }

    /// Applies the rows written after `covers` (up to log entry `now_covers`): a summary replaces
    /// the cached one with its id or joins the list; `None` (the row is gone) removes it.
    pub fn apply(
        &mut self,
        changed: impl IntoIterator<Item = (String, Option<PatientSummary>)>,
        now_covers: u64,
    ) {
        for (id, row) in changed {
            let at = self.summaries.iter().position(|s| s.id == id);
            match (at, row) {
                (Some(i), Some(summary)) => self.summaries[i] = summary,
                (None, Some(summary)) => self.summaries.push(summary),
                (Some(i), None) => {
                    self.summaries.remove(i);
                }
                (None, None) => {}
            }
        }
        sort(&mut self.summaries);
        self.covers = self.covers.max(now_covers);
    }
}

/// The caseload's order: by sort key (lower-cased name), ties by id, so every tab and device
/// lists the same patients in the same order.
pub fn sort(list: &mut [PatientSummary]) {
    list.sort_by(|a, b| a.sort_key.cmp(&b.sort_key).then_with(|| a.id.cmp(&b.id)));
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn summary(id: &str, name: &str, priority: u32) -> PatientSummary {
        PatientSummary {
            id: id.into(),
            display_name: name.into(),
            sort_key: name.to_lowercase(),
            created_at: 1,
            date_of_birth: None,
            age: Some(80),
            programs: vec!["ccm".into()],
            flags: vec![],
            next_due: None,
            open_follow_ups: priority,
            active_conditions: 3,
            active_medications: 7,
            minutes_this_month: 20,
            risk_tier: Some("high".into()),
            priority,
            risk_reasons: vec!["3+ chronic conditions".into()],
            identifiers: vec![format!("MRN-{id}")],
            transition_steps: Vec::new(),
            billing: Default::default(),
            coordination: Default::default(),
            care_manager: String::new(),
            care_team: Vec::new(),
            plan_reviewed_on: None,
            due_items: Vec::new(),
            as_of: None,
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_cache_reads_back_as_written() {
        let mut cache = CaseloadCache {
            covers: 42,
            summaries: vec![summary("b", "Ruth Okafor", 3), summary("a", "Ada Byrne", 1)],
        };
        sort(&mut cache.summaries);
        let bytes = cache.encode().expect("encode");
        assert_eq!(CaseloadCache::decode(&bytes), Ok(cache));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn another_format_or_damage_is_an_error_not_a_guess() {
        let cache = CaseloadCache {
            covers: 7,
            summaries: vec![summary("a", "Ada Byrne", 1)],
        };
        let bytes = cache.encode().expect("encode");
        let mut older = bytes.clone();
        older[1] = STORED_SUMMARY_VERSION - 1;
        assert!(matches!(
            CaseloadCache::decode(&older),
            Err(CacheDecodeError::OtherFormat { .. })
        ));
        assert!(matches!(
            CaseloadCache::decode(&bytes[..bytes.len() - 3]),
            Err(CacheDecodeError::Malformed(_))
        ));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            CaseloadCache::decode(&longer),
            Err(CacheDecodeError::Malformed(_))
        ));
        assert_eq!(CaseloadCache::decode(&[]), Err(CacheDecodeError::Empty));
    }

    /// One write in the model: patient `id` (of a few) gets a summary with this name, or its row
    /// goes away.
    fn write() -> impl Strategy<Value = (u8, Option<(String, u32)>)> {
        (
            0u8..12,
            proptest::option::weighted(0.85, ("[a-z]{1,6}", 0u32..5)),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the split between what the cache held and what was logged since, applying the
        /// log gives exactly the list built from the rows themselves.
        #[wasm_bindgen_test(unsupported = test)]
        fn cache_plus_log_equals_the_rows(
            writes in proptest::collection::vec(write(), 0..60),
            split in 0usize..60,
        ) {
            let split = split.min(writes.len());
            let mut rows: BTreeMap<String, PatientSummary> = BTreeMap::new();
            let play = |rows: &mut BTreeMap<String, PatientSummary>, w: &(u8, Option<(String, u32)>)| {
                let id = format!("p{}", w.0);
                match &w.1 {
                    Some((name, p)) => { rows.insert(id.clone(), summary(&id, name, *p)); }
                    None => { rows.remove(&id); }
                }
                id
            };
            for w in &writes[..split] {
                play(&mut rows, w);
            }
            let mut cache = CaseloadCache { covers: split as u64, summaries: rows.values().cloned().collect() };
            sort(&mut cache.summaries);
            let cache_bytes = cache.encode().expect("encode");

            let mut logged = Vec::new();
            for w in &writes[split..] {
                logged.push(play(&mut rows, w));
            }
            let mut read = CaseloadCache::decode(&cache_bytes).expect("decode");
            read.apply(logged.into_iter().map(|id| { let row = rows.get(&id).cloned(); (id, row) }), writes.len() as u64);

            let mut expected: Vec<PatientSummary> = rows.into_values().collect();
            sort(&mut expected);
            prop_assert_eq!(read.summaries, expected);
            prop_assert_eq!(read.covers, writes.len() as u64);
        }

        #[wasm_bindgen_test(unsupported = test)]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = CaseloadCache::decode(&bytes);
        }
    }
}
