/* A line-based test protocol ("lines"): one PDU per '\n'-terminated line,
 * summary "line TEXT"; on TCP/UDP port 7777 and any IPC stream. Lines
 * "REQ n" and "RSP n" pair. Built into the unit tests and as a plugin .so for
 * the integration tests. */
#ifndef DIAGTAP_TESTS_LINE_PROTO_H
#define DIAGTAP_TESTS_LINE_PROTO_H

#include "diagtap/dissector.h"

int line_proto_register(dt_registry *reg);

#endif
