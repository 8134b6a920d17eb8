//! A whole custody log: lines, signatures, the chain, the receipt.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = kura::custody::verify_text(s);
    }
});
