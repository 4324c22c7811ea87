//! Lengths and colours. Layout is done in integers — thousandths of a point — and becomes a
//! float only here, where `pdf-writer` takes its `f32` operands.

use crate::DocumentError;

/// A length in thousandths of a PostScript point (1 pt = 1/72 inch).
pub(crate) type Mpt = i64;

/// Whole points.
pub(crate) const fn pt(v: i64) -> Mpt {
    v * 1_000
}

/// Millimetres (1 mm = 72 / 25.4 pt ≈ 2.834 645 7 pt), rounded to the nearest thousandth.
pub(crate) const fn mm(v: i64) -> Mpt {
    (v * 28_346_457 + 5_000) / 10_000
}

/// A4 portrait.
pub(crate) const PAGE_W: Mpt = mm(210);
pub(crate) const PAGE_H: Mpt = mm(297);

/// A length as the PDF wants it: points, as `f32`.
#[expect(
    clippy::float_arithmetic,
    reason = "pdf-writer takes f32 operands; this is the one place a layout length becomes a float"
)]
pub(crate) fn to_pdf(v: Mpt) -> f32 {
    v as f32 / 1000.0
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub(crate) const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
    /// Body text.
    pub(crate) const INK: Rgb = Rgb(0x1a, 0x1a, 0x1a);
    /// Labels and small print.
    pub(crate) const MUTED: Rgb = Rgb(0x5f, 0x63, 0x68);
    /// Hairlines between table rows.
    pub(crate) const HAIRLINE: Rgb = Rgb(0xd0, 0xd4, 0xd9);
    /// When a council sets no colour.
    pub(crate) const DEFAULT_BRAND: Rgb = Rgb(0x1f, 0x5c, 0xa8);

    /// `#rrggbb` or `#rgb`.
    pub(crate) fn parse(s: &str) -> Result<Rgb, DocumentError> {
        let bad = || DocumentError::InvalidColor(s.to_owned());
        let hex = s.trim().strip_prefix('#').ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let channel = |i: usize, len: usize| -> Result<u8, DocumentError> {
            let digits = hex.get(i..i + len).ok_or_else(bad)?;
            let v = u8::from_str_radix(digits, 16).map_err(|_| bad())?;
            Ok(if len == 1 { v * 17 } else { v })
        };
        match hex.len() {
            6 => Ok(Rgb(channel(0, 2)?, channel(2, 2)?, channel(4, 2)?)),
            3 => Ok(Rgb(channel(0, 1)?, channel(1, 1)?, channel(2, 1)?)),
            _ => Err(bad()),
        }
    }

    /// Perceived brightness, 0–255 (ITU-R BT.601 weights).
    pub(crate) fn luma(self) -> u32 {
        (299 * u32::from(self.0) + 587 * u32::from(self.1) + 114 * u32::from(self.2)) / 1000
    }

    /// The colour mixed with white: `percent` of white (0–100).
    pub(crate) fn tint(self, percent: u32) -> Rgb {
        let mix = |c: u8| {
            let c = u32::from(c);
            let v = c + (255 - c) * percent.min(100) / 100;
            u8::try_from(v).unwrap_or(u8::MAX)
        };
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }

    /// The channels as the PDF wants them: 0.0–1.0.
    #[expect(
        clippy::float_arithmetic,
        reason = "pdf-writer takes colour channels as f32 in 0..=1"
    )]
    pub(crate) fn to_pdf(self) -> (f32, f32, f32) {
        (
            f32::from(self.0) / 255.0,
            f32::from(self.1) / 255.0,
            f32::from(self.2) / 255.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_long_and_short_hex() {
        assert_eq!(Rgb::parse("#1f5ca8").ok(), Some(Rgb(0x1f, 0x5c, 0xa8)));
        assert_eq!(Rgb::parse("#FFF").ok(), Some(Rgb::WHITE));
        for bad in ["1f5ca8", "#1f5ca", "#12345g", "#", "", "#+1+2+3"] {
            assert!(Rgb::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a4_in_points() {
        assert_eq!((PAGE_W, PAGE_H), (595_276, 841_890));
    }

    #[test]
    fn tint_and_luma() {
        assert_eq!(Rgb(0, 0, 0).tint(100), Rgb::WHITE);
        assert_eq!(Rgb(0, 0, 0).tint(0), Rgb(0, 0, 0));
        assert!(Rgb::WHITE.luma() > 250);
        assert!(Rgb::DEFAULT_BRAND.luma() < 120);
    }
}
