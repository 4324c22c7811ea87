//! The permit: a band in the council's colour with its name, the permit product as title, the
//! permit number in a tinted box, then the fields as label/value rows and the small print.

use crate::font::Weight;
use crate::layout::{CONTENT_W, Cell, Doc, MARGIN_TOP, MARGIN_X, Row, Style};
use crate::units::{Mpt, PAGE_W, Rgb, mm, pt};
use crate::{DocumentError, PermitDocument};

const BAND_H: Mpt = mm(30);
const TITLE: Style = Style::new(Weight::Bold, 22_000, 28_000, Rgb::INK);
const NUMBER_LABEL: Style = Style::new(Weight::Regular, 9_000, 12_000, Rgb::MUTED);
const NUMBER: Style = Style::new(Weight::Bold, 16_000, 21_000, Rgb::INK);
const LABEL: Style = Style::new(Weight::Regular, 10_000, 14_000, Rgb::MUTED);
const VALUE: Style = Style::new(Weight::Bold, 13_000, 18_000, Rgb::INK);
const SMALL: Style = Style::new(Weight::Regular, 9_000, 13_000, Rgb::MUTED);
const LABEL_W: Mpt = mm(55);

pub(crate) fn render(permit: &PermitDocument) -> Result<Vec<u8>, DocumentError> {
    let mut doc = Doc::new(&permit.branding, &permit.title)?;

    // The band, across the full page width, with the council's name (it grows if the name
    // wraps).
    let on_band = Style::new(Weight::Bold, 20_000, 25_000, doc.brand.on_color);
    let name = Row::single(Cell::new(&doc.brand.name, MARGIN_X, CONTENT_W, on_band));
    let band_h = BAND_H.max(MARGIN_TOP + doc.row_height(&name) + mm(6));
    doc.fill(0, 0, PAGE_W, band_h, doc.brand.color);
    doc.y = MARGIN_TOP;
    doc.row(&name);
    doc.y = band_h + mm(10);

    doc.paragraph(TITLE, &permit.title);
    doc.space(pt(10));

    // The permit number in a tinted box: label over number.
    let label_row = Row::single(Cell::new(
        &permit.permit_number_label,
        MARGIN_X + pt(10),
        CONTENT_W - pt(20),
        NUMBER_LABEL,
    ));
    let number_row = Row::single(Cell::new(
        &permit.permit_number,
        MARGIN_X + pt(10),
        CONTENT_W - pt(20),
        NUMBER,
    ));
    let box_h = pt(16) + doc.row_height(&label_row) + doc.row_height(&number_row);
    doc.ensure(box_h);
    doc.fill(MARGIN_X, doc.y, CONTENT_W, box_h, doc.brand.color.tint(88));
    doc.space(pt(8));
    doc.row(&label_row);
    doc.row(&number_row);
    doc.space(pt(8));
    doc.space(pt(12));

    for (label, value) in &permit.fields {
        doc.row(&Row {
            pad_top: pt(6),
            pad_bottom: pt(6),
            rule_below: Some((pt(1) / 2, Rgb::HAIRLINE)),
            keep_together: true,
            ..Row::new(vec![
                Cell::new(label, MARGIN_X, LABEL_W - mm(4), LABEL),
                Cell::new(value, MARGIN_X + LABEL_W, CONTENT_W - LABEL_W, VALUE),
            ])
        });
    }

    if let Some(footer) = permit.footer.as_deref().filter(|f| !f.trim().is_empty()) {
        doc.space(pt(14));
        doc.paragraph(SMALL, footer);
    }
    doc.finish()
}
