//! The archive reader: the input is the plaintext of a vault (a tar stream,
//! or with a first byte of 0xff, a raw zstd stream), sealed into a vault
//! with a matching receipt and opened by `verify`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (compressed, plain) = match data.split_first() {
        Some((0xff, rest)) => (true, rest),
        _ => (false, data),
    };
    let (vault, custody) = kura_fuzz::seal(plain, compressed);
    let b = kura_fuzz::bench();
    let req = kura::custodian::OpenRequest {
        vault: &vault,
        custody: &custody,
        keys: kura::custodian::KeySource::Loaded(&b.identities),
        signers: None,
    };
    let _ = kura::custodian::verify(&req, &|_| {});
});
