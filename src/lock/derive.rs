//! The PIN → key-encryption key step, with the browser's WebCrypto: PBKDF2-HMAC-SHA256 is native
//! code there (600,000 iterations take well under a second on a phone; pure-Rust wasm would take
//! several). Core only holds and checks the parameters.

use js_sys::{Array, ArrayBuffer, Uint8Array};
use tend_core::lock::{Kek, Pbkdf2Params};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

#[derive(Debug, thiserror::Error)]
#[error("this browser could not derive the key from the PIN: {0}")]
pub struct DeriveError(String);

fn js_error(e: JsValue) -> DeriveError {
    DeriveError(
        e.as_string()
            .or_else(|| {
                js_sys::Error::try_from(e.clone())
                    .ok()
                    .map(|e| e.message().into())
            })
            .unwrap_or_else(|| format!("{e:?}")),
    )
}

/// Derives `len_bytes` bytes with PBKDF2-HMAC-SHA256 (WebCrypto `deriveBits`).
pub async fn pbkdf2_sha256(
    secret: &[u8],
    salt: &[u8],
    iterations: u32,
    len_bytes: u32,
) -> Result<Vec<u8>, DeriveError> {
    let subtle = web_sys::window()
        .ok_or_else(|| DeriveError("no window".into()))?
        .crypto()
        .map_err(js_error)?
        .subtle();
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let secret = Uint8Array::from(secret);
    let base = JsFuture::from(
        subtle
            .import_key_with_object(
                "raw",
                &secret,
                &js_sys::Object::from(JsValue::from_str("PBKDF2")),
                false,
                &usages,
            )
            .map_err(js_error)?,
    )
    .await
    .map_err(js_error)?;
    // The imported copy lives in the browser; clear ours now.
    secret.fill(0, 0, secret.length());
    let base: CryptoKey = base.dyn_into().map_err(js_error)?;
    let params = web_sys::Pbkdf2Params::new_with_str(
        "PBKDF2",
        "SHA-256",
        iterations,
        &Uint8Array::from(salt),
    );
    let bits = JsFuture::from(
        subtle
            .derive_bits_with_object(&params, &base, len_bytes * 8)
            .map_err(js_error)?,
    )
    .await
    .map_err(js_error)?;
    let bits: ArrayBuffer = bits.dyn_into().map_err(js_error)?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// The key-encryption key for `pin` under the stored parameters.
pub async fn derive_kek(pin: &str, params: &Pbkdf2Params) -> Result<Kek, DeriveError> {
    let bits = pbkdf2_sha256(pin.as_bytes(), &params.salt, params.iterations, 32).await?;
    Kek::from_slice(&bits).map_err(|e| DeriveError(e.to_string()))
}
