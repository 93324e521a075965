//! Small, checked conversions between stored JS objects and Rust values. Everything read back
//! from IndexedDB is treated as untrusted: a wrong shape is an error, never a panic.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

pub fn object(fields: &[(&str, JsValue)]) -> Result<JsValue, JsValue> {
    let obj = Object::new();
    for (name, value) in fields {
        Reflect::set(&obj, &JsValue::from_str(name), value)?;
    }
    Ok(obj.into())
}

/// Sets one field of a stored object.
pub fn set(record: &JsValue, field: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(record, &JsValue::from_str(field), value).map(|_| ())
}

pub fn bytes_value(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

pub fn get_bytes(record: &JsValue, field: &str) -> Option<Vec<u8>> {
    let value = Reflect::get(record, &JsValue::from_str(field)).ok()?;
    value.dyn_into_bytes()
}

pub fn get_string(record: &JsValue, field: &str) -> Option<String> {
    Reflect::get(record, &JsValue::from_str(field))
        .ok()?
        .as_string()
}

pub fn get_f64(record: &JsValue, field: &str) -> Option<f64> {
    Reflect::get(record, &JsValue::from_str(field))
        .ok()?
        .as_f64()
}

trait DynIntoBytes {
    fn dyn_into_bytes(self) -> Option<Vec<u8>>;
}

impl DynIntoBytes for JsValue {
    fn dyn_into_bytes(self) -> Option<Vec<u8>> {
        use wasm_bindgen::JsCast;
        self.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec())
    }
}
