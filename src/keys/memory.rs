//! Keeping secrets out of core dumps. A crash (or `gcore`, or a debugger
//! attaching) while a decrypted key or passphrase is in memory would write
//! it to disk; before kura loads or makes a secret it turns core dumps off
//! for the rest of the process: on Linux `RLIMIT_CORE` 0 and
//! `PR_SET_DUMPABLE` 0 (which also stops other processes of the same user
//! from attaching with ptrace or reading its memory), on other Unix systems
//! `RLIMIT_CORE` 0. Secrets themselves are zeroized when dropped
//! (`Zeroizing` buffers; the key types wipe their own memory).

use std::sync::Once;

static DONE: Once = Once::new();

/// Turns core dumps off for this process (once; failures are ignored, as
/// there is nothing better to do than to go on).
pub fn keep_out_of_core_dumps() {
    DONE.call_once(|| {
        #[cfg(unix)]
        // SAFETY: plain system calls with valid arguments.
        unsafe {
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &zero);
            #[cfg(any(target_os = "linux", target_os = "android"))]
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
    });
}
