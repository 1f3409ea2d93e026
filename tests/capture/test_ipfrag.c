/* IP fragment reassembly on its own: order, duplicates, limits, timeouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capture/ipfrag.h"

static dt_frag_key key(uint32_t id)
{
    dt_frag_key k;
    memset(&k, 0, sizeof k);
    k.version = 4;
    k.proto = 17;
    k.id = id;
    k.src[0] = 10;
    k.dst[0] = 11;
    return k;
}

static void test_out_of_order_and_duplicates(void **state)
{
    (void)state;
    dt_ipfrag *f = dt_ipfrag_new();
    uint8_t data[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    dt_frag_key k = key(1), other = key(2);
    const uint8_t *out;
    size_t n;
    assert_int_equal(dt_ipfrag_add(f, &k, 1, 2000, false, data + 2000, 1000, &out, &n), 0);
    assert_int_equal(dt_ipfrag_add(f, &other, 1, 0, true, data, 800, &out, &n), 0); /* another datagram */
    assert_int_equal(dt_ipfrag_add(f, &k, 2, 0, true, data, 1000, &out, &n), 0);
    assert_int_equal(dt_ipfrag_add(f, &k, 3, 0, true, data, 1000, &out, &n), 0); /* duplicate */
    assert_int_equal(dt_ipfrag_add(f, &k, 4, 1000, true, data + 1000, 1000, &out, &n), 1);
    assert_int_equal(n, sizeof data);
    assert_memory_equal(out, data, sizeof data);
    /* done: the same id starts afresh */
    assert_int_equal(dt_ipfrag_add(f, &k, 5, 1000, true, data + 1000, 1000, &out, &n), 0);
    dt_ipfrag_free(f);
}

static void test_limits(void **state)
{
    (void)state;
    dt_ipfrag *f = dt_ipfrag_new();
    uint8_t b[1024] = { 0 };
    const uint8_t *out;
    size_t n;
    dt_frag_key k = key(9);
    assert_int_equal(dt_ipfrag_add(f, &k, 1, 65000, false, b, 1000, &out, &n), -1); /* beyond 64 KiB */
    /* more datagrams in progress than slots: the oldest are dropped */
    for (uint32_t id = 100; id < 100 + DT_IPFRAG_SLOTS + 5; id++) {
        dt_frag_key k2 = key(id);
        assert_int_equal(dt_ipfrag_add(f, &k2, id, 0, true, b, 8, &out, &n), 0);
    }
    assert_int_equal(dt_ipfrag_dropped(f), 5);
    /* a datagram whose pieces are too far apart in time is dropped */
    dt_frag_key k3 = key(7);
    uint64_t t0 = 1000 * DT_IPFRAG_TIMEOUT_NS;
    assert_int_equal(dt_ipfrag_add(f, &k3, t0, 0, true, b, 8, &out, &n), 0);
    assert_int_equal(dt_ipfrag_add(f, &k3, t0 + 2 * DT_IPFRAG_TIMEOUT_NS, 8, false, b, 8, &out, &n), 0);
    assert_true(dt_ipfrag_dropped(f) > 5);
    dt_ipfrag_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_of_order_and_duplicates),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
