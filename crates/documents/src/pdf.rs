//! Writing the laid-out pages as PDF 1.7 with `pdf-writer`.
//!
//! Each used font is embedded as a Type 0 font with Identity-H encoding over a CIDFontType2
//! (TrueType outlines) holding only the glyphs the document uses (`subsetter`), with a
//! `/ToUnicode` map so the text can be searched, copied and extracted. Streams are
//! Flate-compressed. Nothing time- or randomness-dependent is written (no dates, no `/ID`),
//! and the subset tag is a hash of the glyphs used, so equal input gives equal bytes.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::writers::Resources;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::DocumentError;
use crate::font::{FontFace, Weight};
use crate::layout::{Doc, Op};
use crate::units::{PAGE_H, PAGE_W, to_pdf};

const SYSTEM_INFO: SystemInfo<'static> = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

fn resource_name(weight: Weight) -> Name<'static> {
    match weight {
        Weight::Regular => Name(b"F1"),
        Weight::Bold => Name(b"F2"),
    }
}

struct Refs {
    next: i32,
}

impl Refs {
    fn bump(&mut self) -> Ref {
        let r = Ref::new(self.next);
        self.next += 1;
        r
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// Serializes a finished document.
pub(crate) fn write(doc: &Doc) -> Result<Vec<u8>, DocumentError> {
    let mut refs = Refs { next: 1 };
    let catalog_id = refs.bump();
    let tree_id = refs.bump();
    let info_id = refs.bump();

    let mut pdf = Pdf::new();
    pdf.set_version(1, 7);
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.document_info(info_id)
        .title(TextStr(&doc.title))
        .producer(TextStr("civicpay-documents"));

    let mut fonts: Vec<(Weight, Ref)> = Vec::new();
    for (weight, font) in [Weight::Regular, Weight::Bold].into_iter().zip(doc.fonts()) {
        if font.is_used() {
            let id = write_font(&mut pdf, &mut refs, font)?;
            fonts.push((weight, id));
        }
    }

    let page_ids: Vec<(Ref, Ref)> = doc
        .pages()
        .iter()
        .map(|_| (refs.bump(), refs.bump()))
        .collect();
    let count = i32::try_from(page_ids.len()).unwrap_or(i32::MAX);
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(count);

    for ((page_id, content_id), ops) in page_ids.iter().zip(doc.pages()) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, to_pdf(PAGE_W), to_pdf(PAGE_H)));
        page.parent(tree_id);
        page.contents(*content_id);
        let mut resources: Resources<'_> = page.resources();
        let mut font_dict = resources.fonts();
        for (weight, id) in &fonts {
            font_dict.pair(resource_name(*weight), *id);
        }
        font_dict.finish();
        resources.finish();
        page.finish();

        let content = deflate(content(ops).as_slice());
        pdf.stream(*content_id, &content)
            .filter(Filter::FlateDecode);
    }

    Ok(pdf.finish())
}

fn content(ops: &[Op]) -> pdf_writer::Buf {
    let mut c = Content::new();
    for op in ops {
        match op {
            Op::Fill { x, y, w, h, color } => {
                let (r, g, b) = color.to_pdf();
                c.set_fill_rgb(r, g, b);
                c.rect(to_pdf(*x), to_pdf(PAGE_H - *y - *h), to_pdf(*w), to_pdf(*h));
                c.fill_nonzero();
            }
            Op::Text {
                weight,
                size,
                x,
                baseline,
                color,
                glyphs,
            } => {
                let (r, g, b) = color.to_pdf();
                let bytes: Vec<u8> = glyphs.iter().flat_map(|g| g.to_be_bytes()).collect();
                c.begin_text();
                c.set_fill_rgb(r, g, b);
                c.set_font(resource_name(*weight), to_pdf(*size));
                c.next_line(to_pdf(*x), to_pdf(PAGE_H - *baseline));
                c.show(Str(&bytes));
                c.end_text();
            }
        }
    }
    c.finish()
}

/// Writes one subset font; returns the reference of its Type 0 font dictionary.
fn write_font(pdf: &mut Pdf, refs: &mut Refs, font: &FontFace) -> Result<Ref, DocumentError> {
    let type0_id = refs.bump();
    let cid_id = refs.bump();
    let descriptor_id = refs.bump();
    let cmap_id = refs.bump();
    let file_id = refs.bump();

    let subset =
        subsetter::subset(font.data, 0, &font.remapper).map_err(|e| DocumentError::Font {
            font: font.ps_name,
            reason: e.to_string(),
        })?;
    let base_font = format!("{}+{}", subset_tag(font), font.ps_name);
    let base_font = Name(base_font.as_bytes());

    pdf.type0_font(type0_id)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);

    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base_font)
        .system_info(SYSTEM_INFO)
        .font_descriptor(descriptor_id)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths()
        .consecutive(0, font.widths.iter().map(|w| *w as f32));
    cid.finish();

    let m = font.metrics();
    let [x0, y0, x1, y1] = m.bbox.map(|v| v as f32);
    pdf.font_descriptor(descriptor_id)
        .name(base_font)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(x0, y0, x1, y1))
        .italic_angle(0.0)
        .ascent(m.ascent as f32)
        .descent(m.descent as f32)
        .cap_height(m.cap_height as f32)
        .stem_v(m.stem_v as f32)
        .font_file2(file_id);

    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), SYSTEM_INFO);
    for (id, c) in font.unicode.iter().enumerate() {
        if let (Some(c), Ok(id)) = (c, u16::try_from(id)) {
            cmap.pair(id, *c);
        }
    }
    let cmap = deflate(cmap.finish().as_slice());
    pdf.cmap(cmap_id, &cmap).filter(Filter::FlateDecode);

    let length = i32::try_from(subset.len()).unwrap_or(i32::MAX);
    let data = deflate(&subset);
    pdf.stream(file_id, &data)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), length);
    Ok(type0_id)
}

/// Six capital letters derived from the glyphs in the subset (FNV-1a), as PDF asks of a
/// subset font's name; stable across runs and Rust versions.
fn subset_tag(font: &FontFace) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |byte: u8| {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    font.ps_name.bytes().for_each(&mut eat);
    for gid in font.remapper.remapped_gids() {
        gid.to_be_bytes().into_iter().for_each(&mut eat);
    }
    (0..6)
        .map(|i| {
            let letter = (hash >> (i * 10)) % 26;
            char::from(b'A' + u8::try_from(letter).unwrap_or(0))
        })
        .collect()
}
