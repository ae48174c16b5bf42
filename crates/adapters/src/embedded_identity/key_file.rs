//! The signing key on disk: one Ed25519 key pair as PKCS#8 PEM, readable by its owner only.
//!
//! The file is made once and never replaced: replacing it would silently invalidate every token
//! already minted, and two processes starting together for the first time must end up sharing
//! one key, not each holding its own. So the key is written in full to a private temporary file
//! and then hard-linked to its final name, which (unlike `rename`) fails if the name is taken:
//! whoever links first wins and the others read the winner's key.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

use ed25519_dalek::{
    SigningKey,
    pkcs8::{
        DecodePrivateKey, EncodePrivateKey,
        spki::der::{pem::LineEnding, zeroize::Zeroizing},
    },
};
use rand::{TryRngCore, rngs::OsRng};

use super::EmbeddedIdentityError;

/// The key's file name inside the directory given to `EmbeddedIssuer::load_or_create`.
pub const KEY_FILE_NAME: &str = "identity-signing-key.pem";

/// Loads the key kept in `dir`, first making it (and `dir`) when there is none.
pub(super) fn load_or_create(dir: &Path) -> Result<(SigningKey, PathBuf), EmbeddedIdentityError> {
    let path = dir.join(KEY_FILE_NAME);
    if let Some(key) = read_existing(&path)? {
        return Ok((key, path));
    }
    private_dir(dir)?;
    let key = generate()?;
    if publish(dir, &path, &key)? {
        tracing::info!(path = %path.display(), "made a new embedded identity signing key");
        Ok((key, path))
    } else {
        // Another process published its key between our look and our link: use that one.
        let key = read_existing(&path)?.ok_or_else(|| {
            EmbeddedIdentityError::io(
                "read",
                &path,
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "vanished right after being created",
                ),
            )
        })?;
        Ok((key, path))
    }
}

/// `None` when there is no key file yet; a file that is there but unusable is an error, never a
/// reason to make a new key over it.
pub(super) fn read_existing(path: &Path) -> Result<Option<SigningKey>, EmbeddedIdentityError> {
    // `symlink_metadata` so that a link planted in place of the key is refused, not followed.
    let link = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(EmbeddedIdentityError::io("inspect", path, e)),
    };
    if !link.file_type().is_file() {
        return Err(EmbeddedIdentityError::NotARegularFile { path: path.into() });
    }
    let mut file = File::open(path).map_err(|e| EmbeddedIdentityError::io("open", path, e))?;
    // The permissions are checked on the opened file, so they are those of what is read.
    let metadata = file
        .metadata()
        .map_err(|e| EmbeddedIdentityError::io("inspect", path, e))?;
    if !metadata.is_file() {
        return Err(EmbeddedIdentityError::NotARegularFile { path: path.into() });
    }
    ensure_private(path, &metadata)?;
    let mut pem = Zeroizing::new(String::new());
    file.read_to_string(&mut pem)
        .map_err(|e| EmbeddedIdentityError::io("read", path, e))?;
    SigningKey::from_pkcs8_pem(&pem)
        .map(Some)
        .map_err(|e| EmbeddedIdentityError::InvalidKey {
            path: path.into(),
            reason: e.to_string(),
        })
}

fn generate() -> Result<SigningKey, EmbeddedIdentityError> {
    let mut seed = Zeroizing::new([0_u8; 32]);
    OsRng
        .try_fill_bytes(seed.as_mut())
        .map_err(|e| EmbeddedIdentityError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes `key` under `path` unless a key is already there; `false` when one was.
fn publish(dir: &Path, path: &Path, key: &SigningKey) -> Result<bool, EmbeddedIdentityError> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| EmbeddedIdentityError::InvalidKey {
            path: path.into(),
            reason: e.to_string(),
        })?;
    let mut suffix = [0_u8; 8];
    OsRng
        .try_fill_bytes(&mut suffix)
        .map_err(|e| EmbeddedIdentityError::Random(e.to_string()))?;
    let temp = dir.join(format!(".{KEY_FILE_NAME}.{}.tmp", hex::encode(suffix)));

    let published =
        write_private(&temp, pem.as_bytes()).and_then(|()| match fs::hard_link(&temp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(EmbeddedIdentityError::io("create", path, e)),
        });
    // Linked or not, the temporary name goes: once linked it is only a second name of the key.
    if let Err(e) = fs::remove_file(&temp)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %temp.display(), error = %e, "cannot remove a temporary key file");
    }
    let published = published?;
    if published {
        // Makes the new name durable; some file systems cannot sync a directory, hence no error.
        if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
            tracing::debug!(path = %dir.display(), error = %e, "cannot sync the key directory");
        }
    }
    Ok(published)
}

fn write_private(path: &Path, contents: &[u8]) -> Result<(), EmbeddedIdentityError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Set at creation, so the key is never readable by others, not even for an instant.
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| EmbeddedIdentityError::io("create", path, e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| EmbeddedIdentityError::io("write", path, e))
}

fn private_dir(dir: &Path) -> Result<(), EmbeddedIdentityError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        // Only directories made here get 0700; an existing directory is the operator's choice.
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| EmbeddedIdentityError::io("create the directory", dir, e))
}

#[cfg(unix)]
fn ensure_private(path: &Path, metadata: &fs::Metadata) -> Result<(), EmbeddedIdentityError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(EmbeddedIdentityError::LoosePermissions {
            path: path.into(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn ensure_private(_path: &Path, _metadata: &fs::Metadata) -> Result<(), EmbeddedIdentityError> {
    // No mode bits to check; the directory's access control list is what protects the key.
    Ok(())
}
