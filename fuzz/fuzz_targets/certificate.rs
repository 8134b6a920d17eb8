//! A deletion or return certificate (CERT.json).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = kura::certificate::Certificate::parse(data);
});
