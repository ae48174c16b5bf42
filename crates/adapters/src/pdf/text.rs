//! Setting text in one face: characters to glyphs, kerning, widths and line breaks.
//!
//! One glyph per character, from the font's `cmap`, with the pair kerning of its legacy
//! `kern` table (what genpdf did): enough for the Latin, Greek and Cyrillic of names,
//! addresses and figures. Scripts that need shaping (Arabic joining, Indic reordering) would
//! need a shaper such as rustybuzz here; the text stays extractable either way, since the PDF
//! maps every glyph back to its character.

use ttf_parser::{FaceParsingError, GlyphId, kern::Subtable};

/// A parsed font file, borrowed from its bytes.
pub(super) struct Face<'a> {
    ttf: ttf_parser::Face<'a>,
    /// The horizontal pair-kerning subtables; state-machine (AAT) ones are left out.
    kerning: Vec<Subtable<'a>>,
    units_per_em: f32,
}

/// One character's glyph, as set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Glyph {
    /// The glyph id in the whole font (0, `.notdef`, for a character it has no glyph for).
    pub(super) id: u16,
    pub(super) ch: char,
    /// Advance width, in font units.
    pub(super) advance: u16,
    /// Kerning against the previous glyph, in font units (negative brings them closer).
    pub(super) kern: i16,
}

impl<'a> Face<'a> {
    pub(super) fn parse(data: &'a [u8]) -> Result<Self, FaceParsingError> {
        let ttf = ttf_parser::Face::parse(data, 0)?;
        let kerning = ttf
            .tables()
            .kern
            .map(|kern| {
                kern.subtables
                    .into_iter()
                    .filter(|s| s.horizontal && !s.variable && !s.has_cross_stream)
                    .filter(|s| !s.has_state_machine)
                    .collect()
            })
            .unwrap_or_default();
        // A zero would divide every width by zero; ttf-parser rejects fonts outside 16..=16384.
        let units_per_em = f32::from(ttf.units_per_em().max(1));
        Ok(Self {
            ttf,
            kerning,
            units_per_em,
        })
    }

    pub(super) fn ttf(&self) -> &ttf_parser::Face<'a> {
        &self.ttf
    }

    pub(super) fn units_per_em(&self) -> f32 {
        self.units_per_em
    }

    /// A length in font units, at `size` points, in points.
    pub(super) fn scale(&self, units: f32, size: f32) -> f32 {
        units * size / self.units_per_em
    }

    /// The glyphs that set `text`, in order.
    pub(super) fn glyphs<'t>(&'t self, text: &'t str) -> impl Iterator<Item = Glyph> + 't {
        let mut previous: Option<GlyphId> = None;
        text.chars().map(move |ch| {
            // Tabs and line breaks have no glyph: they print as spaces.
            let shown = if ch.is_control() { ' ' } else { ch };
            let id = self.ttf.glyph_index(shown).unwrap_or(GlyphId(0));
            let kern = previous.map_or(0, |left| self.kerning(left, id));
            previous = Some(id);
            Glyph {
                id: id.0,
                ch: shown,
                advance: self.ttf.glyph_hor_advance(id).unwrap_or(0),
                kern,
            }
        })
    }

    /// The width of `text` set at `size` points, in points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        let units: i32 = self
            .glyphs(text)
            .map(|glyph| i32::from(glyph.advance) + i32::from(glyph.kern))
            .sum();
        // Exact: a line's units stay far below f32's 2^24 integers.
        #[allow(clippy::cast_precision_loss)]
        self.scale(units as f32, size)
    }

    /// `text` broken into lines no wider than `width` points, between words where possible;
    /// a word wider than the line is broken between characters. Runs of whitespace print as
    /// one space. An empty text is one empty line, so that it still takes its line's height.
    pub(super) fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line = self.break_word(word, size, width, &mut lines);
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Pushes the full-width pieces of a word too long for a line; returns what is left.
    fn break_word(&self, word: &str, size: f32, width: f32, lines: &mut Vec<String>) -> String {
        let mut piece = String::new();
        for ch in word.chars() {
            piece.push(ch);
            if self.width(&piece, size) > width && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::replace(&mut piece, ch.to_string()));
            }
        }
        piece
    }

    fn kerning(&self, left: GlyphId, right: GlyphId) -> i16 {
        self.kerning
            .iter()
            .filter_map(|subtable| subtable.glyphs_kerning(left, right))
            .fold(0, i16::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    /// Skips (returns `None`) where DejaVu is not installed: the integration tests in
    /// `tests/pdf.rs` fail loudly instead.
    fn dejavu() -> Option<Vec<u8>> {
        std::fs::read(DEJAVU).ok()
    }

    #[test]
    fn lines_break_between_words_and_inside_words_too_long_for_a_line() {
        let Some(data) = dejavu() else { return };
        let face = Face::parse(&data).unwrap();
        let size = 10.0;
        let width = face.width("Usage: input", size) + 0.1;
        assert_eq!(
            face.wrap("Usage:  input tokens", size, width),
            ["Usage: input", "tokens"]
        );
        assert_eq!(face.wrap("", size, width), [""]);
        let long = "x".repeat(40);
        let lines = face.wrap(&long, size, width);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.concat(), long);
        assert!(lines.iter().all(|line| face.width(line, size) <= width));
    }

    #[test]
    fn glyphs_come_from_the_cmap_with_pair_kerning() {
        let Some(data) = dejavu() else { return };
        let face = Face::parse(&data).unwrap();
        let glyphs: Vec<Glyph> = face.glyphs("AV€中").collect();
        assert!(glyphs[0].id != 0 && glyphs[2].id != 0, "{glyphs:?}");
        assert!(
            glyphs[1].kern < 0,
            "A and V kern in DejaVu Sans: {glyphs:?}"
        );
        assert_eq!(glyphs[3].id, 0, "no CJK in DejaVu Sans: .notdef");
        assert!(face.width("AV", 10.0) < face.width("A", 10.0) + face.width("V", 10.0));
    }
}
