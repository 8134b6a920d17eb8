//! The receipt (JSON text inside the first custody record).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = kura::vault::Receipt::parse(s);
    }
});
