use serde::{Deserialize, Serialize};

/// Who makes a change: the signed-in care manager on one device. Every change carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub user_id: String,
    pub user_name: String,
    pub device_id: String,
}

/// What a change says about itself, stored as the Automerge change message (JSON) so per-field
/// history can be shown offline from the document alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeMeta {
    /// The typed operation, e.g. "create_patient", "add_goal".
    pub op: String,
    pub user_id: String,
    pub user_name: String,
    pub device_id: String,
}

impl ChangeMeta {
    pub fn new(op: &str, author: &Author) -> Self {
        ChangeMeta {
            op: op.to_string(),
            user_id: author.user_id.clone(),
            user_name: author.user_name.clone(),
            device_id: author.device_id.clone(),
        }
    }

    pub fn encode(&self) -> String {
        // Serialising a struct of plain strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Messages written by other tools (or tampered) decode to `None`, not an error.
    pub fn decode(message: &str) -> Option<Self> {
        serde_json::from_str(message).ok()
    }
}

/// The longest name a person may give themselves (it is written into every change they make).
pub const PERSON_NAME_MAX_CHARS: usize = 80;

/// Why a name typed for "who I am" was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("Enter your name, as colleagues know you.")]
    Missing,
    #[error("Use at most {PERSON_NAME_MAX_CHARS} characters for your name.")]
    TooLong,
    #[error("A name cannot contain control characters.")]
    ControlCharacter,
}

/// A person's name as typed: trimmed, inner runs of whitespace made one space, and checked.
pub fn person_name(input: &str) -> Result<String, PersonNameError> {
    if input.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(PersonNameError::ControlCharacter);
    }
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(PersonNameError::Missing);
    }
    if name.chars().count() > PERSON_NAME_MAX_CHARS {
        return Err(PersonNameError::TooLong);
    }
    Ok(name)
}

#[cfg(test)]
mod person_name_tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn names_are_tidied_and_bad_ones_refused_with_a_reason() {
        assert_eq!(
            person_name("  Ana   María  López "),
            Ok("Ana María López".into())
        );
        assert_eq!(person_name(" \t "), Err(PersonNameError::Missing));
        assert_eq!(
            person_name("Ana\u{0007}"),
            Err(PersonNameError::ControlCharacter)
        );
        let long = "a".repeat(PERSON_NAME_MAX_CHARS + 1);
        assert_eq!(person_name(&long), Err(PersonNameError::TooLong));
        let exact = "é".repeat(PERSON_NAME_MAX_CHARS);
        assert_eq!(
            person_name(&exact),
            Ok(exact.clone()),
            "characters, not bytes"
        );
    }
}
