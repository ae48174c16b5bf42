//! The cursor's text: base64url (unpadded) of `1|<list>|<key>`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::DateTime;
use tollgate_application::ports::CreationKey;
use uuid::Uuid;

/// The format's version: a cursor of another version is refused, never misread.
const VERSION: &str = "1";
/// Longer than any cursor this API makes: anything longer is refused unread.
const MAX_LEN: usize = 512;

/// A list's sort key, as a cursor holds it.
pub trait CursorKey: Sized {
    fn write(&self) -> String;
    fn read(text: &str) -> Option<Self>;
}

impl CursorKey for Uuid {
    fn write(&self) -> String {
        self.to_string()
    }

    fn read(text: &str) -> Option<Self> {
        Uuid::parse_str(text).ok()
    }
}

impl CursorKey for i64 {
    fn write(&self) -> String {
        self.to_string()
    }

    fn read(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl CursorKey for u32 {
    fn write(&self) -> String {
        self.to_string()
    }

    fn read(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// A store's own cursor, carried as is: the store checks it.
impl CursorKey for String {
    fn write(&self) -> String {
        self.clone()
    }

    fn read(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

/// `<microseconds since the epoch>|<id>`: PostgreSQL keeps microseconds, so the time comes
/// back exactly as stored and the keyset comparison neither skips nor repeats a row.
impl CursorKey for CreationKey {
    fn write(&self) -> String {
        format!("{}|{}", self.created_at.timestamp_micros(), self.id)
    }

    fn read(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once('|')?;
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

pub(super) fn encode<K: CursorKey>(list: &str, key: &K) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}|{list}|{}", key.write()))
}

/// The key of a cursor `list` handed out; `None` for any other text. Only the exact text
/// [`encode`] makes is taken, so one position has one cursor.
pub(super) fn decode<K: CursorKey>(list: &str, text: &str) -> Option<K> {
    if text.len() > MAX_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let plain = std::str::from_utf8(&bytes).ok()?;
    let (version, rest) = plain.split_once('|')?;
    let (named, key) = rest.split_once('|')?;
    if version != VERSION || named != list {
        return None;
    }
    let key = K::read(key)?;
    (encode(list, &key) == text).then_some(key)
}
