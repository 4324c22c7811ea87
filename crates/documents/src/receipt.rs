//! A receipt: masthead, title, reference / date / payment method, the lines as a table whose
//! heading repeats on every page it continues on, the total, the VAT summary, small print.

use crate::font::Weight;
use crate::layout::{CONTENT_W, Cell, Doc, MARGIN_X, Row, Style};
use crate::units::{Mpt, Rgb, mm, pt};
use crate::{DocumentError, Receipt, ReceiptLine};

const TITLE: Style = Style::new(Weight::Bold, 18_000, 23_000, Rgb::INK);
const LABEL: Style = Style::new(Weight::Regular, 9_500, 14_000, Rgb::MUTED);
const VALUE: Style = Style::new(Weight::Regular, 10_000, 14_000, Rgb::INK);
const HEADING: Style = Style::new(Weight::Bold, 9_000, 12_000, Rgb::INK);
const CELL: Style = Style::new(Weight::Regular, 10_000, 14_000, Rgb::INK);
const TOTAL: Style = Style::new(Weight::Bold, 12_000, 16_000, Rgb::INK);
const SMALL: Style = Style::new(Weight::Regular, 8_500, 12_000, Rgb::MUTED);

/// The table's text stays this far inside its tinted heading.
const INSET: Mpt = pt(5);
const GAP: Mpt = mm(4);
const DESC_X: Mpt = MARGIN_X + INSET;
const DESC_W: Mpt = CONTENT_W - 2 * INSET - QTY_W - VAT_W - AMOUNT_W - 3 * GAP;
const QTY_W: Mpt = mm(14);
const VAT_W: Mpt = mm(18);
const AMOUNT_W: Mpt = mm(30);
const QTY_X: Mpt = DESC_X + DESC_W + GAP;
const VAT_X: Mpt = QTY_X + QTY_W + GAP;
const AMOUNT_X: Mpt = VAT_X + VAT_W + GAP;
const DETAIL_LABEL_W: Mpt = mm(45);

fn columns(description: &str, quantity: &str, vat: &str, amount: &str, style: Style) -> Vec<Cell> {
    vec![
        Cell::new(description, DESC_X, DESC_W, style),
        Cell::new(quantity, QTY_X, QTY_W, style).right(),
        Cell::new(vat, VAT_X, VAT_W, style).right(),
        Cell::new(amount, AMOUNT_X, AMOUNT_W, style).right(),
    ]
}

fn line_row(line: &ReceiptLine) -> Row {
    Row {
        pad_top: pt(4),
        pad_bottom: pt(4),
        rule_below: Some((pt(1) / 2, Rgb::HAIRLINE)),
        keep_together: true,
        ..Row::new(columns(
            &line.description,
            &line.quantity,
            &line.vat,
            &line.amount,
            CELL,
        ))
    }
}

pub(crate) fn render(receipt: &Receipt) -> Result<Vec<u8>, DocumentError> {
    let mut doc = Doc::new(&receipt.branding, &receipt.title)?;
    doc.masthead();
    doc.space(mm(10));
    doc.paragraph(TITLE, &receipt.title);
    doc.space(pt(6));

    let labels = &receipt.labels;
    let details = [
        (&labels.reference, &receipt.reference),
        (&labels.issued_at, &receipt.issued_at),
        (&labels.payment_method, &receipt.payment_method),
    ];
    for (label, value) in details {
        if label.trim().is_empty() && value.trim().is_empty() {
            continue;
        }
        doc.row(&Row {
            keep_together: true,
            ..Row::new(vec![
                Cell::new(label, MARGIN_X, DETAIL_LABEL_W - mm(3), LABEL),
                Cell::new(
                    value,
                    MARGIN_X + DETAIL_LABEL_W,
                    CONTENT_W - DETAIL_LABEL_W,
                    VALUE,
                ),
            ])
        });
    }
    doc.space(pt(14));

    let heading = Row {
        pad_top: pt(5),
        pad_bottom: pt(5),
        fill: Some(doc.brand.color.tint(88)),
        rule_below: Some((pt(1) / 2, doc.brand.color)),
        keep_together: true,
        ..Row::new(columns(
            &labels.description,
            &labels.quantity,
            &labels.vat,
            &labels.amount,
            HEADING,
        ))
    };
    // Keep the heading with the first line.
    let first = receipt.lines.first().map(line_row);
    let first_h = match &first {
        Some(row) => doc.row_height(row),
        None => 0,
    };
    let heading_h = doc.row_height(&heading);
    doc.ensure(heading_h + first_h);
    doc.row(&heading);
    doc.repeat = Some(heading);
    for line in &receipt.lines {
        doc.row(&line_row(line));
    }
    doc.repeat = None;

    doc.space(pt(2));
    doc.row(&Row {
        pad_top: pt(6),
        pad_bottom: pt(6),
        rule_below: Some((pt(1), Rgb::INK)),
        keep_together: true,
        ..Row::new(vec![
            Cell::new(&labels.total, DESC_X, VAT_X - GAP - DESC_X, TOTAL),
            Cell::new(&receipt.total, VAT_X, AMOUNT_X + AMOUNT_W - VAT_X, TOTAL).right(),
        ])
    });
    doc.space(pt(4));
    for (label, amount) in &receipt.vat_summary {
        doc.row(&Row {
            pad_top: pt(1),
            keep_together: true,
            ..Row::new(vec![
                Cell::new(label, QTY_X, AMOUNT_X - GAP - QTY_X, LABEL),
                Cell::new(amount, AMOUNT_X, AMOUNT_W, LABEL).right(),
            ])
        });
    }

    if !receipt.footer_lines.is_empty() {
        doc.space(pt(18));
        for line in &receipt.footer_lines {
            doc.paragraph(SMALL, line);
            doc.space(pt(2));
        }
    }
    doc.finish()
}
