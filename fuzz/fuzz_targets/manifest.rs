//! The manifest as kura parses it from inside a vault.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<kura::vault::Manifest>(data);
});
