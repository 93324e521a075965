//! Narrative text stored as an Automerge Text object, so concurrent edits of one note keep both
//! people's words. In Rust it is a plain string; edits go through `PatientDoc` ops as splices.

use autosurgeon::{Hydrate, HydrateError, ReadDoc, Reconcile, Reconciler};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Narrative(pub String);

impl Narrative {
    pub fn new(s: impl Into<String>) -> Self {
        Narrative(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Narrative {
    fn from(s: &str) -> Self {
        Narrative(s.to_string())
    }
}

impl Reconcile for Narrative {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        use autosurgeon::reconcile::TextReconciler;
        // `update` diffs against the stored text: an unchanged narrative writes nothing.
        let mut text = reconciler.text()?;
        text.update(&self.0)
    }
}

impl Hydrate for Narrative {
    fn hydrate_text<D: ReadDoc>(doc: &D, obj: &automerge::ObjId) -> Result<Self, HydrateError> {
        Ok(Narrative(doc.text(obj)?))
    }

    // Tolerate a plain string (e.g. written by another tool): it reads as the same narrative.
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        Ok(Narrative(s.to_string()))
    }
}

impl serde::Serialize for Narrative {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Narrative {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Narrative(String::deserialize(d)?))
    }
}

/// One splice of a narrative: at character `pos`, delete `delete` characters, insert `insert`.
/// Positions count Unicode scalar values (Rust `chars`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextEdit {
    pub pos: usize,
    pub delete: usize,
    pub insert: String,
}
