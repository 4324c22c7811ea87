//! Errors with a place: file, line, column and the field they concern.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a tenant folder, pointing at where it is and saying what was expected.
///
/// Displayed as `file:line:column: field: message`, leaving out what is unknown, e.g.
/// `tenants/kobenhavn/products.toml:12:12: product[2].vat_code: unknown VAT code "standrd";
/// expected one of: standard, exempt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the problem is in (the tenant folder joined with the file name).
    pub file: PathBuf,
    /// 1-based line, when the problem can be pinned to one.
    pub line: Option<usize>,
    /// 1-based column in characters, when known.
    pub column: Option<usize>,
    /// Path of the offending field as written in the file, e.g. `product[3].price[0].amount`;
    /// empty for problems with the file as a whole (syntax errors, missing file).
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in a tenant folder, in file order and then line order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A file's text plus what is needed to turn byte offsets into line and column.
pub(crate) struct Source {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(path: PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line_index + 1, column + 1)
    }

    pub fn error(
        &self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = match span {
            Some(span) => {
                let (line, column) = self.position(span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        ConfigError {
            file: self.path.clone(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error about a file as a whole (missing, unreadable).
pub(crate) fn file_error(path: &Path, message: impl Into<String>) -> ConfigError {
    ConfigError {
        file: path.to_path_buf(),
        line: None,
        column: None,
        field: String::new(),
        message: message.into(),
    }
}

/// Collects errors for one file.
pub(crate) struct Sink<'a> {
    pub source: &'a Source,
    pub errors: &'a mut Vec<ConfigError>,
}

impl Sink<'_> {
    pub fn push(
        &mut self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        let error = self.source.error(span, field, message);
        self.errors.push(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let source = Source::new("f.toml".into(), "a = 1\nnavn = \"Kø\" x\n".into());
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(6), (2, 1));
        let x = source.text.find(" x").unwrap_or_else(|| panic!("no x")) + 1;
        // "navn = "Kø" " is 12 characters but 13 bytes.
        assert_eq!(source.position(x), (2, 13));
    }

    #[test]
    fn display_leaves_out_unknown_parts() {
        let mut error = ConfigError {
            file: "tenants/x/products.toml".into(),
            line: Some(12),
            column: Some(9),
            field: "product[2].vat_code".into(),
            message: "unknown VAT code".into(),
        };
        assert_eq!(
            error.to_string(),
            "tenants/x/products.toml:12:9: product[2].vat_code: unknown VAT code"
        );
        error.line = None;
        error.field.clear();
        assert_eq!(
            error.to_string(),
            "tenants/x/products.toml: unknown VAT code"
        );
    }
}
