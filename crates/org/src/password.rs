//! Passwords: Argon2id with the OWASP-recommended parameters (19 MiB memory, two
//! passes, one lane — the argon2 crate's defaults), a fresh random salt per hash,
//! stored as a PHC string so parameters can be raised later without breaking
//! existing hashes. At most as many hashes run at once as the machine has cores
//! (the work is all CPU, so more would only wait for a core while each holds its
//! 19 MiB): a burst of sign-ins queues instead of growing the process's memory.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use kernel::ApiError;

pub const MIN_LENGTH: u64 = 12;

/// A counting gate: one permit per core.
struct Gate {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

struct Permit(&'static Gate);

impl Drop for Permit {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

fn permit() -> Permit {
    static GATE: std::sync::OnceLock<Gate> = std::sync::OnceLock::new();
    let gate = GATE.get_or_init(|| Gate {
        free: std::sync::Mutex::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
        freed: std::sync::Condvar::new(),
    });
    let mut free = gate.free.lock().unwrap_or_else(|e| e.into_inner());
    while *free == 0 {
        free = gate.freed.wait(free).unwrap_or_else(|e| e.into_inner());
    }
    *free -= 1;
    Permit(gate)
}

pub fn hash(password: &str) -> Result<String, ApiError> {
    let _permit = permit();
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
    let _permit = permit();
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

    #[test]
    fn no_more_hashes_at_once_than_cores() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let held: Vec<Permit> = (0..cores).map(|_| permit()).collect();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _p = permit();
            tx.send(()).unwrap();
        });
        // Every permit is held: the next one waits…
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(held);
        // …until one is given back.
        assert!(rx.recv_timeout(std::time::Duration::from_secs(5)).is_ok());
    }
}
