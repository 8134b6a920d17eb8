//! An age recipients file (`-R`), line by line as kura reads it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let mut r = kura::keys::Recipients::default();
        for (i, line) in s.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let _ = r.add(line, &format!("line {i}"));
        }
    }
});
