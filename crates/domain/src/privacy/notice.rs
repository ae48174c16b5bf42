//! The privacy notice: Markdown an operator writes, with its version in a front matter, and
//! the SHA-256 of the exact text, so a consent record names what the person was shown.

use sha2::{Digest, Sha256};

/// A notice as loaded: its version, its digest and the Markdown after the front matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub version: String,
    /// SHA-256 of the whole file as read (front matter included).
    pub sha256: [u8; 32],
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("the notice must start with a front matter: a line `---`, `version: <version>`, `---`")]
    NoFrontMatter,
    #[error("the notice's front matter has no `version:` (1 to 64 letters, digits, `.-_+`)")]
    NoVersion,
}

impl Notice {
    /// # Errors
    /// [`NoticeError`] when the text does not open with a front matter naming a version.
    pub fn parse(text: &str) -> Result<Self, NoticeError> {
        let text_without_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text_without_bom.split_inclusive('\n');
        if lines.next().map(str::trim_end) != Some("---") {
            return Err(NoticeError::NoFrontMatter);
        }
        let mut version = None;
        let mut consumed = 4;
        let mut closed = false;
        for line in lines.by_ref() {
            consumed += line.len();
            let line = line.trim_end();
            if line == "---" {
                closed = true;
                break;
            }
            if let Some(value) = line.strip_prefix("version:") {
                let value = value.trim().trim_matches(['"', '\'']);
                // Kept in a cookie and a query-free form field: letters, digits, `.-_+` only.
                let visible = !value.is_empty()
                    && value.len() <= 64
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
                version = visible.then(|| value.to_owned());
            }
        }
        if !closed {
            return Err(NoticeError::NoFrontMatter);
        }
        let version = version.ok_or(NoticeError::NoVersion)?;
        let body = text_without_bom
            .get(consumed.min(text_without_bom.len())..)
            .unwrap_or_default()
            .to_owned();
        Ok(Self {
            version,
            sha256: Sha256::digest(text.as_bytes()).into(),
            body,
        })
    }

    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_front_matter_names_the_version_and_the_digest_covers_the_whole_file() {
        let text =
            "---\ntitle: Privacy\nversion: \"2026-12-07\"\n---\n# Privacy\n\nWe keep little.\n";
        let notice = Notice::parse(text).unwrap();
        assert_eq!(notice.version, "2026-12-07");
        assert_eq!(notice.body, "# Privacy\n\nWe keep little.\n");
        let edited = Notice::parse(&text.replace("little", "less")).unwrap();
        assert_ne!(
            notice.sha256, edited.sha256,
            "a changed word is another text"
        );
        assert_eq!(notice.sha256_hex().len(), 64);
    }

    #[test]
    fn a_notice_without_a_version_is_refused() {
        assert_eq!(Notice::parse("# Privacy"), Err(NoticeError::NoFrontMatter));
        assert_eq!(
            Notice::parse("---\ntitle: x\n---\nbody"),
            Err(NoticeError::NoVersion)
        );
        assert_eq!(
            Notice::parse("---\nversion: 1\nbody"),
            Err(NoticeError::NoFrontMatter)
        );
        assert_eq!(
            Notice::parse("---\nversion: two words\n---\n"),
            Err(NoticeError::NoVersion)
        );
    }
}
