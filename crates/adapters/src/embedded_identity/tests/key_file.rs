//! The key file: made once, private, never replaced, refused when it may have leaked.

#[cfg(unix)]
use super::mode_of;
use super::{
    AUDIENCE, EmbeddedIdentityError, EmbeddedIssuer, ISSUER, KEY_FILE_NAME, TempDir, issuer_in,
};

#[test]
fn the_key_is_made_once_then_reused() {
    let temp = TempDir::new();
    let first = issuer_in(&temp.keys());
    let key_path = temp.keys().join(KEY_FILE_NAME);
    assert_eq!(first.key_path(), Some(key_path.as_path()));
    let pem = std::fs::read_to_string(&key_path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));

    let second = issuer_in(&temp.keys());
    assert_eq!(first.kid(), second.kid());
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), pem);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(temp.keys()).unwrap().count(), 1);
}

#[test]
fn another_directory_gets_another_key() {
    let temp = TempDir::new();
    let one = issuer_in(&temp.0.join("one"));
    let two = issuer_in(&temp.0.join("two"));
    assert_ne!(one.kid(), two.kid());
}

#[test]
fn processes_starting_together_share_one_key() {
    let temp = TempDir::new();
    let dir = temp.keys();
    let kids: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| issuer_in(&dir).kid().to_owned()))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(kids.iter().all(|kid| *kid == kids[0]), "{kids:?}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_in_place_of_the_key_is_refused() {
    let temp = TempDir::new();
    let elsewhere = temp.0.join("elsewhere");
    let issuer = issuer_in(&elsewhere);
    std::fs::create_dir_all(temp.keys()).unwrap();
    std::os::unix::fs::symlink(issuer.key_path().unwrap(), temp.keys().join(KEY_FILE_NAME))
        .unwrap();
    let error =
        EmbeddedIssuer::load_or_create(&temp.keys(), ISSUER.to_owned(), AUDIENCE.to_owned())
            .unwrap_err();
    assert!(
        matches!(error, EmbeddedIdentityError::NotARegularFile { .. }),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn the_key_file_is_private() {
    let temp = TempDir::new();
    issuer_in(&temp.keys());
    assert_eq!(mode_of(&temp.keys().join(KEY_FILE_NAME)), 0o600);
    assert_eq!(mode_of(&temp.keys()), 0o700);
}

#[cfg(unix)]
#[test]
fn a_key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let temp = TempDir::new();
    issuer_in(&temp.keys());
    let key_path = temp.keys().join(KEY_FILE_NAME);
    for mode in [0o640, 0o604, 0o644] {
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(mode)).unwrap();
        let error =
            EmbeddedIssuer::load_or_create(&temp.keys(), ISSUER.to_owned(), AUDIENCE.to_owned())
                .unwrap_err();
        assert!(
            matches!(error, EmbeddedIdentityError::LoosePermissions { mode: m, .. } if m == mode),
            "{error}"
        );
    }
    // Refused, not replaced.
    assert_eq!(mode_of(&key_path), 0o644);
}

#[test]
fn a_key_file_that_is_not_a_key_is_refused_and_kept() {
    let temp = TempDir::new();
    issuer_in(&temp.keys());
    let key_path = temp.keys().join(KEY_FILE_NAME);
    std::fs::write(&key_path, "not a key").unwrap();
    let error =
        EmbeddedIssuer::load_or_create(&temp.keys(), ISSUER.to_owned(), AUDIENCE.to_owned())
            .unwrap_err();
    assert!(
        matches!(error, EmbeddedIdentityError::InvalidKey { .. }),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), "not a key");
}

#[test]
fn a_seed_makes_the_same_issuer_as_the_key_file_it_came_from() {
    let temp = TempDir::new();
    let from_file = issuer_in(&temp.keys());
    let seed = EmbeddedIssuer::seed_kept_in(&temp.keys())
        .unwrap()
        .expect("the file's key");
    let from_seed =
        EmbeddedIssuer::from_seed(seed.as_slice(), ISSUER.to_owned(), AUDIENCE.to_owned()).unwrap();
    assert_eq!(from_seed.kid(), from_file.kid());
    assert_eq!(from_seed.key_path(), None);
    let token = from_seed
        .issue(
            "alice",
            "default",
            "owner",
            &[],
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(from_file.decode_claims(&token).unwrap().sub, "alice");

    assert!(
        EmbeddedIssuer::seed_kept_in(&temp.0.join("none"))
            .unwrap()
            .is_none()
    );
    let short = EmbeddedIssuer::from_seed(&[7; 31], ISSUER.to_owned(), AUDIENCE.to_owned());
    assert!(matches!(
        short,
        Err(EmbeddedIdentityError::InvalidKey { .. })
    ));
}
