/* KDNET headers with or without a crypto backend: with one every packet of the real
 * capture verifies; without one every packet still shows its header and says
 * decryption was not built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtcorpus.h"
#include "kd_test_util.h"

static void headers(void **state)
{
    (void)state;
    kdt_capture cap;
    assert_int_equal(kdt_load(kdt_corpus_path(), &cap), 0);
    kdt_run r;
    kdt_replay_udp(&cap, "8.8.8.8", NULL, &r);
    assert_true(r.n >= cap.n);
    for (size_t i = 0; i < cap.n; i++) {
        char v[16];
        assert_true(kdt_has(&r.ev[i], "kdnet.version", "4"));
        snprintf(v, sizeof v, "%u", cap.p[i].data[5]);
        assert_true(kdt_has(&r.ev[i], "kdnet.channel", v));
#ifdef KDT_HAVE_CRYPTO
        assert_true(kdt_has(&r.ev[i], "kdnet.decryption", "verified"));
#else
        assert_true(kdt_has(&r.ev[i], "kdnet.decryption", "decryption not built"));
        assert_non_null(strstr(r.ev[i].summary, "encrypted (decryption not built)"));
#endif
    }
    kdt_run_free(&r);
    kdt_free_capture(&cap);
}

int main(void)
{
    dt_corpus_require(KDT_CORPUS_FILE);
    const struct CMUnitTest tests[] = { cmocka_unit_test(headers) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
