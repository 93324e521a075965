//! Building blocks shared by every section: dates, who/when stamps, retirement.

use autosurgeon::{Hydrate, Reconcile};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::kinds::RetireReason;
use crate::author::Author;

/// A calendar day stored as "YYYY-MM-DD". Kept as the raw string so an odd value from another
/// writer still opens; [`IsoDate::date`] gives the typed view.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IsoDate(pub String);

// By hand rather than derived: `Option<IsoDate>` hydrates through `hydrate_string`, which the
// derived newtype impl does not provide.
impl Reconcile for IsoDate {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.str(&self.0)
    }
}

impl Hydrate for IsoDate {
    fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
        Ok(IsoDate(s.to_string()))
    }
}

impl IsoDate {
    pub fn new(date: NaiveDate) -> Self {
        IsoDate(date.format("%Y-%m-%d").to_string())
    }

    /// Accepts only a valid calendar date.
    pub fn parse(s: &str) -> Option<Self> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .ok()
            .map(IsoDate::new)
    }

    pub fn date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0, "%Y-%m-%d").ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<NaiveDate> for IsoDate {
    fn from(d: NaiveDate) -> Self {
        IsoDate::new(d)
    }
}

/// Who did something and when (ms since the Unix epoch). Items carry it so lists show
/// "added by" without walking the change history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Stamp {
    pub user_id: String,
    pub user_name: String,
    pub device_id: String,
    pub at: i64,
}

impl Stamp {
    pub fn new(author: &Author, at: i64) -> Self {
        Stamp {
            user_id: author.user_id.clone(),
            user_name: author.user_name.clone(),
            device_id: author.device_id.clone(),
            at,
        }
    }
}

/// Why, by whom and when an entry left the active record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Retirement {
    pub reason: RetireReason,
    pub note: String,
    pub stamp: Stamp,
}

/// What every list item has: a stable id, who recorded it, and an optional retirement.
pub trait ListItem {
    fn id(&self) -> &str;
    fn recorded(&self) -> &Stamp;
    fn retired(&self) -> Option<&Retirement>;
    /// Stamps a new item with its author and clears any retirement the caller sent, so an item
    /// always starts active and attributed to whoever actually added it.
    fn stamp_new(&mut self, stamp: Stamp);

    fn is_active(&self) -> bool {
        self.retired().is_none()
    }
}

macro_rules! list_items {
    ($($t:ty),+ $(,)?) => {$(
        impl ListItem for $t {
            fn id(&self) -> &str { &self.id }
            fn recorded(&self) -> &Stamp { &self.recorded }
            fn retired(&self) -> Option<&Retirement> { self.retired.as_ref() }
            fn stamp_new(&mut self, stamp: Stamp) {
                self.recorded = stamp;
                self.retired = None;
            }
        }
    )+};
}
pub(crate) use list_items;

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn iso_dates_are_validated_and_normalised() {
        assert_eq!(
            IsoDate::parse(" 2026-02-03 ").unwrap().as_str(),
            "2026-02-03"
        );
        assert!(IsoDate::parse("2026-02-30").is_none());
        assert!(IsoDate::parse("03/02/2026").is_none());
        // A stored odd value still opens; only the typed view is absent.
        assert_eq!(IsoDate("soon".into()).date(), None);
    }
}
