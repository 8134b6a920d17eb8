//! Sizes as the command line takes them (`--split 700M`).

use kura::error::{Error, Kind, Result};
use kura::vault::volumes::MIN_VOLUME;

/// Parses a volume size: bytes, or a number with K, M, G or T (powers of
/// 1024; `KiB`, `MB`, … are read alike): `2G`, `700M`, `4095M`.
pub fn parse_size(s: &str) -> Result<u64> {
    let value = parse_bytes(s)?;
    if value < MIN_VOLUME {
        return Err(Error::new(Kind::Usage, "err-split-small")
            .arg("value", s)
            .arg("min", "64K"));
    }
    Ok(value)
}

/// Parses a size as [`parse_size`] does, without a volume's minimum
/// (`approve --max-size`).
pub fn parse_bytes(s: &str) -> Result<u64> {
    let bad = || Error::new(Kind::Usage, "err-split-size").arg("value", s);
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let unit = unit.trim().to_ascii_uppercase();
    let unit = unit.trim_end_matches('B').trim_end_matches('I');
    let mult: u64 = match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(bad()),
    };
    let value = if let Some((whole, frac)) = num.split_once('.') {
        let whole: u64 = whole.parse().map_err(|_| bad())?;
        if frac.is_empty() || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let f: u64 = frac.parse().map_err(|_| bad())?;
        let scale = 10u64.pow(frac.len() as u32);
        whole
            .checked_mul(mult)
            .and_then(|w| w.checked_add(((f as u128 * mult as u128) / scale as u128) as u64))
            .ok_or_else(bad)?
    } else {
        num.parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .ok_or_else(bad)?
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random and mutated sizes end in a value or an error, never a panic.
    #[test]
    fn survives_random_and_mutated_input() {
        let seeds = ["2G", "700MiB", "1.5T"];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..3000 {
            let mut b = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (b.len() + 1);
                match next() % 3 {
                    0 if at < b.len() => b[at] ^= 1 << (next() % 8),
                    1 => b.insert(at, next() as u8),
                    _ => b.truncate(at),
                }
            }
            let _ = parse_size(&String::from_utf8_lossy(&b));
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2G").unwrap(), 2 << 30);
        assert_eq!(parse_size("700M").unwrap(), 700 << 20);
        assert_eq!(parse_size("700MiB").unwrap(), 700 << 20);
        assert_eq!(parse_size("4095mb").unwrap(), 4095 << 20);
        assert_eq!(parse_size("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
        for bad in ["", "G", "2X", "-1M", "1.M", "99999999999999999999T", "1 GB extra", "10"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
