/*
 * TEST-ONLY stand-in for Windows' bcryptprimitives.dll, for running kura.exe
 * under Wine 8.0 in CI. Never ship it, never put it beside kura.exe on a real
 * Windows system (Windows 10 and later have the real DLL).
 *
 * Rust's standard library (1.78 and later) draws its random numbers from
 * ProcessPrng in bcryptprimitives.dll, which Wine 8.0 lacks: without this
 * file beside kura.exe every run stops at once (exit code 53). It forwards
 * to RtlGenRandom (advapi32's SystemFunction036), Wine's system random
 * source.
 *
 * Build: x86_64-w64-mingw32-gcc -O2 -shared -o bcryptprimitives.dll \
 *            bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
