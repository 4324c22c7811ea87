//! `civicpay import bills`: loads a department's bills (payment requests with a debtor) from a
//! CSV or JSON file. Every row is checked first and every problem is reported at once with its
//! line, field and what was expected; only a clean file is written, in one transaction
//! (all or nothing). Bills whose external reference exists already are skipped, so the same
//! file can be imported again. The format is described in docs/api.md, "Importing bills".

use anyhow::Context as _;
use chrono::NaiveDate;
use civicpay_domain::Sku;
use civicpay_domain::audit::Actor;
use civicpay_money::{Currency, Money, MoneyError};
use civicpay_store::{Debtor, NewPaymentRequest, NewPaymentRequestLine, TenantRecord, TenantScope};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// The CSV columns, in their documented order.
pub const CSV_COLUMNS: [&str; 9] = [
    "external_reference",
    "debtor_kind",
    "debtor_id",
    "description",
    "amount",
    "vat_code",
    "due_date",
    "sku",
    "allow_partial",
];
const CSV_REQUIRED: [&str; 5] = [
    "external_reference",
    "debtor_kind",
    "debtor_id",
    "description",
    "amount",
];
const JSON_BILL_FIELDS: [&str; 6] = [
    "external_reference",
    "debtor",
    "description",
    "due_date",
    "allow_partial",
    "lines",
];
const JSON_DEBTOR_FIELDS: [&str; 2] = ["kind", "id"];
const JSON_LINE_FIELDS: [&str; 5] = ["description", "amount", "quantity", "vat_code", "sku"];
/// The store's limits, checked here so that a file fails before anything is written.
const MAX_TEXT: usize = 500;
const MAX_REFERENCE: usize = 100;
const MAX_QUANTITY: u64 = 10_000;

/// One problem in the file: `line` (1-based; `None` for the whole file), the field, and what
/// was wrong and expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<u64>,
    pub field: String,
    pub message: String,
}

impl Problem {
    fn new(line: Option<u64>, field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            line,
            field: field.into(),
            message: message.into(),
        }
    }

    /// `bills.csv:17: amount: "12,50" is not an amount; …`
    pub fn display<'a>(&'a self, file: &'a Path) -> impl fmt::Display + 'a {
        struct Shown<'a>(&'a Problem, &'a Path);
        impl fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.1.display())?;
                if let Some(line) = self.0.line {
                    write!(f, ":{line}")?;
                }
                if !self.0.field.is_empty() {
                    write!(f, ": {}", self.0.field)?;
                }
                write!(f, ": {}", self.0.message)
            }
        }
        Shown(self, file)
    }
}

/// A checked bill and the line it starts on.
#[derive(Debug, Clone)]
pub struct Bill {
    pub line: u64,
    pub request: NewPaymentRequest,
    /// The bill's total (gross), in minor units.
    pub total_minor: i64,
}

/// What a file is checked against: the council's currency and VAT codes.
#[derive(Debug, Clone)]
pub struct Rules {
    pub currency: Currency,
    pub vat_codes: Vec<String>,
    /// Used when a bill names no VAT code: the council's one 0 % code, if it has exactly one
    /// (municipal balances are outside VAT).
    pub default_vat_code: Option<String>,
}

impl Rules {
    pub fn for_tenant(tenant: &TenantRecord) -> Self {
        let zero: Vec<&str> = tenant
            .vat_codes
            .iter()
            .filter(|v| v.rate_basis_points == 0)
            .map(|v| v.code.as_str())
            .collect();
        Rules {
            currency: tenant.currency,
            vat_codes: tenant.vat_codes.iter().map(|v| v.code.clone()).collect(),
            default_vat_code: match zero.as_slice() {
                [only] => Some((*only).to_owned()),
                _ => None,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// By extension (`.csv`, `.json`), else by content: JSON starts with `[` or `{`.
pub fn detect_format(path: &Path, text: &str) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        _ if text.trim_start().starts_with(['[', '{']) => Format::Json,
        _ => Format::Csv,
    }
}

/// Reads and checks every bill of a file; either all bills, or every problem.
pub fn parse_bills(path: &Path, bytes: &[u8], rules: &Rules) -> Result<Vec<Bill>, Vec<Problem>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = line_at(bytes, e.valid_up_to());
        vec![Problem::new(
            Some(line),
            "",
            "the file is not UTF-8 text; save it as UTF-8 (in Excel: \"CSV UTF-8\")",
        )]
    })?;
    let bills = match detect_format(path, text) {
        Format::Csv => parse_csv(text, rules)?,
        Format::Json => parse_json(text, rules)?,
    };
    if bills.is_empty() {
        return Err(vec![Problem::new(None, "", "no bills in the file")]);
    }
    Ok(bills)
}

fn line_at(bytes: &[u8], offset: usize) -> u64 {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
}

// ---- CSV ----------------------------------------------------------------------------------

fn parse_csv(text: &str, rules: &Rules) -> Result<Vec<Bill>, Vec<Problem>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(vec![Problem::new(None, "", "the file is empty")]),
        Some(Err(e)) => return Err(vec![csv_problem(&e)]),
        Some(Ok(header)) => header,
    };
    let header_line = header.position().map_or(1, csv::Position::line);
    let columns = csv_header(&header, header_line)?;

    let mut problems = Vec::new();
    let mut bills = Vec::new();
    let mut seen = HashMap::new();
    let mut file_total: i64 = 0;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(csv_problem(&e));
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != columns.len() {
            problems.push(Problem::new(
                Some(line),
                "",
                format!(
                    "the row has {} field(s) but the header has {}; a value with a comma must \
                     be in double quotes",
                    record.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        let get = |name: &str| {
            columns
                .iter()
                .position(|c| c == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
        };
        let mut row = Checker::new(rules, line, String::new(), &mut problems);
        let external_reference = row.reference(get("external_reference"), &mut seen);
        let debtor = row.debtor(
            ("debtor_kind", get("debtor_kind")),
            ("debtor_id", get("debtor_id")),
        );
        let description = row.text("description", get("description"));
        let amount = row.amount("amount", get("amount"));
        let vat_code = row.vat_code("vat_code", optional(get("vat_code")));
        let due_date = row.due_date(optional(get("due_date")));
        let sku = row.sku("sku", optional(get("sku")));
        let allow_partial = row.flag(optional(get("allow_partial")));
        let (
            Some(external_reference),
            Some(debtor),
            Some(description),
            Some(amount),
            Some(vat_code),
            Some(due_date),
            Some(sku),
            Some(allow_partial),
        ) = (
            external_reference,
            debtor,
            description,
            amount,
            vat_code,
            due_date,
            sku,
            allow_partial,
        )
        else {
            continue;
        };
        let line_item = NewPaymentRequestLine {
            sku,
            description: description.clone(),
            quantity: 1,
            unit_price: amount,
            vat_code,
        };
        if let Some(bill) = row.bill(
            NewPaymentRequest {
                external_reference: Some(external_reference),
                description,
                lines: vec![line_item],
                due_date,
                expires_at: None,
                debtor: Some(debtor),
                callback_url: None,
                return_url: None,
                allow_partial,
                capture_later: false,
            },
            &mut file_total,
        ) {
            bills.push(bill);
        }
    }
    if problems.is_empty() {
        Ok(bills)
    } else {
        Err(problems)
    }
}

/// The header's column names (lower case), or every problem with it.
fn csv_header(header: &csv::StringRecord, line: u64) -> Result<Vec<String>, Vec<Problem>> {
    let mut problems = Vec::new();
    let columns: Vec<String> = header.iter().map(str::to_ascii_lowercase).collect();
    let expected = CSV_COLUMNS.join(", ");
    if columns.len() == 1 && columns[0].contains(';') {
        return Err(vec![Problem::new(
            Some(line),
            "",
            format!(
                "the header is separated by semicolons; expected commas: {}",
                CSV_COLUMNS[..5].join(",")
            ),
        )]);
    }
    for (i, name) in columns.iter().enumerate() {
        if !CSV_COLUMNS.contains(&name.as_str()) {
            problems.push(Problem::new(
                Some(line),
                if name.is_empty() { "(empty)" } else { name },
                format!("unknown column; expected the columns {expected}"),
            ));
        } else if columns[..i].contains(name) {
            problems.push(Problem::new(
                Some(line),
                name,
                "the column appears twice; expected it once",
            ));
        }
    }
    for required in CSV_REQUIRED {
        if !columns.iter().any(|c| c == required) {
            problems.push(Problem::new(
                Some(line),
                required,
                format!(
                    "the column is missing; required columns: {}",
                    CSV_REQUIRED.join(", ")
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(problems)
    }
}

fn csv_problem(e: &csv::Error) -> Problem {
    Problem::new(
        e.position().map(csv::Position::line),
        "",
        format!("unreadable CSV: {e}"),
    )
}

fn optional(value: &str) -> Option<&str> {
    if value.is_empty() { None } else { Some(value) }
}

// ---- JSON ---------------------------------------------------------------------------------

fn parse_json(text: &str, rules: &Rules) -> Result<Vec<Bill>, Vec<Problem>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem::new(
            Some(e.line() as u64),
            "",
            format!("invalid JSON: {e}"),
        )]
    })?;
    let Value::Array(items) = value else {
        return Err(vec![Problem::new(
            Some(1),
            "",
            "expected a JSON array of bills: [ { \"external_reference\": …, … }, … ]",
        )]);
    };
    let starts = element_lines(text);
    let mut problems = Vec::new();
    let mut bills = Vec::new();
    let mut seen = HashMap::new();
    let mut file_total: i64 = 0;
    for (index, item) in items.iter().enumerate() {
        let line = starts.get(index).copied().unwrap_or(0);
        let mut row = Checker::new(rules, line, format!("[{index}]."), &mut problems);
        if let Some(bill) = json_bill(&mut row, item, &mut seen, &mut file_total) {
            bills.push(bill);
        }
    }
    if problems.is_empty() {
        Ok(bills)
    } else {
        Err(problems)
    }
}

fn json_bill(
    row: &mut Checker<'_>,
    item: &Value,
    seen: &mut HashMap<String, u64>,
    file_total: &mut i64,
) -> Option<Bill> {
    let Value::Object(obj) = item else {
        row.problem(
            "",
            format!(
                "expected an object {{ \"external_reference\": … }}, found {}",
                kind(item)
            ),
        );
        return None;
    };
    row.known_fields("", obj, &JSON_BILL_FIELDS);
    let external_reference = row
        .json_str(obj, "external_reference")
        .and_then(|r| row.reference(r.unwrap_or(""), seen));
    let debtor = match obj.get("debtor") {
        None | Some(Value::Null) => {
            row.problem("debtor", "required: { \"kind\": …, \"id\": … }");
            None
        }
        Some(Value::Object(d)) => {
            row.known_fields("debtor.", d, &JSON_DEBTOR_FIELDS);
            let kind_text = row.json_str(d, "debtor.kind");
            let id_text = row.json_str(d, "debtor.id");
            match (kind_text, id_text) {
                (Some(k), Some(i)) => row.debtor(
                    ("debtor.kind", k.unwrap_or("")),
                    ("debtor.id", i.unwrap_or("")),
                ),
                _ => None,
            }
        }
        Some(other) => {
            row.problem(
                "debtor",
                format!(
                    "expected an object {{ \"kind\": …, \"id\": … }}, found {}",
                    kind(other)
                ),
            );
            None
        }
    };
    let description = row
        .json_str(obj, "description")
        .and_then(|d| row.text("description", d.unwrap_or("")));
    let due_date = row.json_str(obj, "due_date").and_then(|d| row.due_date(d));
    let allow_partial = match obj.get("allow_partial") {
        None | Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            row.problem(
                "allow_partial",
                format!("expected true or false, found {}", kind(other)),
            );
            None
        }
    };
    let lines = match obj.get("lines") {
        Some(Value::Array(lines)) if !lines.is_empty() => {
            let mut out = Vec::new();
            let mut ok = true;
            for (i, line) in lines.iter().enumerate() {
                match json_line(row, i, line, description.as_deref()) {
                    Some(l) => out.push(l),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        }
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            row.problem(
                "lines",
                "required: at least one line [ { \"amount\": \"12.50\", … } ]",
            );
            None
        }
        Some(other) => {
            row.problem(
                "lines",
                format!("expected an array of lines, found {}", kind(other)),
            );
            None
        }
    };
    let (
        Some(external_reference),
        Some(debtor),
        Some(description),
        Some(due_date),
        Some(allow_partial),
        Some(lines),
    ) = (
        external_reference,
        debtor,
        description,
        due_date,
        allow_partial,
        lines,
    )
    else {
        return None;
    };
    row.bill(
        NewPaymentRequest {
            external_reference: Some(external_reference),
            description,
            lines,
            due_date,
            expires_at: None,
            debtor: Some(debtor),
            callback_url: None,
            return_url: None,
            allow_partial,
            capture_later: false,
        },
        file_total,
    )
}

fn json_line(
    row: &mut Checker<'_>,
    index: usize,
    line: &Value,
    bill_description: Option<&str>,
) -> Option<NewPaymentRequestLine> {
    let at = format!("lines[{index}]");
    let Value::Object(obj) = line else {
        row.problem(
            &at,
            format!(
                "expected an object {{ \"amount\": … }}, found {}",
                kind(line)
            ),
        );
        return None;
    };
    row.known_fields(&format!("{at}."), obj, &JSON_LINE_FIELDS);
    // A line without a description takes the bill's.
    let description_field = format!("{at}.description");
    let description = match row.json_str(obj, &description_field) {
        Some(Some(d)) => row.text(&description_field, d),
        Some(None) => match bill_description {
            Some(d) => Some(d.to_owned()),
            None => row.text(&description_field, ""),
        },
        None => None,
    };
    let amount_field = format!("{at}.amount");
    let amount = match obj.get("amount") {
        Some(Value::String(text)) => row.amount(&amount_field, text),
        None | Some(Value::Null) => row.amount(&amount_field, ""),
        Some(other) => {
            row.problem(
                &amount_field,
                format!(
                    "expected a string in major units like \"12.50\", found {} (numbers \
                     are not taken: they can lose exactness)",
                    kind(other)
                ),
            );
            None
        }
    };
    let quantity = match obj.get("quantity") {
        None | Some(Value::Null) => Some(1),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(q) if (1..=MAX_QUANTITY).contains(&q) => u32::try_from(q).ok(),
            _ => {
                row.problem(
                    &format!("{at}.quantity"),
                    format!("{n} is out of range; expected a whole number 1-{MAX_QUANTITY}"),
                );
                None
            }
        },
        Some(other) => {
            row.problem(
                &format!("{at}.quantity"),
                format!(
                    "expected a whole number 1-{MAX_QUANTITY}, found {}",
                    kind(other)
                ),
            );
            None
        }
    };
    let vat_field = format!("{at}.vat_code");
    let vat_code = row
        .json_str(obj, &vat_field)
        .and_then(|v| row.vat_code(&vat_field, v));
    let sku_field = format!("{at}.sku");
    let sku = row
        .json_str(obj, &sku_field)
        .and_then(|s| row.sku(&sku_field, s));
    Some(NewPaymentRequestLine {
        sku: sku?,
        description: description?,
        quantity: quantity?,
        unit_price: amount?,
        vat_code: vat_code?,
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The line on which each element of the top-level array starts: a single pass that skips
/// strings, so `{` or `,` inside text does not count.
fn element_lines(text: &str) -> Vec<u64> {
    let mut starts = Vec::new();
    let mut line: u64 = 1;
    let mut depth = 0_usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expecting = false;
    for b in text.bytes() {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        if depth == 1 && expecting && b != b']' {
            starts.push(line);
            expecting = false;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth == 1 {
                    expecting = true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    starts
}

// ---- checks shared by both formats -------------------------------------------------------

/// Checks the fields of one bill, recording each problem with the bill's line.
struct Checker<'a> {
    rules: &'a Rules,
    line: u64,
    /// Put before field names: `[3].` for the fourth bill of a JSON file.
    prefix: String,
    problems: &'a mut Vec<Problem>,
}

impl<'a> Checker<'a> {
    fn new(rules: &'a Rules, line: u64, prefix: String, problems: &'a mut Vec<Problem>) -> Self {
        Checker {
            rules,
            line,
            prefix,
            problems,
        }
    }

    fn problem(&mut self, field: &str, message: impl Into<String>) {
        let field = format!("{}{field}", self.prefix);
        let field = field.trim_end_matches('.').to_owned();
        self.problems
            .push(Problem::new(Some(self.line), field, message));
    }

    fn reference(&mut self, text: &str, seen: &mut HashMap<String, u64>) -> Option<String> {
        if text.is_empty() {
            self.problem(
                "external_reference",
                "required: the department's own id of the bill (it makes a second import skip it)",
            );
            return None;
        }
        if text.len() > MAX_REFERENCE {
            self.problem(
                "external_reference",
                format!(
                    "{} characters; expected 1-{MAX_REFERENCE}",
                    text.chars().count()
                ),
            );
            return None;
        }
        if let Some(first) = seen.get(text) {
            let first = *first;
            self.problem(
                "external_reference",
                format!(
                    "{text:?} appears twice in the file, on line {first} and on line {}; \
                     expected each bill once",
                    self.line
                ),
            );
            return None;
        }
        seen.insert(text.to_owned(), self.line);
        Some(text.to_owned())
    }

    /// `(field, value)` of the debtor's kind and id.
    fn debtor(&mut self, kind: (&str, &str), id: (&str, &str)) -> Option<Debtor> {
        const KINDS: [&str; 3] = ["national_id", "company_id", "email"];
        let ((kind_field, kind), (id_field, id)) = (kind, id);
        let mut ok = true;
        if !KINDS.contains(&kind) {
            let found = if kind.is_empty() {
                "required".to_owned()
            } else {
                format!("{kind:?} is not a debtor kind")
            };
            self.problem(
                kind_field,
                format!("{found}; expected national_id, company_id or email"),
            );
            ok = false;
        }
        if id.is_empty() {
            self.problem(
                id_field,
                "required: the debtor's national id, company id or e-mail",
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        match Debtor::parse(kind, id) {
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(id_field, e);
                None
            }
        }
    }

    fn text(&mut self, field: &str, text: &str) -> Option<String> {
        let text = text.trim();
        if text.is_empty() {
            self.problem(field, format!("required: 1-{MAX_TEXT} characters"));
            return None;
        }
        if text.len() > MAX_TEXT {
            self.problem(
                field,
                format!(
                    "too long ({} bytes); expected at most {MAX_TEXT}",
                    text.len()
                ),
            );
            return None;
        }
        Some(text.to_owned())
    }

    fn amount(&mut self, field: &str, text: &str) -> Option<Money> {
        let currency = self.rules.currency;
        let example = Money::new(1250, currency).to_major_string();
        if text.is_empty() {
            self.problem(
                field,
                format!("required: the amount in {currency}, in major units like {example}"),
            );
            return None;
        }
        match Money::parse_major(text, currency) {
            Ok(m) if m.amount_minor() > 0 => Some(m),
            Ok(_) => {
                self.problem(field, format!("{text:?} must be more than zero"));
                None
            }
            Err(MoneyError::TooManyDecimals { decimals, .. }) => {
                self.problem(
                    field,
                    format!(
                        "{text:?} has {decimals} decimals; {currency} has {}, like {example}",
                        currency.minor_units()
                    ),
                );
                None
            }
            Err(MoneyError::AmountOutOfRange { .. }) => {
                self.problem(field, format!("{text:?} is too large"));
                None
            }
            Err(_) => {
                self.problem(
                    field,
                    format!(
                        "{text:?} is not an amount; expected major units with a dot, like \
                         {example}"
                    ),
                );
                None
            }
        }
    }

    fn vat_code(&mut self, field: &str, code: Option<&str>) -> Option<String> {
        let known = self.rules.vat_codes.join(", ");
        match code {
            Some(code) if self.rules.vat_codes.iter().any(|c| c == code) => Some(code.to_owned()),
            Some(code) => {
                self.problem(
                    field,
                    format!("{code:?} is not a VAT code of this council; expected one of {known}"),
                );
                None
            }
            None => match &self.rules.default_vat_code {
                Some(default) => Some(default.clone()),
                None => {
                    self.problem(
                        field,
                        format!(
                            "required (this council has no single 0 % VAT code to use by \
                             default); expected one of {known}"
                        ),
                    );
                    None
                }
            },
        }
    }

    /// `Some(None)` when there is no date.
    fn due_date(&mut self, text: Option<&str>) -> Option<Option<NaiveDate>> {
        let Some(text) = text else {
            return Some(None);
        };
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) if text.len() == 10 => Some(Some(d)),
            _ => {
                self.problem(
                    "due_date",
                    format!("{text:?} is not a date; expected YYYY-MM-DD, like 2026-03-31"),
                );
                None
            }
        }
    }

    fn sku(&mut self, field: &str, text: Option<&str>) -> Option<Option<Sku>> {
        let Some(text) = text else {
            return Some(None);
        };
        match Sku::parse(text) {
            Ok(s) => Some(Some(s)),
            Err(e) => {
                self.problem(field, e.to_string());
                None
            }
        }
    }

    fn flag(&mut self, text: Option<&str>) -> Option<bool> {
        match text.map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") => Some(false),
            Some("true") => Some(true),
            Some(_) => {
                self.problem(
                    "allow_partial",
                    format!("{:?} is not true or false", text.unwrap_or("")),
                );
                None
            }
        }
    }

    /// A JSON field that must be a string when present: `Some(None)` when absent or null,
    /// `None` after recording a problem. `field` may be a path (`lines[0].sku`); the key is
    /// its last part.
    fn json_str<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        field: &str,
    ) -> Option<Option<&'v str>> {
        let key = field.rsplit('.').next().unwrap_or(field);
        match obj.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.trim())),
            Some(other) => {
                self.problem(field, format!("expected a string, found {}", kind(other)));
                None
            }
        }
    }

    fn known_fields(&mut self, at: &str, obj: &Map<String, Value>, known: &[&str]) {
        for key in obj.keys() {
            if !known.contains(&key.as_str()) {
                self.problem(
                    &format!("{at}{key}"),
                    format!("unknown field; expected {}", known.join(", ")),
                );
            }
        }
    }

    /// The bill's total, checked so the store's sums cannot overflow.
    fn bill(&mut self, request: NewPaymentRequest, file_total: &mut i64) -> Option<Bill> {
        let mut total: i64 = 0;
        for line in &request.lines {
            match line
                .unit_price
                .amount_minor()
                .checked_mul(i64::from(line.quantity))
                .and_then(|t| t.checked_add(total))
            {
                Some(t) => total = t,
                None => {
                    self.problem("amount", "the bill's total is too large");
                    return None;
                }
            }
        }
        match file_total.checked_add(total) {
            Some(t) => *file_total = t,
            None => {
                self.problem("amount", "the file's total is too large; split the file");
                return None;
            }
        }
        Some(Bill {
            line: self.line,
            request,
            total_minor: total,
        })
    }
}

// ---- the command --------------------------------------------------------------------------

/// `civicpay import bills`: checks the file, then imports it all or nothing (or, with
/// `dry_run`, says what an import would do). Returns false when nothing could be imported.
pub async fn bills(
    scope: &TenantScope,
    file: &Path,
    dry_run: bool,
    actor: &Actor,
) -> anyhow::Result<bool> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let tenant = scope.tenant();
    let currency = tenant.currency;
    let bills = match parse_bills(file, &bytes, &Rules::for_tenant(tenant)) {
        Ok(bills) => bills,
        Err(problems) => {
            for p in &problems {
                eprintln!("{}", p.display(file));
            }
            eprintln!(
                "{}: {} problem(s); nothing imported",
                file.display(),
                problems.len()
            );
            return Ok(false);
        }
    };

    if dry_run {
        let mut new = 0_usize;
        let mut existing = 0_usize;
        let mut total: i64 = 0;
        for bill in &bills {
            let reference = bill.request.external_reference.as_deref().unwrap_or("");
            if scope
                .payment_request_by_external_reference(reference)
                .await?
                .is_some()
            {
                existing += 1;
            } else {
                new += 1;
                total += bill.total_minor;
            }
        }
        println!(
            "dry run: would import {new} {} (total {}); {existing} already imported, would be \
             skipped; nothing written",
            plural(new),
            Money::new(total, currency)
        );
        return Ok(true);
    }

    let lines: Vec<u64> = bills.iter().map(|b| b.line).collect();
    let requests = bills.into_iter().map(|b| b.request).collect();
    match scope.import_payment_requests(requests, actor).await {
        Ok(report) => {
            println!(
                "imported {} {} (total {}); {} already imported, skipped",
                report.created,
                plural(report.created),
                Money::new(report.total_minor, currency),
                report.skipped_existing
            );
            Ok(true)
        }
        Err((index, e)) => {
            match lines.get(index) {
                Some(line) => eprintln!("{}:{line}: {e}", file.display()),
                None => eprintln!("{}: {e}", file.display()),
            }
            eprintln!("{}: nothing imported", file.display());
            Ok(false)
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "bill" } else { "bills" }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn rules() -> Rules {
        Rules {
            currency: Currency::parse("DKK").unwrap(),
            vat_codes: vec!["standard".into(), "exempt".into()],
            default_vat_code: Some("exempt".into()),
        }
    }

    fn problems(name: &str, text: &str) -> Vec<String> {
        let path = Path::new(name);
        match parse_bills(path, text.as_bytes(), &rules()) {
            Ok(b) => panic!("expected problems, got {} bills", b.len()),
            Err(p) => p.iter().map(|p| p.display(path).to_string()).collect(),
        }
    }

    const HEADER: &str = "external_reference,debtor_kind,debtor_id,description,amount\n";

    #[test]
    fn csv_rows_become_one_line_bills() {
        let text = format!(
            "{}LIB-1,national_id,010190-1234,\"Lost book, \"\"Dune\"\"\",300.00\n\
             LIB-2,email,a@b.example,Overdue,20\n",
            HEADER.to_uppercase()
        );
        let bills = parse_bills(Path::new("x.csv"), text.as_bytes(), &rules()).unwrap();
        assert_eq!(bills.len(), 2);
        assert_eq!(bills[0].line, 2);
        assert_eq!(bills[0].request.description, "Lost book, \"Dune\"");
        assert_eq!(bills[0].request.lines[0].vat_code, "exempt");
        assert_eq!(bills[0].total_minor, 30_000);
        assert_eq!(bills[1].line, 3);
    }

    #[test]
    fn every_bad_row_is_reported_with_line_and_field() {
        let text = format!(
            "{HEADER}A,national_id,0101901234,ok,12.50\nB,national_id,0101901234,x,\"12,50\"\n\
             C,person,123,x,1\nA,email,a@b.example,dup,1\n"
        );
        let p = problems("bills.csv", &text);
        assert_eq!(p.len(), 3, "{p:#?}");
        assert_eq!(
            p[0],
            "bills.csv:3: amount: \"12,50\" is not an amount; expected major units with a dot, \
             like 12.50"
        );
        assert!(p[1].starts_with("bills.csv:4: debtor_kind:"), "{p:#?}");
        assert!(
            p[2].starts_with("bills.csv:5: external_reference:")
                && p[2].contains("line 2 and on line 5"),
            "{p:#?}"
        );
    }

    #[test]
    fn header_problems_stop_the_check() {
        let p = problems("b.csv", "external_reference,debtor,amount\nA,x,1\n");
        assert!(
            p.iter()
                .any(|l| l.contains("b.csv:1: debtor: unknown column")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|l| l.contains("debtor_kind: the column is missing")),
            "{p:#?}"
        );
        let p = problems("b.csv", "external_reference;debtor_kind\n");
        assert!(p[0].contains("semicolons"), "{p:#?}");
    }

    #[test]
    fn json_problems_name_index_and_line() {
        let text = r#"[
  {"external_reference": "A", "debtor": {"kind": "email", "id": "a@b.example"},
   "description": "x { , ", "lines": [{"amount": "1.00"}]},
  {"external_reference": "B", "debtor": {"kind": "email", "id": "a@b.example"},
   "description": "y", "lines": [{"amount": 1.5, "colour": "red"}]}
]"#;
        let p = problems("b.json", text);
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(
            p[0].starts_with("b.json:4: [1].lines[0].colour: unknown field"),
            "{p:#?}"
        );
        assert!(
            p[1].starts_with("b.json:4: [1].lines[0].amount: expected a string"),
            "{p:#?}"
        );
        let p = problems("b.json", "[\n{\"a\": 1,}\n]");
        assert!(p[0].starts_with("b.json:2: invalid JSON"), "{p:#?}");
    }

    #[test]
    fn json_bills_parse() {
        let text = r#"[{"external_reference": "DC-7", "debtor": {"kind": "company_id", "id": "12345678"},
            "description": "Day care", "due_date": "2026-02-01", "allow_partial": true,
            "lines": [{"description": "January", "amount": "2395.00", "quantity": 2, "vat_code": "exempt", "sku": "DC-KINDERGARTEN"}]}]"#;
        let bills = parse_bills(Path::new("b"), text.as_bytes(), &rules()).unwrap();
        assert_eq!(bills[0].total_minor, 479_000);
        assert!(bills[0].request.allow_partial);
    }

    #[test]
    fn element_lines_skip_strings() {
        let text = "[\n {\"a\": \"[{,\\\"\"},\n\n {},\n 3]";
        assert_eq!(element_lines(text), vec![2, 4, 5]);
    }
}
