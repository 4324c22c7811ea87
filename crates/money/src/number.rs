//! Strict lexer for the plain decimal numbers we accept from people and config.
//!
//! One grammar, `-? digits ( '.' digits )?`, shared by amounts and VAT rates,
//! so both reject the same ambiguous inputs: a comma may be a decimal point
//! or a thousands separator depending on locale, and "1." / ".5" are usually
//! typos. Refusing them is cheaper than explaining a wrong charge later.

/// The pieces of a syntactically valid decimal number.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DecimalText<'a> {
    pub negative: bool,
    /// At least one ASCII digit.
    pub integer: &'a str,
    /// ASCII digits after the point; empty if there was no point.
    pub fraction: &'a str,
}

/// Splits `text` into sign, integer digits and fraction digits, or explains
/// (for an error message) why it is not a plain decimal number.
pub(crate) fn split_decimal(text: &str) -> Result<DecimalText<'_>, String> {
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // Explain the first character outside [0-9.], naming the likely intent.
    let mut previous = None;
    for c in unsigned.chars() {
        if !c.is_ascii_digit() && c != '.' {
            return Err(match c {
                _ if c.is_whitespace() => {
                    "whitespace is not allowed (trim the input first)".to_owned()
                }
                ',' => {
                    "',' is not allowed: use '.' as the decimal point and no thousands separators"
                        .to_owned()
                }
                'e' | 'E' if previous.is_some_and(|p: char| p.is_ascii_digit() || p == '.') => {
                    "exponent notation is not allowed".to_owned()
                }
                '+' if previous.is_none() && !negative => "a leading '+' is not allowed".to_owned(),
                _ => format!("unexpected character {c:?}"),
            });
        }
        previous = Some(c);
    }

    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => {
            if fraction.contains('.') {
                return Err("more than one decimal point".to_owned());
            }
            if fraction.is_empty() {
                return Err("expected a digit after the decimal point".to_owned());
            }
            (integer, fraction)
        }
        None => (unsigned, ""),
    };
    if integer.is_empty() {
        return Err(if unsigned.is_empty() {
            "expected digits after the sign".to_owned()
        } else {
            "expected a digit before the decimal point (write \"0.5\", not \".5\")".to_owned()
        });
    }

    Ok(DecimalText {
        negative,
        integer,
        fraction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (bool, &str, &str) {
        let parts = split_decimal(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        (parts.negative, parts.integer, parts.fraction)
    }

    fn reason(text: &str) -> String {
        match split_decimal(text) {
            Ok(parts) => panic!("{text:?} unexpectedly parsed as {parts:?}"),
            Err(reason) => reason,
        }
    }

    #[test]
    fn accepts_plain_decimals() {
        assert_eq!(ok("795"), (false, "795", ""));
        assert_eq!(ok("795.5"), (false, "795", "5"));
        assert_eq!(ok("-3.25"), (true, "3", "25"));
        assert_eq!(ok("0"), (false, "0", ""));
        assert_eq!(ok("007.10"), (false, "007", "10"));
    }

    #[test]
    fn rejects_ambiguous_or_sloppy_input_with_a_reason() {
        assert_eq!(reason(""), "it is empty");
        assert!(reason(" 1").contains("whitespace"));
        assert!(reason("1 ").contains("whitespace"));
        assert!(reason("1 000").contains("whitespace"));
        assert!(reason("1\t").contains("whitespace"));
        assert!(reason("1,5").contains("','"));
        assert!(reason("1,000.00").contains("','"));
        assert!(reason("1e3").contains("exponent"));
        assert!(reason("1E3").contains("exponent"));
        assert!(reason("+5").contains("'+'"));
        assert!(reason("1.").contains("after the decimal point"));
        assert!(reason(".5").contains("before the decimal point"));
        assert!(reason("-.5").contains("before the decimal point"));
        assert!(reason("-").contains("after the sign"));
        assert!(reason("1.2.3").contains("more than one decimal point"));
        assert_eq!(reason("--5"), "unexpected character '-'");
        assert_eq!(reason("5-"), "unexpected character '-'");
        assert_eq!(reason("1_000"), "unexpected character '_'");
        assert_eq!(reason("12kr"), "unexpected character 'k'");
        assert_eq!(reason("\u{2212}5"), "unexpected character '\u{2212}'");
        assert_eq!(reason("NaN"), "unexpected character 'N'");
        assert_eq!(reason("free"), "unexpected character 'f'");
        assert_eq!(reason("-+5"), "unexpected character '+'");
        // Non-ASCII digits are not digits for money.
        assert_eq!(reason("\u{0665}"), "unexpected character '\u{0665}'");
    }
}
