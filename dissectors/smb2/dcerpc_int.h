/* DCE/RPC connection-oriented (over SMB named pipes and TCP) internals. */
#ifndef DIAGTAP_DCERPC_INT_H
#define DIAGTAP_DCERPC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "diagtap/dissector.h"

typedef struct dcerpc_iface {
    const char *uuid; /* lowercase text form */
    const char *name;
    const char *const *ops;
    size_t n_ops;
} dcerpc_iface;

extern const dcerpc_iface dcerpc_ifaces[];
extern const dt_value_name dcerpc_fault_vals[];

#endif
