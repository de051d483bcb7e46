//! Text that the code page cannot hold (Arabic, Chinese, Ukrainian…) rendered to a 1-bit image for
//! `GS v 0`. parley lays the text out (bidi reordering, Arabic joining, CJK line breaking, font
//! fallback per script among the system fonts through fontconfig) and swash rasterises the glyphs.

use parley::fontique::{Collection, CollectionOptions, Language, SourceCache};
use parley::{
    Alignment, AlignmentOptions, FontContext, FontFamily, FontWeight, GenericFamily, Layout, LayoutContext, LineHeight,
    PositionedLayoutItem, StyleProperty,
};
use swash::FontRef;
use swash::scale::{Render, ScaleContext, Source};
use swash::zeno::{Format, Vector};

/// Coverage (0–255) from which a dot is printed black.
const INK_THRESHOLD: u8 = 112;

/// The fonts and the layout and rasterisation caches used to render raster lines. Loading the
/// system fonts takes a moment, so one is kept for the whole process (see `encode_ticket`).
pub struct TicketFonts {
    fonts: FontContext,
    layout: LayoutContext<()>,
    scale: ScaleContext,
}

impl TicketFonts {
    /// The fonts installed on the system, found through fontconfig (on Debian: fonts-noto-core for
    /// Arabic and most scripts, fonts-noto-cjk for Chinese, fonts-dejavu-core for Latin and Cyrillic).
    pub fn system() -> Self {
        Self::from_collection(Collection::new(CollectionOptions {
            shared: false,
            system_fonts: true,
        }))
    }

    /// No fonts at all: every line outside the code page falls back to its code-page characters
    /// with `?` for the rest. For tests of that fallback.
    pub fn none() -> Self {
        Self::from_collection(Collection::new(CollectionOptions {
            shared: false,
            system_fonts: false,
        }))
    }

    fn from_collection(collection: Collection) -> Self {
        Self {
            fonts: FontContext {
                collection,
                source_cache: SourceCache::default(),
            },
            layout: LayoutContext::new(),
            scale: ScaleContext::new(),
        }
    }

    /// Renders `text` as one paragraph wrapped to `width` dots, or `None` when a character has no
    /// glyph in any available font (or there is nothing to print).
    pub(crate) fn render(&mut self, text: &str, language: &str, width: u16, look: &RasterLook) -> Option<Bitmap> {
        let mut builder = self.layout.ranged_builder(&mut self.fonts, text, 1.0, true);
        builder.push_default(StyleProperty::FontFamily(FontFamily::from(GenericFamily::SansSerif)));
        builder.push_default(StyleProperty::FontSize(look.pixels));
        builder.push_default(StyleProperty::LineHeight(LineHeight::FontSizeRelative(1.3)));
        if look.bold {
            builder.push_default(StyleProperty::FontWeight(FontWeight::BOLD));
        }
        if let Ok(language) = Language::parse(language) {
            builder.push_default(StyleProperty::Locale(Some(language)));
        }
        let mut layout: Layout<()> = builder.build(text);
        layout.break_all_lines(Some(f32::from(width)));
        let alignment = if look.centered {
            Alignment::Center
        } else {
            Alignment::Start
        };
        layout.align(alignment, AlignmentOptions::default());

        let (columns, rows) = (usize::from(width), layout.height().ceil() as usize);
        if rows == 0 {
            return None;
        }
        let mut coverage = vec![0_u8; columns * rows];
        let mut glyphs = 0_usize;
        for line in layout.lines() {
            for item in line.items() {
                let PositionedLayoutItem::GlyphRun(glyph_run) = item else {
                    continue;
                };
                let run = glyph_run.run();
                let font = run.font();
                let font_ref = FontRef::from_index(font.data.as_ref(), font.index as usize)?;
                let mut scaler = self
                    .scale
                    .builder(font_ref)
                    .size(run.font_size())
                    .hint(true)
                    .normalized_coords(run.normalized_coords())
                    .build();
                let mut render = Render::new(&[Source::Outline]);
                render.format(Format::Alpha);
                if run.synthesis().embolden() {
                    render.embolden(look.pixels / 24.0);
                }
                for glyph in glyph_run.positioned_glyphs() {
                    // Glyph 0 is .notdef: no font covers this character.
                    let id = u16::try_from(glyph.id).ok().filter(|&id| id != 0)?;
                    glyphs += 1;
                    render.offset(Vector::new(glyph.x.fract(), glyph.y.fract()));
                    let Some(image) = render.render(&mut scaler, id) else {
                        continue;
                    };
                    let left = glyph.x.floor() as i64 + i64::from(image.placement.left);
                    let top = glyph.y.floor() as i64 - i64::from(image.placement.top);
                    let (w, h) = (image.placement.width as usize, image.placement.height as usize);
                    for (dy, source) in image.data.chunks_exact(w.max(1)).take(h).enumerate() {
                        let Ok(y) = usize::try_from(top + dy as i64) else {
                            continue;
                        };
                        if y >= rows {
                            continue;
                        }
                        for (dx, &alpha) in source.iter().enumerate() {
                            let Ok(x) = usize::try_from(left + dx as i64) else {
                                continue;
                            };
                            if x < columns {
                                let dot = &mut coverage[y * columns + x];
                                *dot = (*dot).max(alpha);
                            }
                        }
                    }
                }
            }
        }
        if glyphs == 0 {
            return None;
        }
        Some(Bitmap::from_coverage(width, &coverage, look.inverted))
    }
}

/// How a raster paragraph looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RasterLook {
    /// Font size in dots (the code page's font A is 24 dots high).
    pub pixels: f32,
    pub bold: bool,
    /// Centred, or aligned to the start of the text's direction (right for Arabic).
    pub centered: bool,
    /// White on black, as reverse printing does for text.
    pub inverted: bool,
}

/// A 1-bit image, rows of `width / 8` bytes, most significant bit leftmost, 1 = black: the layout of
/// `GS v 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bitmap {
    /// Dots per row, a multiple of 8.
    pub width: u16,
    pub height: u16,
    pub bits: Vec<u8>,
}

impl Bitmap {
    fn from_coverage(width: u16, coverage: &[u8], inverted: bool) -> Self {
        let columns = usize::from(width);
        let bytes_per_row = columns.div_ceil(8);
        let rows = coverage.len() / columns.max(1);
        let mut bits = vec![0_u8; bytes_per_row * rows];
        for (y, row) in coverage.chunks_exact(columns).enumerate() {
            for (x, &alpha) in row.iter().enumerate() {
                if (alpha >= INK_THRESHOLD) != inverted {
                    bits[y * bytes_per_row + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        let height = u16::try_from(rows).unwrap_or(u16::MAX);
        bits.truncate(bytes_per_row * usize::from(height));
        Self {
            width: bytes_per_row as u16 * 8,
            height,
            bits,
        }
    }

    /// `GS v 0` commands printing this image, in bands of at most `max_rows` rows (some printers
    /// cannot take taller images in one command). Byte sequences that a printer would take for a
    /// real-time command (`DLE EOT`, `DLE ENQ`, `DLE DC4`) are broken by dropping one dot, so that the
    /// image never triggers a status answer or a buffer clear.
    pub fn commands(&self, max_rows: u16) -> Vec<Vec<u8>> {
        let bytes_per_row = usize::from(self.width / 8);
        if bytes_per_row == 0 {
            return Vec::new();
        }
        self.bits
            .chunks(bytes_per_row * usize::from(max_rows.max(1)))
            .map(|band| {
                let rows = (band.len() / bytes_per_row) as u16;
                let [xl, xh] = (bytes_per_row as u16).to_le_bytes();
                let [yl, yh] = rows.to_le_bytes();
                let mut command = vec![0x1D, b'v', b'0', 0, xl, xh, yl, yh];
                let start = command.len();
                command.extend_from_slice(band);
                break_realtime_sequences(&mut command[start..]);
                command
            })
            .collect()
    }
}

/// Breaks every `DLE` (0x10) followed by `EOT`, `ENQ` or `DC4` in image data by clearing the `DLE`
/// byte's dot: printers scan all incoming bytes for real-time commands, even inside images.
pub(crate) fn break_realtime_sequences(data: &mut [u8]) {
    for i in 0..data.len().saturating_sub(1) {
        if data[i] == 0x10 && matches!(data[i + 1], 0x04 | 0x05 | 0x14) {
            data[i] = 0x00;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_packs_dots_msb_first_and_bands_rows() {
        let mut coverage = vec![0_u8; 16 * 3];
        coverage[0] = 255;
        coverage[9] = 200;
        coverage[16 + 15] = 255;
        let bitmap = Bitmap::from_coverage(16, &coverage, false);
        assert_eq!(bitmap.bits, [0x80, 0x40, 0x00, 0x01, 0x00, 0x00]);
        let commands = bitmap.commands(2);
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[0][..8], [0x1D, b'v', b'0', 0, 2, 0, 2, 0]);
        assert_eq!(commands[1][..8], [0x1D, b'v', b'0', 0, 2, 0, 1, 0]);
    }

    #[test]
    fn image_data_never_holds_a_realtime_command() {
        let mut data = [0x10, 0x04, 0x01, 0x10, 0x05, 0x10, 0x14, 0x10, 0x20];
        break_realtime_sequences(&mut data);
        assert_eq!(data, [0x00, 0x04, 0x01, 0x00, 0x05, 0x00, 0x14, 0x10, 0x20]);
    }
}
