/* The capture interfaces diagtap-extcap offers Wireshark, and how each one
 * turns its settings into a diagtap command line. */
#ifndef DIAGTAP_EXTCAP_IFACES_H
#define DIAGTAP_EXTCAP_IFACES_H

#include <stdio.h>

#define DTX_MAX_ARGS 12

/* The settings Wireshark passes back with --capture. */
typedef struct dtx_settings {
    const char *listen;     /* --listen */
    const char *target;     /* --target */
    const char *pid;        /* --pid */
    const char *pipe;       /* --pipe */
    const char *decode_as;  /* --decode-as */
} dtx_settings;

typedef struct dtx_iface {
    const char *value;      /* "diagtap-unix" */
    const char *display;
    /* Prints the "arg"/"value" lines of --extcap-config. */
    void (*config)(FILE *out);
    /* Fills argv (diagtap executable first) for a capture into fifo; returns
     * the argument count, or -1 with a message in err when a setting is
     * missing or wrong. NULL: the interface relays a pipe instead. */
    int (*command)(const dtx_settings *s, const char *diagtap, const char *fifo, const char **argv, char *err,
                   size_t errsz);
} dtx_iface;

extern const dtx_iface dtx_ifaces[];
extern const size_t dtx_n_ifaces;

const dtx_iface *dtx_iface_find(const char *value);

#endif
