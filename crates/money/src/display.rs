//! Amounts as people of a language read them: `1.620,00 kr.` in Danish, `€ 1.620,00` in
//! Dutch, `1 620,00 zł` in Polish, `DKK 1,620.00` in English. For documents and pages; the
//! API keeps exact decimal strings (`"1620.00"`).

use crate::Money;

/// `money` formatted for the language `lang` (`da`, `nl`, `pl`, `en`, …; a region suffix such
/// as `da-DK` is ignored). Separators follow the language, the currency's sign its custom.
pub fn format_money(money: Money, lang: &str) -> String {
    let lang = lang.split(['-', '_']).next().unwrap_or("en");
    let (group, decimal) = match lang {
        "da" | "nl" | "de" => (".", ","),
        // A no-break space, so an amount never wraps.
        "pl" | "fr" | "sv" | "nb" => ("\u{a0}", ","),
        _ => (",", "."),
    };
    let minor = money.amount_minor();
    let digits = money.currency().minor_units();
    let scale = 10u128.pow(digits);
    let abs = minor.unsigned_abs() as u128;
    let (whole, fraction) = (abs / scale, abs % scale);
    let whole = whole.to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    let number = if digits == 0 {
        grouped
    } else {
        format!(
            "{grouped}{decimal}{fraction:0width$}",
            width = digits as usize
        )
    };
    let sign = if minor < 0 { "-" } else { "" };
    let code = money.currency().code();
    match (code, lang) {
        ("DKK", "da") => format!("{sign}{number}\u{a0}kr."),
        ("EUR", "nl" | "de") => format!("{sign}€\u{a0}{number}"),
        ("EUR", _) => format!("{sign}€{number}"),
        ("PLN", "pl") => format!("{sign}{number}\u{a0}zł"),
        _ => format!("{sign}{code}\u{a0}{number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn money(minor: i64, code: &str) -> Money {
        Money::new(
            minor,
            Currency::parse(code).unwrap_or_else(|e| panic!("{e}")),
        )
    }

    #[test]
    fn each_language_reads_its_own_way() {
        let nb = '\u{a0}';
        assert_eq!(
            format_money(money(162_000, "DKK"), "da"),
            format!("1.620,00{nb}kr.")
        );
        assert_eq!(
            format_money(money(162_000, "DKK"), "en"),
            format!("DKK{nb}1,620.00")
        );
        assert_eq!(
            format_money(money(123_456_789, "EUR"), "nl-NL"),
            format!("€{nb}1.234.567,89")
        );
        assert_eq!(format_money(money(5, "EUR"), "en"), "€0.05");
        assert_eq!(
            format_money(money(100_000, "PLN"), "pl"),
            format!("1{nb}000,00{nb}zł")
        );
        assert_eq!(
            format_money(money(-115_500, "DKK"), "da"),
            format!("-1.155,00{nb}kr.")
        );
        assert_eq!(
            format_money(money(999, "DKK"), "da"),
            format!("9,99{nb}kr.")
        );
        assert_eq!(format_money(money(100, "JPY"), "en"), format!("JPY{nb}100"));
    }
}
