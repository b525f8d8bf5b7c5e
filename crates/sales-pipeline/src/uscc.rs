//! The unified social credit code (統一社會信用代碼, GB 32100-2015): 18 characters
//! from a 31-character alphabet (digits and upper-case letters without I, O, S, V
//! and Z); the last is a check character computed from the first 17 with weights
//! 3^i mod 31.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Why a code is not valid, for the field error.
pub fn check(code: &str) -> Result<(), &'static str> {
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return Err("must be 18 characters");
    }
    let mut sum = 0;
    for (i, &c) in bytes[..17].iter().enumerate() {
        sum += value(c)
            .ok_or("may use only digits and upper-case letters other than I, O, S, V, Z")?
            * WEIGHTS[i];
    }
    let expected = ALPHABET[((31 - sum % 31) % 31) as usize];
    if bytes[17] != expected {
        return Err("has a wrong check character");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_pass() {
        // Codes printed on public business licences.
        for code in ["91350100M000100Y43", "91110000600037341L"] {
            assert_eq!(check(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn typos_are_caught() {
        assert_eq!(
            check("91350100M000100Y44"),
            Err("has a wrong check character")
        );
        assert_eq!(check("91350100M000100Y4"), Err("must be 18 characters"));
        assert!(check("91350100I000100Y43").is_err());
        assert!(check("91350100m000100Y43").is_err());
    }
}
