/* The Packet.dll half of the Npcap test double (see fake_wpcap.c). Npcap's
 * wpcap.dll imports Packet.dll from its own folder, System32\Npcap, which is
 * not on the DLL search path: the double keeps that dependency, so the tests
 * fail if diagtap loads wpcap.dll in a way that cannot resolve it. Only the
 * one call the double's wpcap.dll makes is here (Packet32.h's signature). */
#include <windows.h>

__declspec(dllexport) PCHAR PacketGetVersion(void);

PCHAR PacketGetVersion(void)
{
    return (PCHAR) "0.0-diagtap-test-double";
}
