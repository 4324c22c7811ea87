//! A letter: masthead, recipient's address (where a window envelope shows it) with the date and
//! reference on the right, the subject in bold, the body and the closing.

use crate::font::Weight;
use crate::layout::{CONTENT_W, Cell, Doc, MARGIN_X, Row, Style};
use crate::units::{Mpt, Rgb, mm, pt};
use crate::{DocumentError, Letter};

const BODY: Style = Style::new(Weight::Regular, 10_500, 15_000, Rgb::INK);
const SUBJECT: Style = Style::new(Weight::Bold, 12_500, 17_000, Rgb::INK);
/// The address window of a C5/DL envelope starts about 45 mm from the top.
const ADDRESS_TOP: Mpt = mm(45);
const ADDRESS_W: Mpt = mm(85);

pub(crate) fn render(letter: &Letter) -> Result<Vec<u8>, DocumentError> {
    let mut doc = Doc::new(&letter.branding, &letter.subject)?;
    doc.masthead();
    doc.y = doc.y.max(ADDRESS_TOP);

    let recipient: Vec<&str> = std::iter::once(letter.recipient_name.as_str())
        .chain(letter.recipient_address.iter().map(String::as_str))
        .filter(|l| !l.trim().is_empty())
        .collect();
    let meta: Vec<&str> = [letter.date.as_str(), letter.reference.as_str()]
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let meta_x = MARGIN_X + ADDRESS_W + mm(10);
    doc.row(&Row {
        keep_together: true,
        ..Row::new(vec![
            Cell::new(recipient.join("\n"), MARGIN_X, ADDRESS_W, BODY),
            Cell::new(
                meta.join("\n"),
                meta_x,
                MARGIN_X + CONTENT_W - meta_x,
                BODY.with_color(Rgb::MUTED),
            )
            .right(),
        ])
    });

    doc.space(mm(14));
    doc.paragraph(SUBJECT, &letter.subject);
    doc.space(pt(8));
    for paragraph in &letter.paragraphs {
        doc.paragraph(BODY, paragraph);
        doc.space(pt(8));
    }
    if !letter.closing.trim().is_empty() {
        doc.space(pt(4));
        doc.row(&Row {
            keep_together: true,
            ..Row::single(Cell::new(&letter.closing, MARGIN_X, CONTENT_W, BODY))
        });
    }
    doc.finish()
}
