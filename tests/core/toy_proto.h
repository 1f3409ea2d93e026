/* A toy protocol for engine tests: 0xA5, a 1-byte length, then that many
 * bytes of ASCII text. "REQ n" is a request, "RSP n" its reply, "PIPE x"
 * carries x on an inner stream named "toy", "SECRET x" has a credential,
 * "SCRATCH n" uses n KiB of dt_scratch. */
#ifndef TOY_PROTO_H
#define TOY_PROTO_H

#include "diagtap/dissector.h"

extern const dt_dissector toy_dissector;
int toy_register(dt_registry *reg);
/* Appends one toy message to buf; returns its length. */
size_t toy_msg(uint8_t *buf, const char *text);

#endif
