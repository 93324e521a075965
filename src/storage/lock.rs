//! The device lock's storage: the unsealed lock record, the one-time migration of pre-lock data to
//! the keyed seal, and erasing the device's data.

use rexie::TransactionMode;
use tend_core::lock::{DataKey, LockRecord, Place};
use wasm_bindgen::{JsCast, JsValue};

use super::{commit, js, js_err, schema, seal, Seal, Storage, StorageError};

/// Key of the one row in the `lock` store.
const LOCK_ROW: &str = "device";

impl Storage {
    /// The lock record, or `None` on a device where no PIN was ever set.
    pub async fn lock_record(&self) -> Result<Option<LockRecord>, StorageError> {
        let tx = self
            .db
            .transaction(&[schema::LOCK], TransactionMode::ReadOnly)?;
        let row = tx
            .store(schema::LOCK)?
            .get(JsValue::from_str(LOCK_ROW))
            .await?;
        tx.done().await?;
        let Some(json) = row.and_then(|r| js::get_string(&r, "json")) else {
            return Ok(None);
        };
        LockRecord::from_json(&json)
            .map(Some)
            .map_err(|e| StorageError::Corrupt(e.to_string()))
    }

    /// Writes the lock record (failed-attempt count, or a re-wrapped key after "Change PIN").
    pub async fn put_lock_record(&self, record: &LockRecord) -> Result<(), StorageError> {
        let row = lock_row(record)?;
        let tx = self
            .db
            .transaction(&[schema::LOCK], TransactionMode::ReadWrite)?;
        tx.store(schema::LOCK)?.put(&row, None).await?;
        commit(tx).await
    }

    /// First PIN on this device: writes the lock record and re-seals every value written before the
    /// lock existed (format 0x01) with `key`, in ONE transaction over all stores — all or nothing.
    /// A pre-lock value that is already damaged is moved to quarantine (sealed). Then the seal holds
    /// `key`. Returns how many records were re-sealed.
    pub async fn set_up_lock(
        &self,
        record: &LockRecord,
        key: DataKey,
    ) -> Result<usize, StorageError> {
        let keyed = Seal::with_key(key.clone());
        let lock_row = lock_row(record)?;
        let mut stores: Vec<&str> = schema::SEALED_STORES.to_vec();
        stores.push(schema::LOCK);
        let tx = self.db.transaction(&stores, TransactionMode::ReadWrite)?;
        let mut resealed = 0;
        for store_name in schema::SEALED_STORES {
            let store = tx.store(store_name)?;
            let rows = store.get_all(None, None).await?;
            for row in rows {
                if reseal_row(&keyed, store_name, &row)? {
                    store.put(&row, None).await?;
                    resealed += 1;
                }
            }
        }
        tx.store(schema::LOCK)?.put(&lock_row, None).await?;
        commit(tx).await?;
        self.seal.set_key(key);
        Ok(resealed)
    }

    /// Erases every value on this device (all stores, the lock record included) in one transaction:
    /// effective at once for every tab, even if deleting the database itself has to wait for
    /// another tab to close its connection.
    pub async fn erase_everything(&self) -> Result<(), StorageError> {
        let stores = schema::ALL_STORES;
        let tx = self.db.transaction(&stores, TransactionMode::ReadWrite)?;
        for name in &stores {
            tx.store(name)?.clear().await?;
        }
        commit(tx).await?;
        self.seal.forget();
        Ok(())
    }
}

/// Re-seals one pre-lock row in place; `false` when there is nothing to do.
fn reseal_row(keyed: &Seal, store_name: &str, row: &JsValue) -> Result<bool, StorageError> {
    let field = if store_name == schema::META {
        "value"
    } else {
        "bytes"
    };
    let plain = match js::get_bytes(row, field) {
        Some(bytes) if bytes.first() == Some(&0x01) => match seal::open_plain(&bytes) {
            Ok(plain) => plain,
            // Damaged before the lock: keep the bytes, but sealed, so nothing stays readable.
            Err(_) => bytes,
        },
        Some(_) => return Ok(false), // already keyed
        None if store_name == schema::QUARANTINE => {
            // Pre-lock quarantine rows kept the whole original row (plaintext inside) as `record`;
            // relay set-asides keep a string there (end-to-end ciphertext) and stay as they are.
            let inner = js_sys::Reflect::get(row, &JsValue::from_str("record")).map_err(js_err)?;
            if !inner.is_object() {
                return Ok(false);
            }
            js_sys::Reflect::delete_property(
                row.unchecked_ref::<js_sys::Object>(),
                &JsValue::from_str("record"),
            )
            .map_err(js_err)?;
            js::get_bytes(&inner, "bytes").unwrap_or_default()
        }
        None => return Ok(false),
    };
    let Some(record_key) = super::record_key_of(store_name, row) else {
        return Ok(false);
    };
    let place = Place {
        store: store_name,
        record_key: &record_key,
    };
    let sealed = keyed.seal(place, &plain)?;
    js_sys::Reflect::set(row, &JsValue::from_str(field), &js::bytes_value(&sealed))
        .map_err(js_err)?;
    Ok(true)
}

fn lock_row(record: &LockRecord) -> Result<JsValue, StorageError> {
    let json = record
        .to_json()
        .map_err(|e| StorageError::Failed(e.to_string()))?;
    js::object(&[
        ("key", JsValue::from_str(LOCK_ROW)),
        ("json", JsValue::from_str(&json)),
    ])
    .map_err(js_err)
}
