//! The embedded fonts (DejaVu Sans, regular and bold) and the glyphs a document uses of them.
//!
//! Text is mapped character by character to glyphs through the font's `cmap` (no shaping: the
//! Latin scripts of our councils need no ligatures or reordering, and DejaVu has precomposed
//! æøå, ąćęłńóśźż and the Dutch ĳ). Each glyph a document uses is given a new, dense id for
//! the subset; widths are kept in thousandths of an em, rounded, and the same rounded widths
//! go into the PDF's `/W` array, so what the layout measured is what a viewer advances.

use std::collections::HashMap;

use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use crate::DocumentError;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Used for a character the font does not have, first one that exists.
const FALLBACKS: [char; 2] = ['\u{FFFD}', '?'];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// A glyph of the subset: its new id and its advance in thousandths of an em.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Glyph {
    pub id: u16,
    pub width: i64,
}

/// Font-wide metrics in thousandths of an em, for the font descriptor.
pub(crate) struct Metrics {
    pub ascent: i64,
    pub descent: i64,
    pub cap_height: i64,
    pub bbox: [i64; 4],
    pub stem_v: i64,
}

pub(crate) struct FontFace {
    pub data: &'static [u8],
    pub ps_name: &'static str,
    face: Face<'static>,
    upem: i64,
    pub remapper: GlyphRemapper,
    /// Indexed by new glyph id: the character the glyph stands for (for `/ToUnicode`).
    pub unicode: Vec<Option<char>>,
    /// Indexed by new glyph id: the advance in thousandths of an em (for `/W`).
    pub widths: Vec<i64>,
    cache: HashMap<char, Glyph>,
}

impl FontFace {
    pub(crate) fn load(weight: Weight) -> Result<FontFace, DocumentError> {
        let (data, ps_name) = match weight {
            Weight::Regular => (REGULAR, "DejaVuSans"),
            Weight::Bold => (BOLD, "DejaVuSans-Bold"),
        };
        let face = Face::parse(data, 0).map_err(|e| DocumentError::Font {
            font: ps_name,
            reason: e.to_string(),
        })?;
        let upem = i64::from(face.units_per_em());
        if upem == 0 {
            return Err(DocumentError::Font {
                font: ps_name,
                reason: "units per em is 0".to_owned(),
            });
        }
        let mut font = FontFace {
            data,
            ps_name,
            face,
            upem,
            remapper: GlyphRemapper::new(),
            unicode: vec![None],
            widths: Vec::new(),
            cache: HashMap::new(),
        };
        // .notdef is always glyph 0 of a subset.
        let notdef = font.advance(GlyphId(0));
        font.widths.push(notdef);
        Ok(font)
    }

    /// Whether any glyph besides .notdef is used.
    pub(crate) fn is_used(&self) -> bool {
        self.remapper.num_gids() > 1
    }

    /// The subset glyph for a character (a fallback glyph if the font lacks it).
    pub(crate) fn glyph(&mut self, c: char) -> Glyph {
        if let Some(glyph) = self.cache.get(&c) {
            return *glyph;
        }
        let (shown, old) = std::iter::once(c)
            .chain(FALLBACKS)
            .find_map(|ch| self.face.glyph_index(ch).map(|g| (ch, g)))
            .unwrap_or((c, GlyphId(0)));
        let id = self.remapper.remap(old.0);
        if usize::from(id) == self.unicode.len() {
            self.unicode.push(Some(shown));
            let width = self.advance(old);
            self.widths.push(width);
        }
        let width = self.widths.get(usize::from(id)).copied().unwrap_or(0);
        let glyph = Glyph { id, width };
        self.cache.insert(c, glyph);
        glyph
    }

    pub(crate) fn metrics(&self) -> Metrics {
        let bbox = self.face.global_bounding_box();
        let stem_v = match self.ps_name {
            "DejaVuSans-Bold" => 140,
            _ => 80,
        };
        Metrics {
            ascent: self.em(i64::from(self.face.ascender())),
            descent: self.em(i64::from(self.face.descender())),
            cap_height: self.em(i64::from(
                self.face
                    .capital_height()
                    .unwrap_or_else(|| self.face.ascender()),
            )),
            bbox: [
                self.em(i64::from(bbox.x_min)),
                self.em(i64::from(bbox.y_min)),
                self.em(i64::from(bbox.x_max)),
                self.em(i64::from(bbox.y_max)),
            ],
            stem_v,
        }
    }

    fn advance(&self, glyph: GlyphId) -> i64 {
        self.em(i64::from(self.face.glyph_hor_advance(glyph).unwrap_or(0)))
    }

    /// Font units to thousandths of an em, rounded half away from zero.
    fn em(&self, units: i64) -> i64 {
        let scaled = units * 1000;
        let half = self.upem / 2;
        if scaled >= 0 {
            (scaled + half) / self.upem
        } else {
            (scaled - half) / self.upem
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_danish_dutch_polish() {
        for weight in [Weight::Regular, Weight::Bold] {
            let Ok(font) = FontFace::load(weight) else {
                panic!("font loads");
            };
            for c in "æøåÆØÅäëïöüĳĲ€ąćęłńóśźżĄĆĘŁŃÓŚŹŻ•–—…§".chars()
            {
                assert!(
                    font.face.glyph_index(c).is_some(),
                    "{c} in {}",
                    font.ps_name
                );
            }
        }
    }

    #[test]
    fn glyphs_get_dense_ids_and_fallback() {
        let Ok(mut font) = FontFace::load(Weight::Regular) else {
            panic!("font loads");
        };
        let a = font.glyph('a');
        let b = font.glyph('ø');
        assert_eq!((a.id, b.id), (1, 2));
        assert_eq!(font.glyph('a').id, 1);
        assert!(a.width > 400 && a.width < 800, "{}", a.width);
        // A character DejaVu lacks (a CJK ideograph) shows the replacement character.
        let missing = font.glyph('\u{4E00}');
        assert_eq!(
            font.unicode.get(usize::from(missing.id)),
            Some(&Some('\u{FFFD}'))
        );
        assert_eq!(font.widths.len(), font.unicode.len());
    }
}
