/* libFuzzer target: PSRP fragments, reassembly and CLIXML (the psrp
 * dissector on its own). Input: payloads (what one rsp:Stream decodes to)
 * separated by "\n\x01", alternating direction; fragments may span
 * payloads, repeat, go missing or lie about their length. */
#define FUZZ_DISSECTOR "psrp"
#include "fuzz_wsman.c"
