//! Passwords: Argon2id with the OWASP-recommended parameters (19 MiB memory, two
//! passes, one lane — the argon2 crate's defaults), a fresh random salt per hash,
//! stored as a PHC string so parameters can be raised later without breaking
//! existing hashes. Hashes run on one thread per core (see [`on_hashing_thread`]),
//! each reusing one working memory for every hash it computes: a burst of
//! sign-ins queues for a core instead of growing the process's memory.

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use kernel::ApiError;

pub const MIN_LENGTH: u64 = 12;

/// Runs `f` on one of the hashing threads, one per core, and waits for it. The
/// work is all CPU, so more threads would only wait for a core; and confining
/// Argon2's 19 MiB working memory to these few threads keeps the allocator from
/// holding a copy for every thread that ever hashed (a burst of sign-ins on
/// actix's blocking pool otherwise grew the process by gigabytes).
fn on_hashing_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    type Job = Box<dyn FnOnce() + Send>;
    static QUEUE: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..hashing_threads() {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || {
                    loop {
                        let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                });
        }
        std::sync::Mutex::new(tx)
    });
    let (done, result) = std::sync::mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = done.send(f());
    });
    let sent = queue.lock().unwrap_or_else(|e| e.into_inner()).send(job);
    match sent {
        Ok(()) => result.recv().expect("a hashing thread answers"),
        // No hashing thread could be started: hash here.
        Err(std::sync::mpsc::SendError(job)) => {
            job();
            result.recv().expect("the job answers")
        }
    }
}

fn hashing_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

thread_local! {
    /// The hashing thread's Argon2 working memory, kept between hashes. Freed
    /// after each hash, 19 MiB blocks teach glibc's allocator to keep them in
    /// its arenas (its mmap threshold rises to their size): a burst of sign-ins
    /// took the server from 77 MB to over 300 MB that way.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 of `password` into `out`, in this thread's kept working memory.
fn compute(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    let blocks = argon.params().block_count();
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

pub fn hash(password: &str) -> Result<String, ApiError> {
    let password = password.to_owned();
    on_hashing_thread(move || -> Result<String, String> {
        let params = Params::default();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let salt = Salt::generate();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        compute(&argon, password.as_bytes(), &salt, &mut out).map_err(|e| e.to_string())?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
        };
        Ok(phc.to_string())
    })
    .map_err(|e| {
        ApiError::internal(std::io::Error::other(format!(
            "password hashing failed: {e}"
        )))
    })
}

pub fn verify(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    on_hashing_thread(move || verify_phc(password.as_bytes(), &phc).unwrap_or(false))
}

/// Checks `password` against a PHC string with the parameters it names.
fn verify_phc(password: &[u8], phc: &str) -> Option<bool> {
    let hash = PasswordHash::new(phc).ok()?;
    let (salt, expected) = (hash.salt.as_ref()?, hash.hash.as_ref()?);
    let algorithm = Algorithm::try_from(hash.algorithm.as_str()).ok()?;
    let version = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .ok()?;
    let params = Params::try_from(&hash).ok()?;
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    compute(&argon, password, salt, &mut out).ok()?;
    // `Output`'s comparison takes constant time.
    Some(Output::new(&out).ok()? == *expected)
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

    /// Hashes made by the argon2 crate's own API (as every stored hash was)
    /// verify here, and ours verify there.
    #[test]
    fn compatible_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        assert!(verify("correct horse battery", &theirs));
        assert!(!verify("correct horse batterz", &theirs));
        let ours = hash("correct horse battery").unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", ours.as_str())
                .is_ok()
        );
        // Other parameters named in the string are honoured.
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw-with-other-params")
        .unwrap()
        .to_string();
        assert!(verify("pw-with-other-params", &light));
    }

    #[test]
    fn hashes_run_on_one_thread_per_core() {
        let names: Vec<String> = (0..8)
            .map(|_| {
                std::thread::spawn(|| {
                    on_hashing_thread(|| std::thread::current().name().unwrap_or("").to_owned())
                })
            })
            .map(|t| t.join().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| n.starts_with("password-hash-")),
            "{names:?}"
        );
        let mut distinct = names.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() <= hashing_threads(), "{distinct:?}");
    }
}
