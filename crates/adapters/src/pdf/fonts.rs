//! The font family every document is set in, read from disk and checked once, at startup.
//!
//! PDF viewers only guarantee the 14 standard fonts, which cover Windows-1252 at best: a
//! customer named `Łódź Sp. z o.o.` or an amount in `₹` needs an embedded TrueType font.
//! Documents use two styles, regular and bold; the files are found by the family's stem
//! (`DejaVuSans.ttf`, `DejaVuSans-Bold.ttf`), with the `-Regular` convention of most other
//! families (Liberation, Noto) tried too.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use subsetter::GlyphRemapper;

use super::text::Face;

/// Where Debian and Ubuntu's `fonts-dejavu-core` install DejaVu.
pub const DEFAULT_FONT_DIRECTORY: &str = "/usr/share/fonts/truetype/dejavu";
/// DejaVu Sans: free, on every Debian system, and with glyphs for most scripts and currencies.
pub const DEFAULT_FONT_FAMILY: &str = "DejaVuSans";

/// Which TrueType family documents are set in, and the directory its files are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontConfig {
    pub directory: PathBuf,
    /// The files' common stem: `DejaVuSans` for `DejaVuSans.ttf`, `DejaVuSans-Bold.ttf`...
    pub family: String,
}

impl Default for FontConfig {
    fn default() -> Self {
        Self {
            directory: PathBuf::from(DEFAULT_FONT_DIRECTORY),
            family: DEFAULT_FONT_FAMILY.to_owned(),
        }
    }
}

/// Why the renderer could not be built. Raised at startup, so a missing package stops the
/// service before it promises invoices it cannot produce.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error(
        "the {style} style of font family `{family}` is not in {directory} (looked for {tried}): \
         install the default fonts with `apt-get install fonts-dejavu-core`, or configure a \
         font directory and family that exist"
    )]
    Missing {
        family: String,
        style: &'static str,
        directory: PathBuf,
        tried: String,
    },
    #[error("cannot read font file {path}: {source}")]
    Unreadable { path: PathBuf, source: io::Error },
    #[error("{path} is not a usable TrueType font: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// The two styles, each with the file suffixes tried in order.
const STYLES: [(&str, &[&str]); 2] = [("regular", &["", "-Regular"]), ("bold", &["-Bold"])];

/// Characters every document prints (digits, capitals, punctuation of amounts and dates): a
/// family without them would produce invoices of empty boxes.
const REQUIRED: &str = "0123456789,.-:%()ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// One style's file, kept whole: each document embeds the subset of it that it uses.
pub(super) struct FontFile {
    pub(super) path: PathBuf,
    pub(super) data: Vec<u8>,
    /// The PostScript name the PDF gives the font (`DejaVuSans-Bold`).
    pub(super) postscript_name: String,
}

impl FontFile {
    /// Parses the file: cheap (ttf-parser reads table offsets, not glyphs), so done per
    /// document rather than kept in a self-referencing struct.
    pub(super) fn face(&self) -> Result<Face<'_>, String> {
        Face::parse(&self.data).map_err(|error| format!("{}: {error}", self.path.display()))
    }
}

/// The family's regular and bold files.
pub(super) struct Fonts {
    pub(super) regular: FontFile,
    pub(super) bold: FontFile,
}

/// Reads the family's files and checks that documents can be set and embedded in them.
///
/// # Errors
/// `Missing` naming the directory when a style has no file, `Unreadable` for a file that
/// cannot be read, `Invalid` for one that is not a TrueType font, lacks the glyphs every
/// document needs, or cannot be subset.
pub(super) fn load(config: &FontConfig) -> Result<Fonts, FontError> {
    let [regular, bold] = STYLES.map(|(style, suffixes)| {
        let path = find(config, style, suffixes)?;
        let data = fs::read(&path).map_err(|source| FontError::Unreadable {
            path: path.clone(),
            source,
        })?;
        let postscript_name = check(&data).map_err(|reason| FontError::Invalid {
            path: path.clone(),
            reason,
        })?;
        Ok(FontFile {
            path,
            data,
            postscript_name,
        })
    });
    Ok(Fonts {
        regular: regular?,
        bold: bold?,
    })
}

/// Everything that would otherwise fail on the first invoice: parsing, TrueType outlines (the
/// PDF embeds them as `FontFile2`; CFF-flavoured OpenType is not supported), the glyphs in
/// [`REQUIRED`], and subsetting. Returns the PostScript name.
fn check(data: &[u8]) -> Result<String, String> {
    let face = Face::parse(data).map_err(|error| error.to_string())?;
    let ttf = face.ttf();
    if ttf.tables().glyf.is_none() {
        return Err("no TrueType outlines (glyf table): use a .ttf, not a CFF-based .otf".into());
    }
    let missing: String = REQUIRED
        .chars()
        .filter(|c| ttf.glyph_index(*c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!("no glyphs for {missing:?}"));
    }
    let mut remapper = GlyphRemapper::new();
    for glyph in face.glyphs(REQUIRED) {
        remapper.remap(glyph.id);
    }
    subsetter::subset(data, 0, &remapper)
        .map_err(|error| format!("cannot be subset for embedding: {error}"))?;
    Ok(postscript_name(&face))
}

/// The font's PostScript name (name id 6), reduced to the characters a PDF name may hold
/// unescaped; `Font` when it has none.
fn postscript_name(face: &Face<'_>) -> String {
    let name: String = face
        .ttf()
        .names()
        .into_iter()
        .filter(|name| name.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|name| name.to_string())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if name.is_empty() {
        "Font".to_owned()
    } else {
        name
    }
}

fn find(config: &FontConfig, style: &'static str, suffixes: &[&str]) -> Result<PathBuf, FontError> {
    let candidates: Vec<PathBuf> = suffixes
        .iter()
        .map(|suffix| {
            config
                .directory
                .join(format!("{}{suffix}.ttf", config.family))
        })
        .collect();
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .ok_or_else(|| FontError::Missing {
            family: config.family.clone(),
            style,
            directory: config.directory.clone(),
            tried: candidates
                .iter()
                .filter_map(|path| path.file_name().map(Path::new))
                .map(|name| name.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_truetype_font_is_refused_at_load() {
        assert!(check(b"not a font").is_err());
        // Skipped where DejaVu is not installed: tests/pdf.rs fails loudly instead.
        let Ok(dejavu) = fs::read(Path::new(DEFAULT_FONT_DIRECTORY).join("DejaVuSans-Bold.ttf"))
        else {
            return;
        };
        assert_eq!(check(&dejavu).as_deref(), Ok("DejaVuSans-Bold"));
    }
}
