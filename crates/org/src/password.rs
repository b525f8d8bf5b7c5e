//! Passwords: Argon2id with the OWASP-recommended parameters (19 MiB memory, two
//! passes, one lane — the argon2 crate's defaults), a fresh random salt per hash,
//! stored as a PHC string so parameters can be raised later without breaking
//! existing hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use kernel::ApiError;

pub const MIN_LENGTH: u64 = 12;

pub fn hash(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            ApiError::internal(std::io::Error::other(format!(
                "password hashing failed: {e}"
            )))
        })
}

pub fn verify(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Spends the same time as a real check, so a login for an unknown user cannot be
/// told apart from a wrong password by how long it takes.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("a password nobody has").unwrap_or_default());
    let _ = verify(password, phc);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_owasp_and_salted() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salts must differ");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterz", &a));
        assert!(!verify("x", "not a phc string"));
    }
}
