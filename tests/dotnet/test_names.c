/* EventPipe event names as TraceEvent shows them: the metadata name, with
 * Start/Stop folded in, a standard opcode by name, any other by number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dissectors/dotnet/nettrace.h"

static const char *name(const char *meta, int32_t opcode)
{
    static char out[256]; /* test-local scratch */
    nt_event_name("MyCompany-TestProvider", 7, meta, opcode, out, sizeof out);
    return out;
}

static void test_opcode_naming(void **state)
{
    (void)state;
    assert_string_equal(name("TestEvent3", 24), "TestEvent3/24"); /* an unnamed opcode */
    assert_string_equal(name("TestEvent3", 0), "TestEvent3");     /* Info */
    assert_string_equal(name("TestEvent3", -1), "TestEvent3");    /* no opcode tag */
    assert_string_equal(name("RequestStart", 1), "Request/Start");
    assert_string_equal(name("RequestStop", -1), "Request/Stop");
    assert_string_equal(name("RequestStart", 24), "RequestStart/24");
    assert_string_equal(name("Load", 3), "Load/DCStart");
    assert_string_equal(name("Load", 9), "Load/Send");
    assert_string_equal(name("Work", 1), "Work/Start");
    assert_string_equal(name("", 24), "EventID(7)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opcode_naming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
