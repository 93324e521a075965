//! Finding objects inside a patient document by path. A path is a list of map keys and item ids:
//! `["medical", "medications", "<id>", "dose"]` — a segment under a list selects the item whose
//! `id` equals it, so paths stay valid however concurrent inserts reorder a list.

use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, Value};

use crate::error::DocError;

/// The object at `path` (a map, list or text).
pub(crate) fn resolve<D: ReadDoc>(doc: &D, path: &[&str]) -> Result<ObjId, DocError> {
    let mut obj = automerge::ROOT;
    for seg in path {
        let next = match doc.object_type(&obj) {
            Ok(ObjType::Map) | Ok(ObjType::Table) => match doc.get(&obj, *seg)? {
                Some((Value::Object(_), id)) => Some(id),
                _ => None,
            },
            Ok(ObjType::List) => find_item(doc, &obj, seg)?,
            _ => None,
        };
        obj = next.ok_or_else(|| DocError::NotFound(path.join("/")))?;
    }
    Ok(obj)
}

/// The map in `list` whose `id` is `id`.
pub(crate) fn find_item<D: ReadDoc>(
    doc: &D,
    list: &ObjId,
    id: &str,
) -> Result<Option<ObjId>, DocError> {
    for i in 0..doc.length(list) {
        if let Some((Value::Object(ObjType::Map), item)) = doc.get(list, i)? {
            if item_id(doc, &item)?.as_deref() == Some(id) {
                return Ok(Some(item));
            }
        }
    }
    Ok(None)
}

/// The `id` of an item map, if it has a string one.
pub(crate) fn item_id<D: ReadDoc>(doc: &D, item: &ObjId) -> Result<Option<String>, DocError> {
    Ok(match doc.get(item, "id")? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    })
}

/// Splits a '/'-separated path as used in conflicts and history.
pub fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// A scalar as the text a reviewer reads.
pub(crate) fn scalar_text(v: &ScalarValue) -> String {
    match v {
        ScalarValue::Str(s) => s.to_string(),
        ScalarValue::Null => String::new(),
        other => other.to_string(),
    }
}
