//! Token secrets: 32 bytes from the operating system's CSPRNG, shown once as `hl_` +
//! base64url. Only their SHA-256 is stored; a fast hash is enough for random secrets of
//! this strength (there is no dictionary to try).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Marks a hotline token, so a leaked one is recognisable (secret scanners, logs).
pub const PREFIX: &str = "hl_";

/// Random bytes per secret.
const SECRET_BYTES: usize = 32;

/// A fresh secret.
pub fn generate() -> anyhow::Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the system's random source failed: {e}"))?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// SHA-256 of a presented secret.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The digest as stored: lowercase hex.
pub fn digest_hex(secret: &str) -> String {
    digest(secret).iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored digest back to bytes; `None` if it is not 64 hex digits.
pub fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The last four characters, shown in lists to tell tokens apart.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX));
        // 32 bytes in unpadded base64url.
        assert_eq!(a.len(), PREFIX.len() + 43);
        assert!(
            a[PREFIX.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn digests_round_trip_through_hex() {
        let hex = digest_hex("hl_example");
        assert_eq!(hex.len(), 64);
        assert_eq!(parse_digest(&hex), Some(digest("hl_example")));
        assert_eq!(parse_digest("zz"), None);
        assert_eq!(parse_digest(&"g".repeat(64)), None);
    }

    #[test]
    fn hints_are_the_tail() {
        assert_eq!(hint("hl_abcdefgh"), "efgh");
        assert_eq!(hint("ab"), "ab");
    }
}
