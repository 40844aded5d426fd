/* A stand-in for Windows' bcryptprimitives.dll, which wine 8 lacks: Go programs take their
   random numbers from its ProcessPrng. Test scaffolding for the wine prefix only. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
