//! The font family every document is set in, read from disk once, at startup.
//!
//! PDF viewers only guarantee the 14 standard fonts, which cover Windows-1252 at best: a
//! customer named `Łódź Sp. z o.o.` or an amount in `₹` needs an embedded TrueType font.
//! genpdf embeds the four styles of one family; its own loader wants them named
//! `{family}-Regular.ttf`, `-Bold`, `-Italic` and `-BoldItalic`, which DejaVu (`DejaVuSans.ttf`,
//! `-Oblique`, `-BoldOblique`) does not follow, so the files are found and read here.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use genpdf::fonts::{FontData, FontFamily};

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

/// The four styles, each with the file suffixes tried in order: DejaVu's names first, then
/// the `-Regular`/`-Italic` convention most other families (Liberation, Noto) use.
const STYLES: [(&str, &[&str]); 4] = [
    ("regular", &["", "-Regular"]),
    ("bold", &["-Bold"]),
    ("italic", &["-Oblique", "-Italic"]),
    ("bold italic", &["-BoldOblique", "-BoldItalic"]),
];

/// Reads and parses the family's four files.
///
/// # Errors
/// `Missing` naming the directory when a style has no file, `Unreadable` or `Invalid` for a
/// file that cannot be read or parsed.
pub(super) fn load(config: &FontConfig) -> Result<FontFamily<FontData>, FontError> {
    let [regular, bold, italic, bold_italic] = STYLES.map(|(style, suffixes)| {
        let path = find(config, style, suffixes)?;
        let bytes = fs::read(&path).map_err(|source| FontError::Unreadable {
            path: path.clone(),
            source,
        })?;
        FontData::new(bytes, None).map_err(|error| FontError::Invalid {
            path,
            reason: error.to_string(),
        })
    });
    Ok(FontFamily {
        regular: regular?,
        bold: bold?,
        italic: italic?,
        bold_italic: bold_italic?,
    })
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
