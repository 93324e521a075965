//! Concurrent writes to clinically important scalars (medication dose, allergy, code status,
//! condition status) are kept by Automerge as conflicts; this module surfaces them for review
//! instead of letting the deterministic winner pass silently.

use automerge::{ObjId, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use crate::access::{item_id, resolve, scalar_text, split_path};
use crate::document::PatientDoc;
use crate::error::DocError;
use crate::history::{ChangeAuthor, ChangeIndex};
use crate::ops::ItemList;

/// Fields whose concurrent values a clinician must review, per list; `None` = a profile field.
const REVIEWED: &[(Option<ItemList>, &[&str])] = &[
    (None, &["code_status", "care_manager"]),
    (
        Some(ItemList::Medications),
        &["name", "dose", "route", "frequency", "status"],
    ),
    (
        Some(ItemList::Allergies),
        &["substance", "reaction", "severity", "status"],
    ),
    (Some(ItemList::Conditions), &["code", "text", "status"]),
];

/// One field with more than one current value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// '/'-separated path, usable with `history` and `Op::ResolveConflict`.
    pub path: String,
    /// e.g. "Metformin: dose".
    pub label: String,
    /// Every concurrent value; the first is the one the record currently shows.
    pub values: Vec<ConflictValue>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictValue {
    pub value: String,
    pub by: Option<ChangeAuthor>,
}

/// Whether `path` names a reviewed field (only those can be resolved by `Op::ResolveConflict`).
pub fn is_reviewed_field(path: &[&str]) -> bool {
    REVIEWED.iter().any(|(list, fields)| match list {
        None => path.len() == 2 && path[0] == "profile" && fields.contains(&path[1]),
        Some(list) => {
            let base = list.path();
            path.len() == base.len() + 2
                && path[..base.len()] == *base
                && fields.contains(&path[base.len() + 1])
        }
    })
}

/// A reviewed field present in the document: (path, label, object, property).
type Field = (String, String, ObjId, &'static str);

/// The summary flag of a patient with clashes to review (see [`PatientDoc::conflict_count`]).
pub const NEEDS_REVIEW_FLAG: &str = "needs_review";

impl PatientDoc {
    /// How many reviewed fields hold concurrent values (cheap: no change history is read), so
    /// every saved summary can carry [`NEEDS_REVIEW_FLAG`].
    pub fn conflict_count(&self) -> Result<usize, DocError> {
        let mut n = 0;
        for (_, _, obj, prop) in self.reviewed_fields()? {
            if self.doc.get_all(&obj, prop)?.len() > 1 {
                n += 1;
            }
        }
        Ok(n)
    }

    fn reviewed_fields(&self) -> Result<Vec<Field>, DocError> {
        let mut fields: Vec<Field> = Vec::new();
        for (list, props) in REVIEWED {
            match list {
                None => {
                    // A document from before the profile section existed has nothing to review.
                    let Ok(profile) = resolve(&self.doc, &["profile"]) else {
                        continue;
                    };
                    for p in *props {
                        fields.push((
                            format!("profile/{p}"),
                            p.replace('_', " "),
                            profile.clone(),
                            p,
                        ));
                    }
                }
                Some(list) => {
                    let Ok(list_obj) = resolve(&self.doc, list.path()) else {
                        continue;
                    };
                    for i in 0..self.doc.length(&list_obj) {
                        let Some((Value::Object(_), item)) = self.doc.get(&list_obj, i)? else {
                            continue;
                        };
                        let Some(id) = item_id(&self.doc, &item)? else {
                            continue;
                        };
                        let name = self.item_label(&item)?;
                        for p in *props {
                            fields.push((
                                format!("{}/{id}/{p}", list.path().join("/")),
                                format!("{name}: {p}"),
                                item.clone(),
                                p,
                            ));
                        }
                    }
                }
            }
        }
        Ok(fields)
    }

    /// Every reviewed field that currently holds concurrent values.
    pub fn conflicts(&mut self) -> Result<Vec<Conflict>, DocError> {
        let fields = self.reviewed_fields()?;
        let mut index: Option<ChangeIndex> = None;
        let mut out = Vec::new();
        for (path, label, obj, prop) in fields {
            let values = self.values_by(&obj, prop, &mut index)?;
            if values.len() > 1 {
                out.push(Conflict {
                    path,
                    label,
                    values,
                });
            }
        }
        Ok(out)
    }

    /// The values a single-value field outside review (a preferred language, a goal's text…)
    /// holds after devices set it while apart, the one shown first — or nothing when it holds
    /// one. The chart marks such a field quietly ("also set to Spanish by Ana") until someone
    /// confirms a value with `Op::ResolveConflict`. Text and yes/no fields only ("true"/"false");
    /// a path that does not exist holds nothing.
    pub fn concurrent_values(&mut self, path: &str) -> Result<Vec<ConflictValue>, DocError> {
        let segs = split_path(path);
        let Some((prop, parent)) = segs.split_last() else {
            return Ok(Vec::new());
        };
        let Ok(obj) = resolve(&self.doc, parent) else {
            return Ok(Vec::new());
        };
        let all = self.doc.get_all(&obj, *prop)?;
        // Only text and yes/no fields: the kinds `Op::ResolveConflict` can write back.
        let settleable = all.iter().all(|(v, _)| {
            matches!(v, Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Str(_) | ScalarValue::Boolean(_)))
        });
        if all.len() < 2 || !settleable {
            return Ok(Vec::new());
        }
        self.values_by(&obj, prop, &mut None)
    }

    /// Every current value of `obj.prop` with who set it, the shown one first (Automerge lists
    /// the winner last). The change index is built only once a field has several values.
    fn values_by(
        &mut self,
        obj: &ObjId,
        prop: &str,
        index: &mut Option<ChangeIndex>,
    ) -> Result<Vec<ConflictValue>, DocError> {
        let values: Vec<(String, ObjId)> = self
            .doc
            .get_all(obj, prop)?
            .into_iter()
            .rev()
            .map(|(v, id)| {
                let text = match v {
                    Value::Scalar(s) => scalar_text(&s),
                    Value::Object(_) => "(object)".into(),
                };
                (text, id)
            })
            .collect();
        if values.len() < 2 {
            return Ok(values
                .into_iter()
                .map(|(value, _)| ConflictValue { value, by: None })
                .collect());
        }
        let index = match index {
            Some(i) => i,
            None => index.insert(ChangeIndex::build(self)),
        };
        Ok(values
            .into_iter()
            .map(|(value, id)| ConflictValue {
                by: index.author_of(&id).cloned(),
                value,
            })
            .collect())
    }

    fn item_label(&self, item: &ObjId) -> Result<String, DocError> {
        for key in ["name", "substance", "text"] {
            if let Some((Value::Scalar(s), _)) = self.doc.get(item, key)? {
                return Ok(scalar_text(&s));
            }
        }
        Ok(String::new())
    }
}
