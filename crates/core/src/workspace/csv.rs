//! Reading a directory from CSV (a 211 export or a spreadsheet): parse the text into a
//! [`Table`], guess which column holds which field ([`guess_mapping`]), then turn the rows into
//! organisations to preview ([`import_preview`]) before importing them as one change
//! ([`ImportPreview::ops`]).
//!
//! Parsing follows RFC 4180 leniently: a UTF-8 byte-order mark is dropped, fields may be quoted
//! (commas, doubled quotes and line breaks inside), lines end in CRLF, LF or CR, blank lines are
//! skipped, and a file that uses `;` or tabs between its header's columns is read with that.

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

use crate::author::Author;
use crate::record::{IsoDate, Stamp};

use super::directory::{Organisation, ServiceType, WorkspaceRecord};
use super::ops::WorkspaceOp;

/// The largest file read (5 MB; a county's 211 export is far smaller).
pub const MAX_CSV_BYTES: usize = 5 * 1024 * 1024;

/// The most rows read, besides the header.
pub const MAX_CSV_ROWS: usize = 10_000;

/// Why a CSV text could not be read. Nothing is imported from such a file.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CsvError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file has column names but no rows.")]
    NoRows,
    #[error("A quoted value that starts on line {line} never ends: a closing \" is missing.")]
    UnterminatedQuote { line: usize },
    #[error("The file is larger than {} MB.", MAX_CSV_BYTES / (1024 * 1024))]
    TooLarge { bytes: usize },
    #[error("The file has more than {MAX_CSV_ROWS} rows.")]
    TooManyRows,
}

/// A parsed CSV file: its header and its non-blank rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The column names, trimmed.
    pub headers: Vec<String>,
    /// The rows after the header, blank lines left out.
    pub rows: Vec<Row>,
}

/// One row of a [`Table`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// The line of the file the row starts on (1 is the first line), for messages.
    pub line: usize,
    /// The row's values, as written (quotes removed, not trimmed).
    pub cells: Vec<String>,
}

/// The separator the header line uses most: a comma unless it has more semicolons or tabs.
fn delimiter(text: &str) -> char {
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let mut counts = [(',', 0usize), (';', 0), ('\t', 0)];
    let mut quoted = false;
    for c in first.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in counts.iter_mut() {
                if c == *d {
                    *n += 1;
                }
            }
        }
    }
    // The first of the most used, so a tie keeps the comma.
    counts
        .iter()
        .fold(
            (',', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

/// Parses CSV text into its header and rows. Fails, producing nothing, on an empty or oversized
/// file or a quote left open.
pub fn parse_csv(text: &str) -> Result<Table, CsvError> {
    if text.len() > MAX_CSV_BYTES {
        return Err(CsvError::TooLarge { bytes: text.len() });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let sep = delimiter(text);
    let mut records: Vec<Row> = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    let mut row = Row {
        line,
        cells: Vec::new(),
    };
    let mut field = String::new();
    // Whether the current field was quoted, and where its quote opened while it is open.
    let mut field_quoted = false;
    let mut open_quote: Option<usize> = None;

    let mut end_row = |row: &mut Row, next_line: usize| -> Result<(), CsvError> {
        let row = std::mem::replace(
            row,
            Row {
                line: next_line,
                cells: Vec::new(),
            },
        );
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        if records.len() > MAX_CSV_ROWS {
            return Err(CsvError::TooManyRows);
        }
        records.push(row);
        Ok(())
    };

    while let Some(c) = chars.next() {
        if open_quote.is_some() {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => open_quote = None,
                '\r' | '\n' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    field.push('\n');
                    line += 1;
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            // A quote opens a field (after any spaces); elsewhere it is just a character.
            '"' if !field_quoted && field.trim().is_empty() => {
                field.clear();
                field_quoted = true;
                open_quote = Some(line);
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                line += 1;
                row.cells.push(std::mem::take(&mut field));
                field_quoted = false;
                end_row(&mut row, line)?;
            }
            c if c == sep => {
                row.cells.push(std::mem::take(&mut field));
                field_quoted = false;
            }
            c => field.push(c),
        }
    }
    if let Some(line) = open_quote {
        return Err(CsvError::UnterminatedQuote { line });
    }
    if !field.is_empty() || field_quoted || !row.cells.is_empty() {
        row.cells.push(field);
        end_row(&mut row, line)?;
    }

    let mut records = records.into_iter();
    let header = records.next().ok_or(CsvError::Empty)?;
    let rows: Vec<Row> = records.collect();
    if rows.is_empty() {
        return Err(CsvError::NoRows);
    }
    Ok(Table {
        headers: header.cells.iter().map(|h| h.trim().to_string()).collect(),
        rows,
    })
}

/// Which column holds which directory field (indices into [`Table::headers`]); `None` when no
/// column does. The UI shows the guess and lets the user correct it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The organisation's name (rows without one are bad rows).
    pub name: Option<usize>,
    /// Service types as text, several split by `;` or `,` ("Food Pantry; Meals").
    pub service_types: Option<usize>,
    /// The area served.
    pub area_served: Option<usize>,
    /// Who qualifies.
    pub eligibility: Option<usize>,
    /// Opening hours.
    pub hours: Option<usize>,
    /// Phone number.
    pub phone: Option<usize>,
    /// The address may be spread over columns (street, city, state, ZIP): joined in this order.
    pub address: Vec<usize>,
    /// Web address.
    pub website: Option<usize>,
    /// Languages, several split by `,`, `;` or `/`.
    pub languages: Option<usize>,
    /// Notes or a description.
    pub notes: Option<usize>,
    /// The day the details were last checked (2026-03-31, 03/31/2026, 3/31/26).
    pub last_verified: Option<usize>,
}

impl ColumnMapping {
    /// Whether a column holds the name, without which no row can be imported.
    pub fn has_name(&self) -> bool {
        self.name.is_some()
    }
}

/// A header reduced to lowercase letters and digits: "Agency Name" and "agency_name" are both
/// "agencyname".
fn compact(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a single-column field lives in a [`ColumnMapping`].
type Field = fn(&mut ColumnMapping) -> &mut Option<usize>;

/// The single-column fields with the (compacted) headers that name them: a header equal to one
/// of the first list is taken first (for every field), then one containing one of the second.
const SINGLE_FIELDS: &[(Field, &[&str], &[&str])] = &[
    (
        |m| &mut m.name,
        &[
            "name",
            "organization",
            "organisation",
            "organizationname",
            "organisationname",
            "agency",
            "agencyname",
            "provider",
            "providername",
            "resourcename",
            "sitename",
            "orgname",
        ],
        &[
            "agencyname",
            "organizationname",
            "organisationname",
            "providername",
            "resourcename",
            "orgname",
        ],
    ),
    (
        |m| &mut m.area_served,
        &[
            "area",
            "areaserved",
            "areasserved",
            "servicearea",
            "serviceareas",
            "county",
            "counties",
            "countiesserved",
            "coverage",
            "coveragearea",
            "region",
        ],
        &["area", "county", "counties", "region"],
    ),
    (
        |m| &mut m.service_types,
        &[
            "service",
            "services",
            "servicetype",
            "servicetypes",
            "servicename",
            "servicesoffered",
            "category",
            "categories",
            "type",
            "taxonomy",
            "taxonomyname",
            "taxonomyterm",
            "taxonomyterms",
        ],
        &["taxonomy", "categor", "servicetype", "service"],
    ),
    (
        |m| &mut m.eligibility,
        &[
            "eligibility",
            "whoqualifies",
            "requirements",
            "eligibilityrequirements",
            "populationserved",
        ],
        &["eligib", "qualif", "requirement"],
    ),
    (
        |m| &mut m.hours,
        &[
            "hours",
            "hoursofoperation",
            "openinghours",
            "businesshours",
            "schedule",
        ],
        &["hours", "schedule"],
    ),
    (
        |m| &mut m.phone,
        &[
            "phone",
            "phonenumber",
            "telephone",
            "tel",
            "mainphone",
            "contactphone",
            "phone1",
        ],
        &["phone"],
    ),
    (
        |m| &mut m.website,
        &[
            "website",
            "web",
            "url",
            "webaddress",
            "websiteurl",
            "homepage",
            "webpage",
        ],
        &["website", "url", "web"],
    ),
    (
        |m| &mut m.languages,
        &[
            "language",
            "languages",
            "languagesspoken",
            "languagesoffered",
        ],
        &["language"],
    ),
    (
        |m| &mut m.notes,
        &[
            "notes",
            "note",
            "description",
            "comments",
            "comment",
            "details",
            "servicedescription",
            "programdescription",
            "about",
        ],
        &["description", "note", "comment"],
    ),
    (
        |m| &mut m.last_verified,
        &[
            "lastverified",
            "verified",
            "verifiedon",
            "dateverified",
            "lastverifieddate",
            "lastupdated",
            "updated",
            "lastreviewed",
        ],
        &["verified", "updated", "reviewed"],
    ),
];

/// Headers that are parts of an address, joined in the file's order.
const ADDRESS_PARTS: &[&str] = &[
    "address",
    "streetaddress",
    "street",
    "address1",
    "address2",
    "addressline1",
    "addressline2",
    "physicaladdress",
    "location",
    "city",
    "town",
    "state",
    "province",
    "zip",
    "zipcode",
    "postalcode",
    "postcode",
];

/// Guesses which column holds which field from common header names ("Agency Name", "Taxonomy",
/// "Phone", "Street"/"City"/"Zip", "Service Area", "Description", "Last Verified", …). Each
/// column is used for at most one field.
pub fn guess_mapping(headers: &[String]) -> ColumnMapping {
    let headers: Vec<String> = headers.iter().map(|h| compact(h)).collect();
    let mut taken = vec![false; headers.len()];
    let mut mapping = ColumnMapping::default();
    let claim = |taken: &mut [bool], matches: &dyn Fn(&str) -> bool| {
        let i = (0..headers.len())
            .find(|&i| !taken[i] && !headers[i].is_empty() && matches(&headers[i]))?;
        taken[i] = true;
        Some(i)
    };
    // Exact names first for every field, so "Service Area" goes to the area before "service"
    // could claim it for the service types.
    for (field, exact, _) in SINGLE_FIELDS {
        if let Some(i) = claim(&mut taken, &|h| exact.contains(&h)) {
            *field(&mut mapping) = Some(i);
        }
    }
    for (i, h) in headers.iter().enumerate() {
        if !taken[i] && ADDRESS_PARTS.contains(&h.as_str()) {
            taken[i] = true;
            mapping.address.push(i);
        }
    }
    for (field, _, partial) in SINGLE_FIELDS {
        if field(&mut mapping).is_none() {
            *field(&mut mapping) = claim(&mut taken, &|h| partial.iter().any(|p| h.contains(p)));
        }
    }
    if mapping.address.is_empty() {
        for (i, h) in headers.iter().enumerate() {
            let looks = (h.contains("address") || h.contains("street"))
                && !h.contains("email")
                && !h.contains("web");
            if !taken[i] && looks {
                taken[i] = true;
                mapping.address.push(i);
            }
        }
    }
    mapping
}

/// Why a row was left out of an import.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BadRowReason {
    #[error("it has no name")]
    MissingName,
    #[error("it has {found} values where the header has {expected} columns")]
    ColumnCount { expected: usize, found: usize },
    #[error("{0:?} is not a date (write 2026-03-31 or 03/31/2026)")]
    BadDate(String),
}

/// A row that cannot be imported, by its line in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    /// The line the row starts on (1 is the header's line in a file without blank lines first).
    pub line: usize,
    /// What is wrong with it.
    pub reason: BadRowReason,
}

/// What an import would add, and the rows it would leave out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportPreview {
    /// The organisations the good rows describe, in file order.
    pub organisations: Vec<Organisation>,
    /// The rows that cannot be imported, in file order.
    pub bad_rows: Vec<BadRow>,
}

impl ImportPreview {
    /// Whether every row could be read. The UI imports nothing from a file that is not clean
    /// unless the user chooses to leave the bad rows out.
    pub fn is_clean(&self) -> bool {
        self.bad_rows.is_empty()
    }

    /// The one operation that imports every good row as a single change; empty when there is
    /// nothing to import.
    pub fn ops(&self) -> Vec<WorkspaceOp> {
        if self.organisations.is_empty() {
            return Vec::new();
        }
        vec![WorkspaceOp::ImportOrganisations {
            organisations: self.organisations.clone(),
        }]
    }

    /// The previewed organisations whose name (ignoring case and spaces) an active organisation
    /// of `record` already has, so the UI can warn before importing the same file twice.
    pub fn already_listed<'a>(&'a self, record: &WorkspaceRecord) -> Vec<&'a Organisation> {
        let key = |name: &str| {
            name.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        let listed: std::collections::BTreeSet<String> =
            record.active().iter().map(|o| key(&o.name)).collect();
        self.organisations
            .iter()
            .filter(|o| listed.contains(&key(&o.name)))
            .collect()
    }
}

/// A day as spreadsheets write it: 2026-03-31, 03/31/2026, 3/31/26 or 2026/03/31, optionally
/// followed by a time.
fn parse_day(text: &str) -> Option<IsoDate> {
    let day = text.split(['T', ' ']).next().unwrap_or_default();
    ["%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%m-%d-%Y", "%m/%d/%y"]
        .iter()
        .filter_map(|f| NaiveDate::parse_from_str(day, f).ok())
        .find(|d| (1900..=2200).contains(&d.year()))
        .map(IsoDate::new)
}

/// The values of a list cell ("English, Spanish; Vietnamese"), trimmed, without repeats.
fn split_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split([',', ';', '/', '|', '\n']) {
        let part = part.trim();
        if !part.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(part)) {
            out.push(part.to_string());
        }
    }
    out
}

/// Turns the table's rows into organisations using `mapping`, each with an id from `new_id` and
/// stamped with `author` at `now_ms`. A row without a name, with more or fewer values than the
/// header has columns (empty values after the last column are allowed), or with an unreadable
/// last-verified date is reported in `bad_rows` instead.
pub fn import_preview(
    table: &Table,
    mapping: &ColumnMapping,
    author: &Author,
    now_ms: i64,
    mut new_id: impl FnMut() -> String,
) -> ImportPreview {
    let mut preview = ImportPreview::default();
    let expected = table.headers.len();
    for row in &table.rows {
        let found = row.cells.len();
        let extra_blank = row.cells.iter().skip(expected).all(|c| c.trim().is_empty());
        let bad = |reason| BadRow {
            line: row.line,
            reason,
        };
        if found < expected || !extra_blank {
            preview
                .bad_rows
                .push(bad(BadRowReason::ColumnCount { expected, found }));
            continue;
        }
        let cell = |i: Option<usize>| {
            i.and_then(|i| row.cells.get(i))
                .map_or("", |c| c.trim())
                .to_string()
        };
        let name = cell(mapping.name);
        if name.is_empty() {
            preview.bad_rows.push(bad(BadRowReason::MissingName));
            continue;
        }
        let verified = cell(mapping.last_verified);
        let last_verified = if verified.is_empty() {
            None
        } else if let Some(day) = parse_day(&verified) {
            Some(day)
        } else {
            preview.bad_rows.push(bad(BadRowReason::BadDate(verified)));
            continue;
        };
        let service_types = ServiceType::recognise_list(&cell(mapping.service_types));
        let sdoh_domain = service_types.iter().find_map(ServiceType::domain);
        let address = mapping
            .address
            .iter()
            .map(|&i| cell(Some(i)))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        preview.organisations.push(Organisation {
            id: new_id(),
            name,
            service_types,
            sdoh_domain,
            area_served: cell(mapping.area_served),
            eligibility: cell(mapping.eligibility),
            hours: cell(mapping.hours),
            phone: cell(mapping.phone),
            address,
            website: cell(mapping.website),
            languages: split_list(&cell(mapping.languages)),
            notes: cell(mapping.notes),
            last_verified,
            recorded: Stamp::new(author, now_ms),
            retired: None,
        });
    }
    preview
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::SdohDomain;

    fn author() -> Author {
        Author {
            user_id: "u1".into(),
            user_name: "Ana".into(),
            device_id: "d1".into(),
        }
    }

    fn cells(table: &Table) -> Vec<Vec<&str>> {
        table
            .rows
            .iter()
            .map(|r| r.cells.iter().map(String::as_str).collect())
            .collect()
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("org{n}")
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let text = "\u{feff}Name,Notes\r\n\"Food, Inc.\",\"Say \"\"hi\"\"\r\nthen wait\"\r\n\r\nPlain,  \"spaced\" \n";
        let table = parse_csv(text).expect("parses");
        assert_eq!(table.headers, ["Name", "Notes"]);
        assert_eq!(
            cells(&table),
            [
                vec!["Food, Inc.", "Say \"hi\"\nthen wait"],
                vec!["Plain", "spaced "]
            ]
        );
        assert_eq!(
            table.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 5]
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn line_endings_blank_lines_and_separators() {
        let lf = parse_csv("a,b\n1,2\n,\n3,4").expect("lf");
        let cr = parse_csv("a,b\r1,2\r\r3,4\r").expect("cr");
        assert_eq!(cells(&lf), [["1", "2"], ["3", "4"]]);
        assert_eq!(cells(&cr), cells(&lf));
        assert_eq!(lf.rows[1].line, 4);
        let semi = parse_csv("Name;Phone\n\"A; B\";555\n").expect("semicolons");
        assert_eq!(cells(&semi), [["A; B", "555"]]);
        let tabs = parse_csv("Name\tPhone\nA, B\t555\n").expect("tabs");
        assert_eq!(cells(&tabs), [["A, B", "555"]]);
        // A quote inside an unquoted value is an ordinary character.
        let inch = parse_csv("Name,Size\nRamp,3\" rise\n").expect("inch");
        assert_eq!(cells(&inch), [["Ramp", "3\" rise"]]);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn unreadable_files_are_errors() {
        assert_eq!(parse_csv(""), Err(CsvError::Empty));
        assert_eq!(parse_csv("\u{feff}\r\n \n"), Err(CsvError::Empty));
        assert_eq!(parse_csv("Name,Phone\n"), Err(CsvError::NoRows));
        assert_eq!(
            parse_csv("Name,Notes\nA,ok\nB,\"open\nand on\n"),
            Err(CsvError::UnterminatedQuote { line: 3 })
        );
        let big = "x".repeat(MAX_CSV_BYTES + 1);
        assert!(matches!(parse_csv(&big), Err(CsvError::TooLarge { .. })));
        let many = format!("Name\n{}", "A\n".repeat(MAX_CSV_ROWS + 1));
        assert_eq!(parse_csv(&many), Err(CsvError::TooManyRows));
        let most = format!("Name\n{}", "A\n".repeat(MAX_CSV_ROWS));
        assert_eq!(parse_csv(&most).map(|t| t.rows.len()), Ok(MAX_CSV_ROWS));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn headers_are_guessed_from_common_names() {
        let headers: Vec<String> = [
            "Agency Name",
            "Taxonomy Term",
            "Service Area",
            "Main Phone",
            "Street",
            "City",
            "ZIP",
            "Website URL",
            "Hours of Operation",
            "Eligibility Requirements",
            "Languages Spoken",
            "Description",
            "Last Verified",
            "Email Address",
        ]
        .map(String::from)
        .to_vec();
        let m = guess_mapping(&headers);
        assert_eq!(
            m,
            ColumnMapping {
                name: Some(0),
                service_types: Some(1),
                area_served: Some(2),
                phone: Some(3),
                address: vec![4, 5, 6],
                website: Some(7),
                hours: Some(8),
                eligibility: Some(9),
                languages: Some(10),
                notes: Some(11),
                last_verified: Some(12),
            }
        );
        let simple: Vec<String> = ["organization", "category", "phone_number", "address", "url"]
            .map(String::from)
            .to_vec();
        let m = guess_mapping(&simple);
        assert_eq!(
            (m.name, m.service_types, m.phone, m.address, m.website),
            (Some(0), Some(1), Some(2), vec![3], Some(4))
        );
        let none = guess_mapping(&["Contact".to_string(), "Fax".to_string()]);
        assert!(!none.has_name());
        assert_eq!(none, ColumnMapping::default());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn rows_become_organisations_and_bad_rows_are_reported() {
        let text = "Name,Service,Phone,City,State,Languages,Last Verified\n\
                    Capital Food Bank,Food Pantry; Meals,555-0100,Austin,TX,\"English, Spanish\",3/31/2026\n\
                    ,Transportation,555-0101,,,,\n\
                    Too,Few\n\
                    RideCare,Transportation,555-0102,,,,soon\n\
                    Legal Aid,Free Legal Help,,,,,2026-01-02T09:00:00\n";
        let table = parse_csv(text).expect("parses");
        let mapping = guess_mapping(&table.headers);
        let preview = import_preview(&table, &mapping, &author(), 42, ids());
        assert!(!preview.is_clean());
        assert_eq!(
            preview.bad_rows,
            [
                BadRow {
                    line: 3,
                    reason: BadRowReason::MissingName
                },
                BadRow {
                    line: 4,
                    reason: BadRowReason::ColumnCount {
                        expected: 7,
                        found: 2
                    }
                },
                BadRow {
                    line: 5,
                    reason: BadRowReason::BadDate("soon".into())
                },
            ]
        );
        let [food, legal] = preview.organisations.as_slice() else {
            panic!("two organisations: {:?}", preview.organisations);
        };
        assert_eq!(food.id, "org1");
        assert_eq!(food.name, "Capital Food Bank");
        assert_eq!(food.service_types, [ServiceType::Food]);
        assert_eq!(food.sdoh_domain, Some(SdohDomain::FoodInsecurity));
        assert_eq!(food.address, "Austin, TX");
        assert_eq!(food.languages, ["English", "Spanish"]);
        assert_eq!(food.last_verified, IsoDate::parse("2026-03-31"));
        assert_eq!(food.recorded, Stamp::new(&author(), 42));
        assert_eq!(legal.service_types, [ServiceType::Legal]);
        assert_eq!(legal.sdoh_domain, None);
        assert_eq!(legal.last_verified, IsoDate::parse("2026-01-02"));
        assert_eq!(
            preview.ops(),
            [WorkspaceOp::ImportOrganisations {
                organisations: preview.organisations.clone()
            }]
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn unknown_services_are_kept_as_written_and_trailing_blanks_allowed() {
        let table = parse_csv("Name,Service\nThrift Shop,Clothing Closet,,\n").expect("parses");
        let preview = import_preview(&table, &guess_mapping(&table.headers), &author(), 0, ids());
        assert!(preview.is_clean());
        assert_eq!(
            preview.organisations[0].service_types,
            [ServiceType::Other("Clothing Closet".into())]
        );
        let empty = ImportPreview::default();
        assert!(empty.is_clean());
        assert!(empty.ops().is_empty());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn dates_in_common_spreadsheet_forms() {
        for (text, want) in [
            ("2026-03-31", Some("2026-03-31")),
            ("03/31/2026", Some("2026-03-31")),
            ("3/31/26", Some("2026-03-31")),
            ("2026/03/31", Some("2026-03-31")),
            ("2026-03-31 10:00", Some("2026-03-31")),
            ("31/03/2026", None),
            ("yesterday", None),
        ] {
            assert_eq!(
                parse_day(text).as_ref().map(IsoDate::as_str),
                want,
                "{text}"
            );
        }
    }
}
