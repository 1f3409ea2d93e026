/* The one resolver for ../shared/corpus in C tests.
 *
 * $DIAGTAP_CORPUS (set by tests/meson.build from -Dcorpus, default
 * ../shared/corpus beside the source tree) names the directory. A test that
 * needs a missing file prints "SKIP: corpus not found at PATH" and is
 * skipped (the whole program exits 77, or one cmocka test calls skip()).
 * scripts/test.sh fails the run when the corpus exists and a test still
 * printed that line. */
#ifndef DIAGTAP_TESTS_DTCORPUS_H
#define DIAGTAP_TESTS_DTCORPUS_H

#include <stdbool.h>
#include <stddef.h>

/* DIR/rel into out; true when that file exists. */
bool dt_corpus_path(const char *rel, char *out, size_t outsz);
/* True (after printing the SKIP line) when rel is missing. */
bool dt_corpus_missing(const char *rel);
/* For a program every test of which needs rel: exits 77 when it is missing. */
void dt_corpus_require(const char *rel);

#endif
