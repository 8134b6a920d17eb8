//! An OpenSSH allowed_signers trust list, and a lookup in it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(list) = kura::keys::AllowedSigners::parse(s) {
            let _ = list.principal_for(kura_fuzz::bench().key.info(), "kura-manifest");
        }
    }
});
