/* Prints what the KD dissectors make of the corpus capture (a debugging aid):
 * dump_kd [KEY] */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "kd_test_util.h"

static const char *key;

static void dump(void **state)
{
    (void)state;
    kdt_capture cap;
    assert_int_equal(kdt_load(kdt_corpus_path(), &cap), 0);
    kdt_run r;
    kdt_replay_udp(&cap, key, NULL, &r);
    for (size_t i = 0; i < r.n; i++) {
        kdt_event *e = &r.ev[i];
        printf("%zu %s %s [%s|%s] %s%s\n", i + 1, e->proto, e->dir ? "<-" : "->", e->stats_key ? e->stats_key : "",
               e->status ? e->status : "", e->summary, e->malformed ? " MALFORMED" : "");
        if (getenv("KDT_FIELDS"))
            printf("%s", e->fields);
    }
    kdt_run_free(&r);
    kdt_free_capture(&cap);
}

int main(int argc, char **argv)
{
    key = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = { cmocka_unit_test(dump) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
