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

impl TextEdit {
    /// The single splice turning `old` into `new` (common prefix and suffix kept), in Unicode
    /// scalar values. `None` when they are equal.
    pub fn between(old: &str, new: &str) -> Option<TextEdit> {
        if old == new {
            return None;
        }
        let a: Vec<char> = old.chars().collect();
        let b: Vec<char> = new.chars().collect();
        let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let max_suffix = a.len().min(b.len()) - prefix;
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(max_suffix)
            .take_while(|(x, y)| x == y)
            .count();
        Some(TextEdit {
            pos: prefix,
            delete: a.len() - prefix - suffix,
            insert: b[prefix..b.len() - suffix].iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `edit` applied to `text` (positions in chars); `None` if it reaches past the end.
    fn apply(text: &str, edit: &TextEdit) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        let end = edit.pos.checked_add(edit.delete)?;
        let mut out: String = chars.get(..edit.pos)?.iter().collect();
        out.push_str(&edit.insert);
        out.extend(chars.get(end..)?);
        Some(out)
    }

    fn edit(pos: usize, delete: usize, insert: &str) -> Option<TextEdit> {
        Some(TextEdit {
            pos,
            delete,
            insert: insert.into(),
        })
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn between_keeps_prefix_and_suffix_in_chars() {
        assert_eq!(TextEdit::between("", ""), None);
        assert_eq!(TextEdit::between("same", "same"), None);
        assert_eq!(TextEdit::between("", "new"), edit(0, 0, "new"));
        assert_eq!(TextEdit::between("gone", ""), edit(0, 4, ""));
        assert_eq!(TextEdit::between("abc", "abXc"), edit(2, 0, "X"));
        assert_eq!(TextEdit::between("abc", "xyz"), edit(0, 3, "xyz"));
        // Repeated characters: the prefix wins, the suffix never overlaps it.
        assert_eq!(TextEdit::between("aaa", "aa"), edit(2, 1, ""));
        assert_eq!(TextEdit::between("aa", "aaa"), edit(2, 0, "a"));
        // Positions count chars, not bytes: "é" is 2 bytes, "👍" 4 bytes, one char each.
        assert_eq!(
            TextEdit::between("café 👍 ok", "café 👎 ok"),
            edit(5, 1, "👎")
        );
        assert_eq!(TextEdit::between("naïve", "naïve!"), edit(5, 0, "!"));
    }

    /// Text from a small alphabet (so prefixes and suffixes often overlap) or any printable text.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof!["[aé👍 \n]{0,12}", "\\PC{0,40}"]
    }

    proptest! {
        #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
        fn between_turns_old_into_new(old in text(), new in text()) {
            prop_assert_eq!(TextEdit::between(&old, &old), None);
            match TextEdit::between(&old, &new) {
                None => prop_assert_eq!(&old, &new),
                Some(e) => {
                    prop_assert!(e.delete > 0 || !e.insert.is_empty(), "empty edit {:?}", e);
                    prop_assert_eq!(apply(&old, &e), Some(new));
                }
            }
        }
    }
}
