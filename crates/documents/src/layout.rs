//! A small flow layout on A4: rows of cells whose text wraps within the cell, laid top to
//! bottom and continued on a new page (with a running header and, for tables, the repeated
//! heading row) when the next line would cross the footer. Coordinates are measured from the
//! top-left corner here; `pdf` flips them.

use crate::font::{FontFace, Glyph, Weight};
use crate::units::{Mpt, PAGE_H, PAGE_W, Rgb, mm, pt};
use crate::{Branding, DocumentError};

pub(crate) const MARGIN_X: Mpt = mm(20);
pub(crate) const CONTENT_W: Mpt = PAGE_W - 2 * MARGIN_X;
pub(crate) const RIGHT: Mpt = MARGIN_X + CONTENT_W;
/// Where content starts on a page.
pub(crate) const MARGIN_TOP: Mpt = mm(15);
/// The baseline of the footer's last line.
const FOOTER_BOTTOM: Mpt = PAGE_H - mm(12);
const FOOTER: Style = Style::new(Weight::Regular, 8_000, 11_000, Rgb::MUTED);

/// What gets drawn on a page, in top-left coordinates.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Text {
        weight: Weight,
        size: Mpt,
        x: Mpt,
        baseline: Mpt,
        color: Rgb,
        glyphs: Vec<u16>,
    },
    Fill {
        x: Mpt,
        y: Mpt,
        w: Mpt,
        h: Mpt,
        color: Rgb,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    pub weight: Weight,
    /// Font size.
    pub size: Mpt,
    /// Distance from one line's top to the next's.
    pub leading: Mpt,
    pub color: Rgb,
}

impl Style {
    pub(crate) const fn new(weight: Weight, size: Mpt, leading: Mpt, color: Rgb) -> Style {
        Style {
            weight,
            size,
            leading,
            color,
        }
    }

    pub(crate) const fn with_color(self, color: Rgb) -> Style {
        Style { color, ..self }
    }

    /// From a line's top to its baseline: the cap height (~0.72 em) centred in the line.
    fn baseline_offset(self) -> Mpt {
        (self.leading + self.size * 72 / 100) / 2
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// Text placed in a column: it wraps within `width` starting at `x`.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub text: String,
    pub x: Mpt,
    pub width: Mpt,
    pub align: Align,
    pub style: Style,
}

impl Cell {
    pub(crate) fn new(text: impl Into<String>, x: Mpt, width: Mpt, style: Style) -> Cell {
        Cell {
            text: text.into(),
            x,
            width,
            align: Align::Left,
            style,
        }
    }

    pub(crate) fn right(self) -> Cell {
        Cell {
            align: Align::Right,
            ..self
        }
    }
}

/// Cells side by side; line `k` of every cell shares one baseline.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub cells: Vec<Cell>,
    pub pad_top: Mpt,
    pub pad_bottom: Mpt,
    /// A background behind the whole row (only for rows kept together).
    pub fill: Option<Rgb>,
    /// A rule across the content width under the row: thickness and colour.
    pub rule_below: Option<(Mpt, Rgb)>,
    /// Move the row to the next page rather than split it, when it fits on one.
    pub keep_together: bool,
}

impl Row {
    pub(crate) fn new(cells: Vec<Cell>) -> Row {
        Row {
            cells,
            ..Row::default()
        }
    }

    pub(crate) fn single(cell: Cell) -> Row {
        Row::new(vec![cell])
    }
}

/// One wrapped line of text in one font.
#[derive(Debug, Clone, Default)]
pub(crate) struct Line {
    pub glyphs: Vec<u16>,
    pub width: Mpt,
}

/// The council's marks, resolved.
pub(crate) struct Brand {
    pub name: String,
    pub color: Rgb,
    /// For text on a band of `color`: white, or ink if the colour is light.
    pub on_color: Rgb,
    /// For the council's name on white: `color`, or ink if the colour is too light to read.
    pub text_color: Rgb,
}

pub(crate) struct Doc {
    regular: FontFace,
    bold: FontFace,
    pub brand: Brand,
    pub title: String,
    pages: Vec<Vec<Op>>,
    /// The top of the next line on the current page.
    pub y: Mpt,
    /// Where the current page's content started (a break there would not help).
    page_top: Mpt,
    /// Content must end above this.
    bottom: Mpt,
    contact: String,
    footer_lines: usize,
    /// Drawn again at the top of each following page (a table's heading).
    pub repeat: Option<Row>,
}

impl Doc {
    pub(crate) fn new(branding: &Branding, title: &str) -> Result<Doc, DocumentError> {
        let color = match branding.primary_color.as_deref() {
            Some(hex) => Rgb::parse(hex)?,
            None => Rgb::DEFAULT_BRAND,
        };
        let light = color.luma() > 165;
        let brand = Brand {
            name: branding.council_name.clone(),
            color,
            on_color: if light { Rgb::INK } else { Rgb::WHITE },
            text_color: if color.luma() > 140 { Rgb::INK } else { color },
        };
        let mut doc = Doc {
            regular: FontFace::load(Weight::Regular)?,
            bold: FontFace::load(Weight::Bold)?,
            brand,
            title: title.to_owned(),
            pages: Vec::new(),
            y: MARGIN_TOP,
            page_top: MARGIN_TOP,
            bottom: PAGE_H,
            contact: branding.contact.clone().unwrap_or_default(),
            footer_lines: 1,
            repeat: None,
        };
        // The footer (contact, page number) is reserved on every page.
        let contact = doc.contact.clone();
        let lines = doc.wrap(FOOTER, CONTENT_W - mm(25), &contact).len();
        doc.footer_lines = lines.max(1);
        let footer_height = FOOTER.leading * i64::try_from(doc.footer_lines).unwrap_or(1);
        doc.bottom = FOOTER_BOTTOM - footer_height - mm(6);
        doc.pages.push(Vec::new());
        Ok(doc)
    }

    fn font(&mut self, weight: Weight) -> &mut FontFace {
        match weight {
            Weight::Regular => &mut self.regular,
            Weight::Bold => &mut self.bold,
        }
    }

    pub(crate) fn fonts(&self) -> [&FontFace; 2] {
        [&self.regular, &self.bold]
    }

    pub(crate) fn pages(&self) -> &[Vec<Op>] {
        &self.pages
    }

    fn push(&mut self, op: Op) {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// A filled rectangle.
    pub(crate) fn fill(&mut self, x: Mpt, y: Mpt, w: Mpt, h: Mpt, color: Rgb) {
        self.push(Op::Fill { x, y, w, h, color });
    }

    /// A rule across the content width at the cursor; the cursor moves below it.
    pub(crate) fn rule(&mut self, thickness: Mpt, color: Rgb) {
        self.fill(MARGIN_X, self.y, CONTENT_W, thickness, color);
        self.y += thickness;
    }

    /// Vertical space (dropped at a page break, as the new page starts at its top).
    pub(crate) fn space(&mut self, h: Mpt) {
        self.y += h;
    }

    fn draw(&mut self, style: Style, x: Mpt, baseline: Mpt, line: Line) {
        if line.glyphs.is_empty() {
            return;
        }
        self.push(Op::Text {
            weight: style.weight,
            size: style.size,
            x,
            baseline,
            color: style.color,
            glyphs: line.glyphs,
        });
    }

    fn capacity(&self) -> Mpt {
        self.bottom - self.page_top
    }

    /// Starts a new page if `h` does not fit under the cursor; true if it did.
    pub(crate) fn ensure(&mut self, h: Mpt) -> bool {
        if self.y + h > self.bottom && self.y > self.page_top {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub(crate) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
        // Running header: the council's name, small, over a hairline.
        let style = Style::new(Weight::Bold, 10_000, 14_000, self.brand.text_color);
        let name = self.brand.name.clone();
        let baseline = self.y + style.baseline_offset();
        let line = self.shape_line(style.weight, style.size, &name);
        self.draw(style, MARGIN_X, baseline, line);
        self.y += style.leading + pt(3);
        self.rule(pt(1) / 2, self.brand.color);
        self.y += pt(12);
        self.page_top = self.y;
        if let Some(row) = self.repeat.clone() {
            self.row(&row);
            self.page_top = self.y;
        }
    }

    /// A paragraph across the content width (split across pages as needed).
    pub(crate) fn paragraph(&mut self, style: Style, text: &str) {
        self.row(&Row::single(Cell::new(text, MARGIN_X, CONTENT_W, style)));
    }

    /// The height a row will take.
    pub(crate) fn row_height(&mut self, row: &Row) -> Mpt {
        let (heights, _, _) = self.wrap_row(row);
        row.pad_top + heights.iter().sum::<Mpt>() + row.pad_bottom
    }

    fn wrap_row(&mut self, row: &Row) -> (Vec<Mpt>, Vec<Mpt>, Vec<Vec<Line>>) {
        let wrapped: Vec<Vec<Line>> = row
            .cells
            .iter()
            .map(|c| self.wrap(c.style, c.width, &c.text))
            .collect();
        let count = wrapped.iter().map(Vec::len).max().unwrap_or(0);
        let mut heights = Vec::with_capacity(count);
        let mut baselines = Vec::with_capacity(count);
        for k in 0..count {
            let styles = row
                .cells
                .iter()
                .zip(&wrapped)
                .filter(|(_, lines)| lines.len() > k)
                .map(|(c, _)| c.style);
            let (h, b) = styles.fold((0, 0), |(h, b), s| {
                (h.max(s.leading), b.max(s.baseline_offset()))
            });
            heights.push(h);
            baselines.push(b);
        }
        (heights, baselines, wrapped)
    }

    /// Lays out a row under the cursor, breaking pages between its lines when needed.
    pub(crate) fn row(&mut self, row: &Row) {
        let (heights, baselines, wrapped) = self.wrap_row(row);
        let total = row.pad_top + heights.iter().sum::<Mpt>() + row.pad_bottom;
        let together = row.keep_together && total <= self.capacity();
        if together {
            self.ensure(total);
        } else {
            self.ensure(row.pad_top + heights.first().copied().unwrap_or(0));
        }
        if let (Some(color), true) = (row.fill, together) {
            self.fill(MARGIN_X, self.y, CONTENT_W, total, color);
        }
        self.y += row.pad_top;
        let mut wrapped: Vec<std::vec::IntoIter<Line>> =
            wrapped.into_iter().map(Vec::into_iter).collect();
        for (h, b) in heights.into_iter().zip(baselines) {
            self.ensure(h);
            let baseline = self.y + b;
            for (cell, lines) in row.cells.iter().zip(wrapped.iter_mut()) {
                if let Some(line) = lines.next() {
                    let x = match cell.align {
                        Align::Left => cell.x,
                        Align::Right => cell.x + cell.width - line.width,
                    };
                    self.draw(cell.style, x, baseline, line);
                }
            }
            self.y += h;
        }
        self.y += row.pad_bottom;
        if let Some((thickness, color)) = row.rule_below {
            self.rule(thickness, color);
        }
    }

    /// Glyphs for a run of text without breaking it.
    fn shape_line(&mut self, weight: Weight, size: Mpt, text: &str) -> Line {
        let font = self.font(weight);
        let mut line = Line::default();
        let mut em = 0;
        for c in text.chars().filter(|c| is_printable(*c)) {
            let c = if is_break_space(c) { ' ' } else { c };
            let g = font.glyph(c);
            line.glyphs.push(g.id);
            em += g.width;
        }
        line.width = em * size / 1000;
        line
    }

    /// Greedy line breaking at spaces; `\n` is a hard break, a word longer than the width is
    /// split between characters. Runs of spaces collapse to one.
    pub(crate) fn wrap(&mut self, style: Style, width: Mpt, text: &str) -> Vec<Line> {
        let size = style.size;
        let font = self.font(style.weight);
        // Work in thousandths of an em × size, i.e. the same unit as `Mpt` × 1000 / size.
        let limit = width * 1000;
        let space = font.glyph(' ');
        let mut out = Vec::new();
        for hard in text.split('\n') {
            let mut line = Line::default();
            let mut em: i64 = 0;
            for word in hard.split(is_break_space).filter(|w| !w.is_empty()) {
                let glyphs: Vec<Glyph> = word
                    .chars()
                    .filter(|c| is_printable(*c))
                    .map(|c| font.glyph(c))
                    .collect();
                if glyphs.is_empty() {
                    continue;
                }
                let word_em: i64 = glyphs.iter().map(|g| g.width).sum();
                let gap = if line.glyphs.is_empty() {
                    0
                } else {
                    space.width
                };
                if (em + gap + word_em) * size <= limit {
                    if gap > 0 {
                        line.glyphs.push(space.id);
                    }
                    line.glyphs.extend(glyphs.iter().map(|g| g.id));
                    em += gap + word_em;
                    continue;
                }
                if !line.glyphs.is_empty() {
                    line.width = em * size / 1000;
                    out.push(std::mem::take(&mut line));
                    em = 0;
                }
                if word_em * size <= limit {
                    line.glyphs.extend(glyphs.iter().map(|g| g.id));
                    em = word_em;
                    continue;
                }
                // Longer than a whole line: split it.
                for g in glyphs {
                    if (em + g.width) * size > limit && !line.glyphs.is_empty() {
                        line.width = em * size / 1000;
                        out.push(std::mem::take(&mut line));
                        em = 0;
                    }
                    line.glyphs.push(g.id);
                    em += g.width;
                }
            }
            line.width = em * size / 1000;
            out.push(line);
        }
        out
    }

    /// The first page's header: the council's name, large, in its colour, over a rule.
    pub(crate) fn masthead(&mut self) {
        let style = Style::new(Weight::Bold, 18_000, 23_000, self.brand.text_color);
        let name = self.brand.name.clone();
        self.y = MARGIN_TOP;
        self.paragraph(style, &name);
        self.y += pt(4);
        self.rule(pt(3) / 2, self.brand.color);
    }

    /// Footers, then the PDF.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, DocumentError> {
        self.finish_pages();
        crate::pdf::write(&self)
    }

    /// Adds the footers (contact, "n / N" when there is more than one page) to every page.
    fn finish_pages(&mut self) {
        let total = self.pages.len();
        let contact = self.contact.clone();
        let lines = self.wrap(FOOTER, CONTENT_W - mm(25), &contact);
        let count = i64::try_from(self.footer_lines).unwrap_or(1);
        let top = FOOTER_BOTTOM - FOOTER.leading * count;
        for index in 0..total {
            let mut ops = vec![Op::Fill {
                x: MARGIN_X,
                y: top - pt(4),
                w: CONTENT_W,
                h: pt(1) / 2,
                color: Rgb::HAIRLINE,
            }];
            let mut y = top;
            for line in &lines {
                if !line.glyphs.is_empty() {
                    ops.push(Op::Text {
                        weight: FOOTER.weight,
                        size: FOOTER.size,
                        x: MARGIN_X,
                        baseline: y + FOOTER.baseline_offset(),
                        color: FOOTER.color,
                        glyphs: line.glyphs.clone(),
                    });
                }
                y += FOOTER.leading;
            }
            if total > 1 {
                let number = format!("{} / {}", index + 1, total);
                let line = self.shape_line(FOOTER.weight, FOOTER.size, &number);
                ops.push(Op::Text {
                    weight: FOOTER.weight,
                    size: FOOTER.size,
                    x: RIGHT - line.width,
                    baseline: top + FOOTER.baseline_offset(),
                    color: FOOTER.color,
                    glyphs: line.glyphs,
                });
            }
            if let Some(page) = self.pages.get_mut(index) {
                page.extend(ops);
            }
        }
    }
}

/// Spaces a line may break at; no-break spaces (U+00A0, U+2007, U+202F) are not.
fn is_break_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{A0}' | '\u{2007}' | '\u{202F}')
}

/// Control characters and the soft hyphen are not drawn (a tab or CR counts as a space).
fn is_printable(c: char) -> bool {
    !(c.is_control() || c == '\u{AD}') || is_break_space(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Doc {
        match Doc::new(&Branding::default(), "t") {
            Ok(doc) => doc,
            Err(e) => panic!("{e}"),
        }
    }

    const BODY: Style = Style::new(Weight::Regular, 10_000, 14_000, Rgb::INK);

    #[test]
    fn wraps_within_width_and_keeps_every_word() {
        let mut doc = doc();
        let text = "Nørrebrogade Łódź ąćęłńóśźż zone ".repeat(40);
        let lines = doc.wrap(BODY, mm(80), &text);
        assert!(lines.len() > 10, "{}", lines.len());
        assert!(lines.iter().all(|l| l.width <= mm(80)));
        let glyphs: usize = lines.iter().map(|l| l.glyphs.len()).sum();
        // Every character but the trailing space and one space per line break survives.
        assert_eq!(glyphs, text.chars().count() - lines.len());
    }

    #[test]
    fn splits_a_word_longer_than_the_line() {
        let mut doc = doc();
        let lines = doc.wrap(BODY, mm(30), &"x".repeat(200));
        assert!(lines.len() > 3);
        assert!(
            lines
                .iter()
                .all(|l| l.width <= mm(30) && !l.glyphs.is_empty())
        );
    }

    #[test]
    fn hard_breaks_and_blank_lines() {
        let mut doc = doc();
        let lines = doc.wrap(BODY, mm(100), "Med venlig hilsen\n\nBorgerservice");
        assert_eq!(lines.len(), 3);
        assert!(lines.get(1).is_some_and(|l| l.glyphs.is_empty()));
    }

    #[test]
    fn no_break_space_holds_an_amount_together() {
        let mut doc = doc();
        let amount = "1.620,00\u{A0}kr.";
        let one = doc.wrap(BODY, mm(100), amount);
        assert_eq!(one.len(), 1);
        let narrow = doc.wrap(BODY, mm(12), amount);
        // Too narrow: split by characters, never at the no-break space as a word gap.
        assert!(narrow.len() >= 2);
    }

    #[test]
    fn rows_continue_on_new_pages() {
        let mut doc = doc();
        for i in 0..200 {
            doc.paragraph(BODY, &format!("line {i}"));
        }
        assert!(doc.pages().len() >= 3, "{}", doc.pages().len());
        for page in doc.pages() {
            for op in page {
                if let Op::Text { baseline, .. } = op {
                    assert!(*baseline <= doc.bottom, "{baseline} > {}", doc.bottom);
                }
            }
        }
    }
}
