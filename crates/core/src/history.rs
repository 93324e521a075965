//! Per-field history, derived from the document's own changes: every change carries its author
//! and time (ChangeMeta in the message), so "who changed this, when, to what" works offline.

use automerge::{ActorId, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use crate::access::{resolve, scalar_text, split_path};
use crate::author::ChangeMeta;
use crate::document::PatientDoc;
use crate::error::DocError;

/// Who made a change, when, and with which typed operation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeAuthor {
    pub op: String,
    pub user_id: String,
    pub user_name: String,
    pub device_id: String,
    /// Milliseconds since the Unix epoch, as the author's device recorded it.
    pub at: i64,
}

/// One change of one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub by: ChangeAuthor,
    /// The value this change wrote (for text, the whole text after it); `None` for objects.
    pub value: Option<String>,
    pub hash: String,
}

/// Change metadata indexed by actor, to attribute an Automerge op id to its change.
pub(crate) struct ChangeIndex {
    entries: Vec<(ActorId, u64, u64, ChangeHash, Vec<ChangeHash>, ChangeAuthor)>,
}

impl ChangeIndex {
    pub(crate) fn build(doc: &mut PatientDoc) -> Self {
        let entries = doc
            .doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|m| {
                let meta = m.message.as_deref().and_then(ChangeMeta::decode);
                let by = match meta {
                    Some(meta) => ChangeAuthor {
                        op: meta.op,
                        user_id: meta.user_id,
                        user_name: meta.user_name,
                        device_id: meta.device_id,
                        at: m.timestamp,
                    },
                    // A change from another tool: still listed, attributed to its actor.
                    None => ChangeAuthor {
                        device_id: m.actor.to_hex_string(),
                        at: m.timestamp,
                        ..Default::default()
                    },
                };
                (
                    m.actor.into_owned(),
                    m.start_op,
                    m.max_op,
                    m.hash,
                    m.deps.clone(),
                    by,
                )
            })
            .collect();
        ChangeIndex { entries }
    }

    /// The change that made the op with this id.
    pub(crate) fn author_of(&self, op: &ObjId) -> Option<&ChangeAuthor> {
        let ObjId::Id(counter, actor, _) = op else {
            return None;
        };
        self.entries
            .iter()
            .find(|(a, start, max, ..)| a == actor && *start <= *counter && *counter <= *max)
            .map(|e| &e.5)
    }
}

impl PatientDoc {
    /// Every change that wrote the field at `path` ('/'-separated keys and item ids, e.g.
    /// `medical/medications/<id>/dose`), oldest first in causal order. For a narrative field,
    /// every change that edited its text.
    pub fn history(&mut self, path: &str) -> Result<Vec<FieldChange>, DocError> {
        let segs = split_path(path);
        let Some((prop, parent)) = segs.split_last() else {
            return Err(DocError::Invalid("empty path".into()));
        };
        let obj = resolve(&self.doc, parent)?;
        let (text, list): (Option<ObjId>, Option<ObjId>) = match self.doc.get(&obj, *prop)? {
            Some((Value::Object(ObjType::Text), id)) => (Some(id), None),
            Some((Value::Object(ObjType::List), id)) => (None, Some(id)),
            _ => (None, None),
        };
        let index = ChangeIndex::build(self);
        let mut out = Vec::new();
        for entry in index.entries.iter() {
            let (_, _, _, hash, deps, by) = entry;
            let at = [*hash];
            // A list (an encounter's addenda...): each change that added items to it, with what
            // they say. Creating the list empty is nobody's entry.
            if let Some(list) = &list {
                let added = self.added_items(list, deps, &at);
                if !added.is_empty() {
                    out.push(FieldChange {
                        by: by.clone(),
                        value: Some(added.join("; ")),
                        hash: hash.to_string(),
                    });
                }
                continue;
            }
            // What this change did to the field: compare the values visible right after it with
            // those visible right before it (at its dependencies). A new op is what it wrote; a
            // write equal to the value already shown may leave no new op but still removes the
            // other (concurrent) values, so a changed set counts too, with the value it left.
            // Before the object existed nothing was visible.
            let before = self.doc.get_all_at(&obj, *prop, deps).unwrap_or_default();
            let after = self.doc.get_all_at(&obj, *prop, &at)?;
            let same_set = after.len() == before.len()
                && after
                    .iter()
                    .all(|(_, id)| before.iter().any(|(_, b)| b == id));
            let written = after
                .iter()
                .find(|(_, id)| !before.iter().any(|(_, b)| b == id))
                .or_else(|| if same_set { None } else { after.last() })
                .cloned();
            let value = match (&written, &text) {
                // A field created empty (an optional value not given, such as an encounter's
                // signature) is not a value anyone set.
                (Some((Value::Scalar(v), _)), _)
                    if before.is_empty() && matches!(v.as_ref(), ScalarValue::Null) =>
                {
                    None
                }
                (Some((Value::Scalar(v), _)), _) => Some(Some(scalar_text(v))),
                (Some((Value::Object(_), _)), None) => Some(None),
                (_, Some(t)) => {
                    // A text edit leaves the key's op alone: compare the text before and after.
                    let after = self.doc.text_at(t, &at).unwrap_or_default();
                    let before = self.doc.text_at(t, deps).unwrap_or_default();
                    (written.is_some() || after != before).then_some(Some(after))
                }
                (None, None) => None,
            };
            if let Some(value) = value {
                out.push(FieldChange {
                    by: by.clone(),
                    value,
                    hash: hash.to_string(),
                });
            }
        }
        Ok(out)
    }

    /// The items of `list` present at `after` but not at `before`, each as its `text` (else its
    /// `id`).
    fn added_items(
        &self,
        list: &ObjId,
        before: &[ChangeHash],
        after: &[ChangeHash],
    ) -> Vec<String> {
        let items_at = |heads: &[ChangeHash]| -> Vec<ObjId> {
            (0..self.doc.length_at(list, heads))
                .filter_map(|i| match self.doc.get_at(list, i, heads) {
                    Ok(Some((Value::Object(_), id))) => Some(id),
                    _ => None,
                })
                .collect()
        };
        let old = items_at(before);
        items_at(after)
            .into_iter()
            .filter(|item| !old.contains(item))
            .map(|item| {
                let read = |key: &str| match self.doc.get_at(&item, key, after) {
                    Ok(Some((Value::Scalar(v), _))) => Some(scalar_text(&v)),
                    Ok(Some((Value::Object(ObjType::Text), t))) => self.doc.text_at(&t, after).ok(),
                    _ => None,
                };
                read("text").or_else(|| read("id")).unwrap_or_default()
            })
            .collect()
    }
}
