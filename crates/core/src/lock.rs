//! The device lock: keys and rules, no I/O (the app derives keys with WebCrypto and stores records).
//!
//! * A random 256-bit [`DataKey`] seals every value the app stores ([`seal_at_rest`]); it exists only
//!   in memory after unlock and is zeroized when dropped.
//! * The data key is stored wrapped ([`wrap_data_key`]) by a key-encryption key ([`Kek`]) that the app
//!   derives from the PIN with PBKDF2-HMAC-SHA256 under [`Pbkdf2Params`] (≥ 600,000 iterations, OWASP
//!   2023). Changing the PIN re-wraps the data key; stored records are not re-encrypted.
//! * The [`LockRecord`] (parameters, wrapped key, failed attempts) is stored unsealed: it is what
//!   unseals everything else.
//!
//! Both are sealed with `tend_wire::aead` (XChaCha20-Poly1305, random nonce):
//! Wrapped key: `0x01` ‖ nonce (24) ‖ XChaCha20-Poly1305(data key) ‖ tag (16), AAD `"tend/lock/v1"`.
//! Sealed value: `0x02` ‖ nonce (24) ‖ ciphertext ‖ tag (16), AAD `"tend/at-rest/v1"` ‖ u32be len ‖
//! store ‖ u32be len ‖ record key, so a value moved to another store or record does not open.

use serde::{Deserialize, Serialize};
use tend_wire::aead::{self, AeadError, KEY_LEN, OVERHEAD};
use zeroize::{Zeroize, ZeroizeOnDrop};

pub const LOCK_RECORD_VERSION: u32 = 1;
/// OWASP's 2023 minimum for PBKDF2-HMAC-SHA256.
pub const PBKDF2_MIN_ITERATIONS: u32 = 600_000;
pub const SALT_LEN: usize = 16;
/// After this many wrong PINs in a row the device's data is erased.
pub const MAX_FAILED_ATTEMPTS: u32 = 10;
/// The lock screen warns about erasure once this many attempts (or fewer) remain.
pub const WARN_WHEN_REMAINING: u32 = 3;
/// Format byte of a value sealed with the data key (0x01 is the unkeyed checksum frame).
pub const AT_REST_FORMAT: u8 = 0x02;
pub const MIN_PIN_CHARS: usize = 6;
/// Auto-lock choices offered in settings, in minutes.
pub const AUTO_LOCK_MINUTES: [u32; 6] = [1, 2, 5, 10, 15, 30];
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 5;

const WRAP_FORMAT: u8 = 0x01;
const WRAP_AAD: &[u8] = b"tend/lock/v1";
const AT_REST_AAD: &[u8] = b"tend/at-rest/v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// The key derived from the PIN does not open the wrapped data key.
    #[error("wrong PIN")]
    WrongPin,
    #[error("no randomness available: {0}")]
    Random(String),
    #[error("the lock record is not valid: {0}")]
    BadRecord(String),
    #[error("the lock record asks for {0} PBKDF2 iterations, fewer than the minimum {PBKDF2_MIN_ITERATIONS}")]
    WeakKdf(u32),
    /// Wrong key, tampered bytes, or a value presented for another store or record.
    #[error("the stored value does not open with this device's key (damaged or moved)")]
    Damaged,
    #[error("unknown stored value format {0:#04x}")]
    UnknownFormat(u8),
    #[error("encryption failed")]
    Encrypt,
}

fn random<const N: usize>() -> Result<[u8; N], LockError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| LockError::Random(e.to_string()))?;
    Ok(b)
}

/// The key that seals every stored value. Zeroized on drop; Debug never shows it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; KEY_LEN]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn generate() -> Result<Self, LockError> {
        Ok(DataKey(random()?))
    }

    /// A fixed key, for tests and benchmarks only: real keys come from [`DataKey::generate`].
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        DataKey(bytes)
    }
}

/// The key-encryption key derived from the PIN. Zeroized on drop; Debug never shows it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Kek([u8; KEY_LEN]);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

impl Kek {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Kek(bytes)
    }

    /// From derived bits of unknown length (WebCrypto returns an ArrayBuffer).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, LockError> {
        let arr: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| LockError::BadRecord(format!("derived key has {} bytes", bytes.len())))?;
        Ok(Kek(arr))
    }
}

/// How the KEK is derived from the PIN: PBKDF2-HMAC-SHA256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pbkdf2Params {
    pub iterations: u32,
    pub salt: Vec<u8>,
}

impl Pbkdf2Params {
    /// Fresh parameters: the minimum iteration count and a random salt.
    pub fn generate() -> Result<Self, LockError> {
        Ok(Pbkdf2Params {
            iterations: PBKDF2_MIN_ITERATIONS,
            salt: random::<SALT_LEN>()?.to_vec(),
        })
    }

    /// Refuses parameters weaker than the minimum (a tampered record must not lower the cost).
    pub fn check(&self) -> Result<(), LockError> {
        if self.iterations < PBKDF2_MIN_ITERATIONS {
            return Err(LockError::WeakKdf(self.iterations));
        }
        if self.salt.len() != SALT_LEN {
            return Err(LockError::BadRecord(format!(
                "salt has {} bytes, expected {SALT_LEN}",
                self.salt.len()
            )));
        }
        Ok(())
    }
}

/// What the device stores, unsealed, to unlock: KDF parameters, the wrapped data key and the count of
/// wrong PINs in a row (persisted BEFORE a PIN is checked, so closing the tab cannot reset it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    pub version: u32,
    pub kdf: Pbkdf2Params,
    pub wrapped_key: Vec<u8>,
    pub failed_attempts: u32,
}

impl LockRecord {
    pub fn new(kdf: Pbkdf2Params, kek: &Kek, key: &DataKey) -> Result<Self, LockError> {
        Ok(LockRecord {
            version: LOCK_RECORD_VERSION,
            kdf,
            wrapped_key: wrap_data_key(kek, key)?,
            failed_attempts: 0,
        })
    }

    pub fn to_json(&self) -> Result<String, LockError> {
        serde_json::to_string(self).map_err(|e| LockError::BadRecord(e.to_string()))
    }

    /// Reads a stored record; refuses unknown versions and weak KDF parameters.
    pub fn from_json(json: &str) -> Result<Self, LockError> {
        let record: LockRecord =
            serde_json::from_str(json).map_err(|e| LockError::BadRecord(e.to_string()))?;
        if record.version != LOCK_RECORD_VERSION {
            return Err(LockError::BadRecord(format!(
                "unknown version {}",
                record.version
            )));
        }
        record.kdf.check()?;
        Ok(record)
    }

    /// Attempts left before the data is erased.
    pub fn remaining_attempts(&self) -> u32 {
        MAX_FAILED_ATTEMPTS.saturating_sub(self.failed_attempts)
    }
}

/// Wraps the data key under the KEK (random nonce).
pub fn wrap_data_key(kek: &Kek, key: &DataKey) -> Result<Vec<u8>, LockError> {
    aead::seal(&kek.0, WRAP_FORMAT, WRAP_AAD, &key.0).map_err(sealing)
}

fn sealing(e: AeadError) -> LockError {
    match e {
        AeadError::Random(m) => LockError::Random(m),
        _ => LockError::Encrypt,
    }
}

/// Unwraps the data key; any failure to open (wrong PIN, tampered record) is [`LockError::WrongPin`]
/// — the two cannot be told apart, and neither may unlock.
pub fn unwrap_data_key(kek: &Kek, wrapped: &[u8]) -> Result<DataKey, LockError> {
    if wrapped.len() != OVERHEAD + KEY_LEN {
        return Err(LockError::WrongPin);
    }
    let mut plain =
        aead::open(&kek.0, WRAP_FORMAT, WRAP_AAD, wrapped).map_err(|_| LockError::WrongPin)?;
    let key: Result<[u8; KEY_LEN], _> = plain.as_slice().try_into();
    plain.zeroize();
    key.map(DataKey).map_err(|_| LockError::WrongPin)
}

/// Where a sealed value lives: its object store and (where the caller has it) its record key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place<'a> {
    pub store: &'a str,
    pub record_key: &'a str,
}

fn at_rest_aad(place: Place<'_>) -> Vec<u8> {
    let mut a =
        Vec::with_capacity(AT_REST_AAD.len() + 8 + place.store.len() + place.record_key.len());
    a.extend_from_slice(AT_REST_AAD);
    // u32 lengths: record keys are ours, but never truncate one silently.
    a.extend_from_slice(&(place.store.len() as u32).to_be_bytes());
    a.extend_from_slice(place.store.as_bytes());
    a.extend_from_slice(&(place.record_key.len() as u32).to_be_bytes());
    a.extend_from_slice(place.record_key.as_bytes());
    a
}

/// Seals a value for storage at `place` (random nonce).
pub fn seal_at_rest(
    key: &DataKey,
    place: Place<'_>,
    plaintext: &[u8],
) -> Result<Vec<u8>, LockError> {
    aead::seal(&key.0, AT_REST_FORMAT, &at_rest_aad(place), plaintext).map_err(sealing)
}

/// Opens a value sealed for `place`. Never panics on any bytes.
pub fn open_at_rest(key: &DataKey, place: Place<'_>, sealed: &[u8]) -> Result<Vec<u8>, LockError> {
    aead::open(&key.0, AT_REST_FORMAT, &at_rest_aad(place), sealed).map_err(|e| match e {
        AeadError::Format(f) => LockError::UnknownFormat(f),
        _ => LockError::Damaged,
    })
}

/// What happens after one more wrong PIN (`failed_attempts` already counts it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailedAttempt {
    /// Try again; `warn` = say that the data will be erased after `remaining` more wrong PINs.
    TryAgain { remaining: u32, warn: bool },
    /// The limit is reached: erase this device's data.
    Wipe,
}

pub fn after_failed_attempt(failed_attempts: u32) -> FailedAttempt {
    let remaining = MAX_FAILED_ATTEMPTS.saturating_sub(failed_attempts);
    if remaining == 0 {
        FailedAttempt::Wipe
    } else {
        FailedAttempt::TryAgain {
            remaining,
            warn: remaining <= WARN_WHEN_REMAINING,
        }
    }
}

/// Why a new PIN is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinProblem {
    #[error("Use at least {MIN_PIN_CHARS} characters.")]
    TooShort,
    #[error("Do not repeat one character (like 111111).")]
    AllSame,
    #[error("Do not use a straight run (like 123456 or 654321).")]
    Run,
    #[error("The two new PINs are not the same.")]
    Mismatch,
}

/// Checks a new PIN or passphrase (and its repetition).
pub fn check_new_pin(pin: &str, repeated: &str) -> Result<(), PinProblem> {
    let chars: Vec<char> = pin.chars().collect();
    if chars.len() < MIN_PIN_CHARS {
        return Err(PinProblem::TooShort);
    }
    if chars.iter().all(|c| *c == chars[0]) {
        return Err(PinProblem::AllSame);
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| w[1] as i64 - w[0] as i64)
        .collect();
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return Err(PinProblem::Run);
    }
    if pin != repeated {
        return Err(PinProblem::Mismatch);
    }
    Ok(())
}

/// Whether the app should lock now: idle for at least `idle_ms`. A clock that went backwards
/// (`now < last`) is not idle time.
pub fn should_lock(last_activity_ms: f64, now_ms: f64, idle_ms: f64) -> bool {
    now_ms - last_activity_ms >= idle_ms
}

/// The stored auto-lock setting, falling back to the default for anything not offered.
pub fn auto_lock_minutes(stored: Option<&str>) -> u32 {
    stored
        .and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|m| AUTO_LOCK_MINUTES.contains(m))
        .unwrap_or(DEFAULT_AUTO_LOCK_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PLACE: Place<'static> = Place {
        store: "chunks",
        record_key: "doc-1",
    };

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn wrap_unwrap_round_trip_and_wrong_kek() {
        let key = DataKey::generate().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        let wrapped = wrap_data_key(&kek, &key).unwrap();
        assert_eq!(wrapped.len(), OVERHEAD + KEY_LEN);
        assert_eq!(unwrap_data_key(&kek, &wrapped).unwrap(), key);
        assert_eq!(
            unwrap_data_key(&Kek::from_bytes([2; 32]), &wrapped),
            Err(LockError::WrongPin)
        );
        // The key's bytes do not appear in the wrapped form or in Debug output.
        assert!(!wrapped.windows(32).any(|w| w == key.0));
        assert_eq!(format!("{key:?} {kek:?}"), "DataKey(..) Kek(..)");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn tampered_or_truncated_wrap_fails() {
        let key = DataKey::generate().unwrap();
        let kek = Kek::from_bytes([1; 32]);
        let wrapped = wrap_data_key(&kek, &key).unwrap();
        for i in 0..wrapped.len() {
            let mut t = wrapped.clone();
            t[i] ^= 0x40;
            assert_eq!(
                unwrap_data_key(&kek, &t),
                Err(LockError::WrongPin),
                "byte {i}"
            );
        }
        for n in 0..wrapped.len() {
            assert!(unwrap_data_key(&kek, &wrapped[..n]).is_err());
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn lock_record_round_trip_and_refuses_weak_kdf() {
        let key = DataKey::generate().unwrap();
        let kek = Kek::from_bytes([3; 32]);
        let record = LockRecord::new(Pbkdf2Params::generate().unwrap(), &kek, &key).unwrap();
        let json = record.to_json().unwrap();
        let back = LockRecord::from_json(&json).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.remaining_attempts(), MAX_FAILED_ATTEMPTS);
        assert_eq!(unwrap_data_key(&kek, &back.wrapped_key).unwrap(), key);

        let mut weak = record.clone();
        weak.kdf.iterations = PBKDF2_MIN_ITERATIONS - 1;
        assert_eq!(
            LockRecord::from_json(&weak.to_json().unwrap()),
            Err(LockError::WeakKdf(PBKDF2_MIN_ITERATIONS - 1))
        );
        let mut short_salt = record.clone();
        short_salt.kdf.salt.truncate(8);
        assert!(LockRecord::from_json(&short_salt.to_json().unwrap()).is_err());
        let mut future = record;
        future.version = 2;
        assert!(LockRecord::from_json(&future.to_json().unwrap()).is_err());
        assert!(LockRecord::from_json("not json").is_err());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn at_rest_binds_store_and_record_key() {
        let key = DataKey::from_bytes([9; 32]);
        let sealed = seal_at_rest(&key, PLACE, b"Ada Lovelace").unwrap();
        assert_eq!(sealed[0], AT_REST_FORMAT);
        assert_eq!(open_at_rest(&key, PLACE, &sealed).unwrap(), b"Ada Lovelace");
        let other_store = Place {
            store: "snapshots",
            ..PLACE
        };
        let other_record = Place {
            record_key: "doc-2",
            ..PLACE
        };
        assert_eq!(
            open_at_rest(&key, other_store, &sealed),
            Err(LockError::Damaged)
        );
        assert_eq!(
            open_at_rest(&key, other_record, &sealed),
            Err(LockError::Damaged)
        );
        // Length prefixes: ("ab","c") and ("a","bc") are different places.
        let ab = seal_at_rest(
            &key,
            Place {
                store: "ab",
                record_key: "c",
            },
            b"x",
        )
        .unwrap();
        assert!(open_at_rest(
            &key,
            Place {
                store: "a",
                record_key: "bc"
            },
            &ab
        )
        .is_err());
        assert_eq!(
            open_at_rest(&key, PLACE, &[0x01, 1, 2, 3]),
            Err(LockError::UnknownFormat(0x01))
        );
        assert_eq!(open_at_rest(&key, PLACE, &[]), Err(LockError::Damaged));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
        fn at_rest_round_trip_and_wrong_key(
            plain in proptest::collection::vec(any::<u8>(), 0..2048),
            k1 in any::<[u8; 32]>(),
            k2 in any::<[u8; 32]>(),
            store in "[a-z_]{1,12}",
            record_key in "[a-z0-9:-]{0,40}",
            flip in any::<prop::sample::Index>(),
        ) {
            let key = DataKey::from_bytes(k1);
            let place = Place { store: &store, record_key: &record_key };
            let sealed = seal_at_rest(&key, place, &plain).unwrap();
            prop_assert_eq!(sealed.len(), plain.len() + OVERHEAD);
            prop_assert_eq!(open_at_rest(&key, place, &sealed).unwrap(), plain.clone());
            if k1 != k2 {
                prop_assert!(open_at_rest(&DataKey::from_bytes(k2), place, &sealed).is_err());
            }
            let mut tampered = sealed.clone();
            let i = flip.index(tampered.len());
            tampered[i] ^= 0x01;
            prop_assert!(open_at_rest(&key, place, &tampered).is_err());
            let moved = format!("{record_key}x");
            let moved_place = Place { store: &store, record_key: &moved };
            prop_assert!(open_at_rest(&key, moved_place, &sealed).is_err());
        }

        #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
        fn open_at_rest_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = open_at_rest(&DataKey::from_bytes([5; 32]), PLACE, &bytes);
            let _ = unwrap_data_key(&Kek::from_bytes([5; 32]), &bytes);
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn attempts_policy() {
        for failed in 1..=6 {
            assert_eq!(
                after_failed_attempt(failed),
                FailedAttempt::TryAgain {
                    remaining: 10 - failed,
                    warn: false
                }
            );
        }
        assert_eq!(
            after_failed_attempt(7),
            FailedAttempt::TryAgain {
                remaining: 3,
                warn: true
            }
        );
        assert_eq!(
            after_failed_attempt(9),
            FailedAttempt::TryAgain {
                remaining: 1,
                warn: true
            }
        );
        assert_eq!(after_failed_attempt(10), FailedAttempt::Wipe);
        assert_eq!(after_failed_attempt(u32::MAX), FailedAttempt::Wipe);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn pin_rules() {
        assert_eq!(check_new_pin("48291", "48291"), Err(PinProblem::TooShort));
        assert_eq!(check_new_pin("111111", "111111"), Err(PinProblem::AllSame));
        assert_eq!(check_new_pin("123456", "123456"), Err(PinProblem::Run));
        assert_eq!(check_new_pin("654321", "654321"), Err(PinProblem::Run));
        assert_eq!(check_new_pin("abcdefg", "abcdefg"), Err(PinProblem::Run));
        assert_eq!(check_new_pin("482915", "482916"), Err(PinProblem::Mismatch));
        assert_eq!(check_new_pin("482915", "482915"), Ok(()));
        assert_eq!(check_new_pin("123457", "123457"), Ok(()));
        assert_eq!(check_new_pin("correct horse", "correct horse"), Ok(()));
        // Characters, not bytes: five accented letters are too short.
        assert_eq!(check_new_pin("éàüöç", "éàüöç"), Err(PinProblem::TooShort));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn idle_policy_and_setting() {
        let five_min = 5.0 * 60_000.0;
        assert!(!should_lock(1_000.0, 1_000.0 + five_min - 1.0, five_min));
        assert!(should_lock(1_000.0, 1_000.0 + five_min, five_min));
        assert!(!should_lock(10_000.0, 5_000.0, five_min));
        assert_eq!(auto_lock_minutes(None), DEFAULT_AUTO_LOCK_MINUTES);
        assert_eq!(auto_lock_minutes(Some("15")), 15);
        assert_eq!(auto_lock_minutes(Some("7")), DEFAULT_AUTO_LOCK_MINUTES);
        assert_eq!(auto_lock_minutes(Some("x")), DEFAULT_AUTO_LOCK_MINUTES);
    }
}
