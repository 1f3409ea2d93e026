/* The sinks of core/sinks/: their constructors are declared in core/sink.h;
 * this header adds what other parts may share with them (the value
 * formatter, so that new outputs render values the way these do). */
#ifndef DIAGTAP_SINKS_SINKS_H
#define DIAGTAP_SINKS_SINKS_H

#include "core/sink.h"
#include "format.h"

#endif
