//! Laid-out pages to PDF bytes, with pdf-writer: each face embedded as the subset of glyphs
//! the document uses.
//!
//! Fonts are written as Type 0 fonts with an `Identity-H` encoding: the content streams hold
//! 2-byte glyph ids of the subset (subsetter renumbers them from 0), `/W` gives their widths
//! and a `/ToUnicode` map gives each glyph's character back, which is what lets `pdftotext`,
//! search and copy-paste read `Zoë` or `€`. Embedding the subset rather than the whole file
//! is what keeps a document at a few tens of kilobytes and its rendering at milliseconds.

use std::collections::BTreeSet;

use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_writer::{
    Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr,
    types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap},
};
use subsetter::GlyphRemapper;
use ttf_parser::GlyphId;

use super::{
    fonts::{FontFile, Fonts},
    page::{Faces, Item, PAGE_HEIGHT, PAGE_WIDTH, Weight},
    text::{Face, Glyph},
};

/// zlib's default. On the bench's 20-line invoice, level 1 makes it 25 % larger (39 KB, not
/// 31 KB) for 0.7 ms less, level 9 no smaller for 0.2 ms more.
const COMPRESSION: u8 = 6;
const WEIGHTS: [Weight; 2] = [Weight::Regular, Weight::Bold];
/// Glyph ids are the CIDs, in no registered character collection.
const IDENTITY: SystemInfo<'static> = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// The PDF file of `pages`, titled `title`.
///
/// # Errors
/// When a face cannot be subset (checked at startup with the glyphs every document uses, so
/// only for a glyph the check did not cover).
pub(super) fn pdf(
    fonts: &Fonts,
    faces: &Faces<'_>,
    pages: &[Vec<Item>],
    title: &str,
) -> Result<Vec<u8>, String> {
    let mut used = WEIGHTS.map(|_| Used::default());
    let contents: Vec<Vec<u8>> = pages
        .iter()
        .map(|items| content(items, faces, &mut used))
        .collect();
    warn_missing(&used);

    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let catalog = next.bump();
    let tree = next.bump();
    let info = next.bump();
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (next.bump(), next.bump())).collect();
    let font_refs = WEIGHTS.map(|_| next.bump());

    pdf.catalog(catalog).pages(tree).lang(TextStr("en"));
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Tollgate"));
    let count = i32::try_from(pages.len()).map_err(|_| "too many pages".to_owned())?;
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(page, _)| *page))
        .count(count);
    for ((page, content_ref), content) in page_refs.iter().zip(&contents) {
        let mut page = pdf.page(*page);
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .contents(*content_ref);
        let mut resources = page.resources();
        let mut resource_fonts = resources.fonts();
        for ((weight, font), used) in WEIGHTS.iter().zip(font_refs).zip(&used) {
            if used.any {
                resource_fonts.pair(resource_name(*weight), font);
            }
        }
        resource_fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(*content_ref, &compress_to_vec_zlib(content, COMPRESSION))
            .filter(Filter::FlateDecode);
    }
    for ((weight, font), used) in WEIGHTS.iter().zip(font_refs).zip(&used) {
        if used.any {
            let (file, face) = match weight {
                Weight::Regular => (&fonts.regular, &faces.regular),
                Weight::Bold => (&fonts.bold, &faces.bold),
            };
            write_font(&mut pdf, &mut next, font, file, face, used)?;
        }
    }
    Ok(pdf.finish())
}

/// The glyphs one face set in the document.
#[derive(Default)]
struct Used {
    any: bool,
    /// The face's glyph ids to the subset's, in order of first use (`.notdef` is 0).
    remapper: GlyphRemapper,
    /// Each subset glyph's character, by subset id, for `/ToUnicode`.
    characters: Vec<Option<char>>,
    /// Characters the face has no glyph for: they print as `.notdef` boxes.
    missing: BTreeSet<char>,
}

impl Used {
    /// Appends the glyph's 2-byte subset id to `shown`.
    fn encode(&mut self, glyph: Glyph, shown: &mut Vec<u8>) {
        self.any = true;
        let id = self.remapper.remap(glyph.id);
        if glyph.id == 0 {
            self.missing.insert(glyph.ch);
        } else {
            let index = usize::from(id);
            if self.characters.len() <= index {
                self.characters.resize(index + 1, None);
            }
            // Two characters on one glyph (a space and a no-break space) read as the first.
            self.characters[index].get_or_insert(glyph.ch);
        }
        shown.extend(id.to_be_bytes());
    }
}

/// One page's content stream.
fn content(items: &[Item], faces: &Faces<'_>, used: &mut [Used; 2]) -> Vec<u8> {
    let mut content = Content::new();
    for item in items {
        match item {
            Item::Text {
                x,
                baseline,
                style,
                text,
            } => {
                let face = faces.get(style.weight);
                let used = &mut used[slot(style.weight)];
                content.set_fill_gray(style.gray);
                content.begin_text();
                content.set_font(resource_name(style.weight), style.size);
                content.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, PAGE_HEIGHT - baseline]);
                show(&mut content, face, used, text);
                content.end_text();
            }
            Item::Rule {
                x,
                y,
                width,
                thickness,
                gray,
            } => {
                content.set_stroke_gray(*gray);
                content.set_line_width(*thickness);
                content.move_to(*x, PAGE_HEIGHT - y);
                content.line_to(x + width, PAGE_HEIGHT - y);
                content.stroke();
            }
        }
    }
    content.finish().into_vec()
}

/// `TJ`: the glyphs in runs, with a kerning adjustment between runs where the font has one.
fn show(content: &mut Content, face: &Face<'_>, used: &mut Used, text: &str) {
    let mut operation = content.show_positioned();
    let mut items = operation.items();
    let mut run = Vec::with_capacity(2 * text.len());
    for glyph in face.glyphs(text) {
        if glyph.kern != 0 {
            if !run.is_empty() {
                items.show(Str(&run));
                run.clear();
            }
            // In thousandths of the font size, subtracted from the position.
            items.adjust(-f32::from(glyph.kern) * 1000.0 / face.units_per_em());
        }
        used.encode(glyph, &mut run);
    }
    if !run.is_empty() {
        items.show(Str(&run));
    }
}

/// The Type 0 font at `font`, its CID font, descriptor, subset file and `/ToUnicode` map.
fn write_font(
    pdf: &mut Pdf,
    next: &mut Ref,
    font: Ref,
    file: &FontFile,
    face: &Face<'_>,
    used: &Used,
) -> Result<(), String> {
    let (cid_font, descriptor, font_file, to_unicode) =
        (next.bump(), next.bump(), next.bump(), next.bump());
    let subset = subsetter::subset(&file.data, 0, &used.remapper)
        .map_err(|error| format!("cannot subset {}: {error}", file.path.display()))?;
    // A subset's name starts with a tag of six capitals that differs between subsets.
    let name = format!("{}+{}", tag(&used.remapper), file.postscript_name);
    let name = Name(name.as_bytes());
    // PDF glyph space is 1/1000 of the font size.
    let to_pdf = |units: f32| units * 1000.0 / face.units_per_em();
    let ttf = face.ttf();

    pdf.type0_font(font)
        .base_font(name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type2)
        .base_font(name)
        .system_info(IDENTITY)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let widths = used.remapper.remapped_gids().map(|old| {
        to_pdf(f32::from(
            ttf.glyph_hor_advance(GlyphId(old)).unwrap_or_default(),
        ))
    });
    cid.widths().consecutive(0, widths);
    cid.finish();

    let bbox = ttf.global_bounding_box();
    let mut flags = FontFlags::SYMBOLIC;
    flags.set(FontFlags::ITALIC, ttf.is_italic());
    flags.set(FontFlags::FIXED_PITCH, ttf.is_monospaced());
    let ascent = f32::from(ttf.ascender());
    pdf.font_descriptor(descriptor)
        .name(name)
        .flags(flags)
        .bbox(Rect::new(
            to_pdf(f32::from(bbox.x_min)),
            to_pdf(f32::from(bbox.y_min)),
            to_pdf(f32::from(bbox.x_max)),
            to_pdf(f32::from(bbox.y_max)),
        ))
        .italic_angle(ttf.italic_angle())
        .ascent(to_pdf(ascent))
        .descent(to_pdf(f32::from(ttf.descender())))
        .cap_height(to_pdf(ttf.capital_height().map_or(ascent, f32::from)))
        // No table holds the dominant stem width; this estimate from the weight class is
        // typst's, and viewers only use it to fake a missing font.
        .stem_v(10.0 + 0.244 * (f32::from(ttf.weight().to_number()) - 50.0))
        .font_file2(font_file);

    let length = i32::try_from(subset.len()).map_err(|_| "font subset too large".to_owned())?;
    pdf.stream(font_file, &compress_to_vec_zlib(&subset, COMPRESSION))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), length);

    let mut cmap = UnicodeCmap::new(Name(b"Tollgate-UTF16"), IDENTITY);
    for (id, ch) in used.characters.iter().enumerate() {
        if let (Ok(id), Some(ch)) = (u16::try_from(id), ch) {
            cmap.pair(id, *ch);
        }
    }
    pdf.stream(
        to_unicode,
        &compress_to_vec_zlib(cmap.finish().as_slice(), COMPRESSION),
    )
    .filter(Filter::FlateDecode);
    Ok(())
}

/// Where a face's [`Used`] is, in the order of [`WEIGHTS`].
fn slot(weight: Weight) -> usize {
    match weight {
        Weight::Regular => 0,
        Weight::Bold => 1,
    }
}

fn resource_name(weight: Weight) -> Name<'static> {
    match weight {
        Weight::Regular => Name(b"F1"),
        Weight::Bold => Name(b"F2"),
    }
}

/// Six capitals from a hash (FNV-1a) of the subset's glyphs: the same glyphs give the same
/// tag, so the same document gives the same bytes.
fn tag(remapper: &GlyphRemapper) -> String {
    let hash = remapper
        .remapped_gids()
        .flat_map(u16::to_be_bytes)
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    (0..6)
        .scan(hash, |rest, _| {
            let letter = char::from(b'A' + u8::try_from(*rest % 26).unwrap_or(0));
            *rest /= 26;
            Some(letter)
        })
        .collect()
}

/// Logs characters the font has no glyph for, once per document: the PDF still reads right
/// (they are not in `/ToUnicode`, so extracted text lacks them), but shows boxes.
fn warn_missing(used: &[Used; 2]) {
    let missing: BTreeSet<char> = used
        .iter()
        .flat_map(|u| u.missing.iter().copied())
        .collect();
    if !missing.is_empty() {
        let missing: String = missing.into_iter().collect();
        tracing::warn!(
            %missing,
            "the document's font has no glyphs for these characters: configure a font family that does"
        );
    }
}
