use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::hmac_sha256;

#[test]
fn the_fixed_size_key_gives_the_same_mac_as_any_key_length_would() {
    for len in [0, 1, 24, 32, 63, 64, 65, 200] {
        let key: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let mut reference = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        reference.update(b"1767225600.{\"id\":1}");
        let expected: [u8; 32] = reference.finalize().into_bytes().into();
        assert_eq!(
            hmac_sha256(&key, &[b"1767225600", b".", b"{\"id\":1}"]),
            expected,
            "key of {len} bytes"
        );
    }
}
