//! Plain-text tables whose columns line up in a terminal, Japanese included.
//! A cell is one value on one line: its control characters (newlines
//! included) are escaped, so that no value can break the table or start a
//! line of its own.

use kura::i18n::escape_controls;

/// Columns a character takes in a terminal (East Asian wide characters two).
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = matches!(u,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
                | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
                | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// `s` (escaped) padded with spaces to `cols` columns (never cut).
pub fn pad(s: &str, cols: usize) -> String {
    let mut out = escape_controls(s).into_owned();
    out.push_str(&" ".repeat(cols.saturating_sub(width(&out))));
    out
}

/// `s` (escaped) cut to at most `max` columns (with `…`) and padded to `max`.
pub fn cell(s: &str, max: usize) -> String {
    let s = escape_controls(s);
    let s = s.as_ref();
    let mut out = String::new();
    if width(s) > max {
        for c in s.chars() {
            if width(&out) + width(&c.to_string()) + 1 > max {
                break;
            }
            out.push(c);
        }
        out.push('…');
    } else {
        out.push_str(s);
    }
    let pad = max.saturating_sub(width(&out));
    out.push_str(&" ".repeat(pad));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_count_wide_characters_twice() {
        assert_eq!(width("調査abc"), 7);
        assert_eq!(width(&cell("レセプト不具合の調査", 10)), 10);
        assert!(cell("レセプト不具合の調査", 10).ends_with("… ") || cell("レセプト不具合の調査", 10).ends_with('…'));
        assert_eq!(cell("ab", 4), "ab  ");
    }

    #[test]
    fn a_cell_is_one_line_without_controls() {
        assert_eq!(pad("a\nb\x1b[2J", 12), "a\\nb\\x1b[2J ");
        assert_eq!(cell("x\u{202e}y", 20), format!("x\\u{{202e}}y{}", " ".repeat(10)));
        assert_eq!(cell("\x1b[31mred", 8), "\\x1b[31…");
    }
}
