//! Reading the whole record fast. Automerge's own `hydrate` walks the document once; turning that
//! tree into JSON and deserialising with serde is ~5x faster than autosurgeon's per-field reads,
//! and `record()` runs after every edit (summary, screen refresh). Writes still go through
//! autosurgeon `Reconcile`, so both derive sets must describe the same shape.

use automerge::{hydrate::Value, ReadDoc, ScalarValue};
use serde_json::Value as Json;

use crate::error::DocError;
use crate::record::PatientRecord;

pub(crate) fn read_record<D: ReadDoc>(doc: &D) -> Result<PatientRecord, DocError> {
    let tree = doc.hydrate(automerge::ROOT, None)?;
    serde_json::from_value(to_json(&tree)).map_err(|e| DocError::Shape(e.to_string()))
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Scalar(s) => scalar(s),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_json(&v.value)))
                .collect(),
        ),
        Value::List(list) => Json::Array(list.iter().map(|v| to_json(&v.value)).collect()),
        Value::Text(text) => Json::String(text.to_string()),
    }
}

fn scalar(s: &ScalarValue) -> Json {
    match s {
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        ScalarValue::Counter(c) => Json::from(i64::from(c)),
        ScalarValue::Boolean(b) => Json::Bool(*b),
        // Nothing in the schema is bytes or a future type: let serde report the mismatch.
        ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } | ScalarValue::Null => Json::Null,
    }
}
