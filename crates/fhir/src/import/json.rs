//! Careful reading of a resource's JSON: every accessor checks the JSON type of the element it
//! reads and says where it is wrong (a [`FhirError::Malformed`]), never panics, never indexes
//! blindly. Absent, `null` and empty-string values read as absent.

use serde_json::Value;
use tend_core::record::IsoDate;

use crate::codes;
use crate::error::FhirError;

pub(super) type Res<T> = Result<T, FhirError>;

/// One `Coding`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Coding {
    pub(super) system: String,
    pub(super) code: String,
    pub(super) display: String,
}

/// One `CodeableConcept`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Concept {
    pub(super) text: String,
    pub(super) codings: Vec<Coding>,
}

impl Concept {
    /// What a person reads: the text, else the first display, else the first code.
    pub(super) fn label(&self) -> String {
        if !self.text.is_empty() {
            return self.text.clone();
        }
        self.codings
            .iter()
            .find(|c| !c.display.is_empty())
            .map(|c| c.display.clone())
            .or_else(|| {
                self.codings
                    .iter()
                    .find(|c| !c.code.is_empty())
                    .map(|c| c.code.clone())
            })
            .unwrap_or_default()
    }

    /// The code of the first coding in `system`.
    pub(super) fn code_in(&self, system: &str) -> Option<&str> {
        self.codings
            .iter()
            .find(|c| c.system == system && !c.code.is_empty())
            .map(|c| c.code.as_str())
    }

    /// The first code of any coding (for status concepts whose system varies).
    pub(super) fn any_code(&self) -> Option<&str> {
        self.codings
            .iter()
            .find(|c| !c.code.is_empty())
            .map(|c| c.code.as_str())
    }

    pub(super) fn has_code(&self, system: &str, code: &str) -> bool {
        self.codings
            .iter()
            .any(|c| c.system == system && c.code == code)
    }
}

/// One `Reference`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Reference {
    pub(super) reference: String,
    pub(super) display: String,
    /// A logical reference's identifier value.
    pub(super) identifier_value: String,
}

/// A JSON node of a resource, with where it is (for error messages).
#[derive(Clone, Debug)]
pub(super) struct Node<'a> {
    pub(super) v: &'a Value,
    /// The entry, as the error names it: "entry 3 (Condition)".
    entry: &'a str,
    /// The element path: "Condition.code".
    path: String,
}

impl<'a> Node<'a> {
    pub(super) fn new(v: &'a Value, entry: &'a str, path: impl Into<String>) -> Self {
        Node {
            v,
            entry,
            path: path.into(),
        }
    }

    fn child(&self, v: &'a Value, name: &str) -> Node<'a> {
        Node {
            v,
            entry: self.entry,
            path: format!("{}.{name}", self.path),
        }
    }

    pub(super) fn malformed(&self, problem: impl Into<String>) -> FhirError {
        FhirError::Malformed {
            where_: self.entry.to_string(),
            problem: problem.into(),
        }
    }

    fn bad(&self, field: &str, what: &str) -> FhirError {
        self.malformed(format!("{}.{field} is not {what}", self.path))
    }

    /// The element's raw value (absent and `null` are `None`).
    pub(super) fn raw(&self, field: &str) -> Option<&'a Value> {
        self.v.get(field).filter(|v| !v.is_null())
    }

    /// A string element, trimmed; empty reads as absent.
    pub(super) fn str(&self, field: &str) -> Res<Option<&'a str>> {
        match self.raw(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
            Some(_) => Err(self.bad(field, "a string")),
        }
    }

    /// A string element, or "" when absent.
    pub(super) fn text(&self, field: &str) -> Res<String> {
        Ok(self.str(field)?.unwrap_or("").to_string())
    }

    pub(super) fn bool(&self, field: &str) -> Res<Option<bool>> {
        match self.raw(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.bad(field, "true or false")),
        }
    }

    /// An integer element (a JSON number without a fraction).
    pub(super) fn int(&self, field: &str) -> Res<Option<i64>> {
        match self.raw(field) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None => Err(self.bad(field, "an integer")),
            },
            Some(_) => Err(self.bad(field, "an integer")),
        }
    }

    /// A decimal element.
    pub(super) fn number(&self, field: &str) -> Res<Option<f64>> {
        match self.raw(field) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f.is_finite() => Ok(Some(f)),
                _ => Err(self.bad(field, "a number")),
            },
            Some(_) => Err(self.bad(field, "a number")),
        }
    }

    /// An object element.
    pub(super) fn obj(&self, field: &str) -> Res<Option<Node<'a>>> {
        match self.raw(field) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(self.child(v, field))),
            Some(_) => Err(self.bad(field, "an object")),
        }
    }

    /// A list element's items (absent: none).
    pub(super) fn list(&self, field: &str) -> Res<Vec<Node<'a>>> {
        match self.raw(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| self.child(v, &format!("{field}[{i}]")))
                .collect()),
            Some(_) => Err(self.bad(field, "a list")),
        }
    }

    /// A list of objects.
    pub(super) fn objs(&self, field: &str) -> Res<Vec<Node<'a>>> {
        let items = self.list(field)?;
        for (i, item) in items.iter().enumerate() {
            if !item.v.is_object() {
                return Err(self.bad(&format!("{field}[{i}]"), "an object"));
            }
        }
        Ok(items)
    }

    /// The first object of a list.
    pub(super) fn first(&self, field: &str) -> Res<Option<Node<'a>>> {
        Ok(self.objs(field)?.into_iter().next())
    }

    /// A list of strings (empty ones left out).
    pub(super) fn strs(&self, field: &str) -> Res<Vec<&'a str>> {
        let mut out = Vec::new();
        for (i, item) in self.list(field)?.iter().enumerate() {
            match item.v {
                Value::String(s) if !s.trim().is_empty() => out.push(s.trim()),
                Value::String(_) | Value::Null => {}
                _ => return Err(self.bad(&format!("{field}[{i}]"), "a string")),
            }
        }
        Ok(out)
    }

    /// This node read as a `Coding`.
    pub(super) fn as_coding(&self) -> Res<Coding> {
        Ok(Coding {
            system: self.text("system")?,
            code: self.text("code")?,
            display: self.text("display")?,
        })
    }

    /// A `Coding` element.
    pub(super) fn coding(&self, field: &str) -> Res<Option<Coding>> {
        self.obj(field)?.map(|n| n.as_coding()).transpose()
    }

    /// This node read as a `CodeableConcept`.
    pub(super) fn as_concept(&self) -> Res<Concept> {
        let mut codings = Vec::new();
        for c in self.objs("coding")? {
            codings.push(c.as_coding()?);
        }
        Ok(Concept {
            text: self.text("text")?,
            codings,
        })
    }

    /// A `CodeableConcept` element.
    pub(super) fn concept(&self, field: &str) -> Res<Option<Concept>> {
        self.obj(field)?.map(|n| n.as_concept()).transpose()
    }

    /// A list of `CodeableConcept`s.
    pub(super) fn concepts(&self, field: &str) -> Res<Vec<Concept>> {
        self.objs(field)?.iter().map(|n| n.as_concept()).collect()
    }

    /// The label of the first concept of a list ("" when none).
    pub(super) fn first_concept_label(&self, field: &str) -> Res<String> {
        Ok(self
            .concepts(field)?
            .iter()
            .map(Concept::label)
            .find(|l| !l.is_empty())
            .unwrap_or_default())
    }

    /// This node read as a `Reference`.
    pub(super) fn as_reference(&self) -> Res<Reference> {
        let identifier_value = match self.obj("identifier")? {
            Some(i) => i.text("value")?,
            None => String::new(),
        };
        Ok(Reference {
            reference: self.text("reference")?,
            display: self.text("display")?,
            identifier_value,
        })
    }

    /// A `Reference` element.
    pub(super) fn reference(&self, field: &str) -> Res<Option<Reference>> {
        self.obj(field)?.map(|n| n.as_reference()).transpose()
    }

    /// A list of `Reference`s.
    pub(super) fn references(&self, field: &str) -> Res<Vec<Reference>> {
        self.objs(field)?.iter().map(|n| n.as_reference()).collect()
    }

    /// A `date` or `dateTime` element as a day; a partial date ("1948", "1948-03") or an odd
    /// string reads as absent (it is a value Tend cannot store, not a broken file).
    pub(super) fn date(&self, field: &str) -> Res<Option<IsoDate>> {
        Ok(self.str(field)?.and_then(day_of))
    }

    /// A `Period` element's start and end days.
    pub(super) fn period(&self, field: &str) -> Res<(Option<IsoDate>, Option<IsoDate>)> {
        match self.obj(field)? {
            Some(p) => Ok((p.date("start")?, p.date("end")?)),
            None => Ok((None, None)),
        }
    }

    /// The extension with `url` (on this node).
    pub(super) fn extension(&self, url: &str) -> Res<Option<Node<'a>>> {
        for ext in self.objs("extension")? {
            if ext.str("url")? == Some(url) {
                return Ok(Some(ext));
            }
        }
        Ok(None)
    }

    /// A string-valued extension (`valueString`, `valueCode`, `valueUri`, `valueMarkdown`);
    /// `url` is a full URL, or a Tend extension's name.
    pub(super) fn ext_str(&self, url: &str) -> Res<Option<&'a str>> {
        let Some(ext) = self.extension(&ext_url(url))? else {
            return Ok(None);
        };
        for field in ["valueString", "valueCode", "valueUri", "valueMarkdown"] {
            if let Some(s) = ext.str(field)? {
                return Ok(Some(s));
            }
        }
        Ok(None)
    }

    pub(super) fn ext_bool(&self, url: &str) -> Res<Option<bool>> {
        match self.extension(&ext_url(url))? {
            Some(ext) => ext.bool("valueBoolean"),
            None => Ok(None),
        }
    }

    pub(super) fn ext_date(&self, url: &str) -> Res<Option<IsoDate>> {
        let Some(ext) = self.extension(&ext_url(url))? else {
            return Ok(None);
        };
        match ext.date("valueDate")? {
            Some(d) => Ok(Some(d)),
            None => ext.date("valueDateTime"),
        }
    }

    /// The Tend kind of a resource (`meta.tag` in `urn:tend:kind`).
    pub(super) fn tend_kind(&self) -> Res<Option<String>> {
        let Some(meta) = self.obj("meta")? else {
            return Ok(None);
        };
        for tag in meta.objs("tag")? {
            let c = tag.as_coding()?;
            if c.system == codes::TEND_KIND && !c.code.is_empty() {
                return Ok(Some(c.code));
            }
        }
        Ok(None)
    }

    /// The Tend item id a resource carries (`identifier` in `urn:tend:item`), when it is one Tend
    /// can use as an id.
    pub(super) fn tend_item_id(&self) -> Res<Option<String>> {
        for ident in self.objs("identifier")? {
            if ident.str("system")? == Some(codes::TEND_ITEM) {
                if let Some(v) = ident.str("value")? {
                    if usable_id(v) {
                        return Ok(Some(v.to_string()));
                    }
                }
            }
        }
        Ok(None)
    }
}

/// A Tend extension's full URL from its name (a full URL is kept).
fn ext_url(url: &str) -> String {
    if url.contains(':') {
        url.to_string()
    } else {
        codes::tend_ext(url)
    }
}

/// The day of a `date`/`dateTime` string ("2026-11-20T14:32:00-08:00" is 2026-11-20: the day as
/// written where it happened).
pub(super) fn day_of(s: &str) -> Option<IsoDate> {
    let s = s.trim();
    let day = s.get(..10)?;
    if s.len() > 10 && !s[10..].starts_with('T') {
        return None;
    }
    IsoDate::parse(day)
}

/// An id core accepts for an item (see `check_id` in core's apply.rs).
pub(super) fn usable_id(id: &str) -> bool {
    !id.trim().is_empty() && id.len() <= 100 && !id.contains('/') && id.trim() == id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_from_dates_and_date_times_only() {
        assert_eq!(day_of("2026-11-20").map(|d| d.0), Some("2026-11-20".into()));
        assert_eq!(
            day_of("2026-11-20T14:32:00-08:00").map(|d| d.0),
            Some("2026-11-20".into())
        );
        assert_eq!(day_of("1948"), None);
        assert_eq!(day_of("1948-03"), None);
        assert_eq!(day_of("2026-02-30"), None);
        assert_eq!(day_of("2026-11-20xyz"), None);
        assert_eq!(day_of("ééééééééééé"), None);
    }

    #[test]
    fn wrong_types_are_reported_with_their_place() {
        let v: Value = serde_json::json!({"code": "E11.9", "note": [1], "onsetDateTime": 5});
        let n = Node::new(&v, "entry 3 (Condition)", "Condition");
        let Err(FhirError::Malformed { where_, problem }) = n.concept("code") else {
            panic!("a string code is malformed");
        };
        assert_eq!(where_, "entry 3 (Condition)");
        assert_eq!(problem, "Condition.code is not an object");
        assert!(n.objs("note").is_err());
        assert!(n.date("onsetDateTime").is_err());
        assert_eq!(n.concept("absent"), Ok(None));
    }
}
