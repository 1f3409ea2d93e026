/* diagtap schema clickhouse: the CREATE statements for the fleet table. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/sinks/clickhouse/clickhouse.h"

const char dt_schema_usage[] =
    "usage: diagtap schema clickhouse --table DATABASE.TABLE [--cluster NAME [--on-cluster]] [--ttl DAYS]\n"
    "\n"
    "Prints the CREATE statements for the table that '-o clickhouse://HOST/DATABASE.TABLE'\n"
    "fills (docs/fleet.md): a ReplacingMergeTree partitioned by day and sorted by hour,\n"
    "host and time. Pipe it to clickhouse-client --multiquery.\n"
    "\n"
    "  --table DATABASE.TABLE  the table diagtap writes to\n"
    "  --cluster NAME        a sharded cluster: DATABASE.TABLE_local on every server and\n"
    "                        DATABASE.TABLE, a Distributed table over them (by host)\n"
    "  --on-cluster          with --cluster: ON CLUSTER statements to run once (needs\n"
    "                        ZooKeeper); without it, statements to run on every server\n"
    "  --ttl DAYS            delete rows after DAYS (TTL needs ClickHouse 19.6 or later;\n"
    "                        on older servers drop daily partitions instead)\n";

int dt_cmd_schema(int argc, char **argv)
{
    const char *table = NULL, *cluster = NULL;
    bool on_cluster = false;
    unsigned ttl = 0;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(dt_schema_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "clickhouse") != 0) {
        fprintf(stderr, "diagtap: schema: only 'clickhouse' is known, not '%s'\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--table") == 0 ? &table : strcmp(a, "--cluster") == 0 ? &cluster : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(dt_schema_usage, stdout);
            return 0;
        }
        if (strcmp(a, "--on-cluster") == 0) {
            on_cluster = true;
            continue;
        }
        if (strcmp(a, "--ttl") == 0 && i + 1 < argc) {
            char *end;
            unsigned long d = strtoul(argv[++i], &end, 10);
            if (*end || end == argv[i] || d == 0 || d > 100000) {
                fprintf(stderr, "diagtap: schema: --ttl takes a number of days, not '%s'\n", argv[i]);
                return 2;
            }
            ttl = (unsigned)d;
            continue;
        }
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "diagtap: schema: %s '%s' (see 'diagtap schema --help')\n",
                    slot ? "no value after" : "unknown option", a);
            return 2;
        }
        *slot = argv[++i];
    }
    if (!table) {
        fprintf(stderr, "diagtap: schema: --table DATABASE.TABLE is required\n");
        return 2;
    }
    if (on_cluster && !cluster) {
        fprintf(stderr, "diagtap: schema: --on-cluster needs --cluster NAME\n");
        return 2;
    }
    char err[256];
    if (dt_ch_schema_write(stdout, table, cluster, on_cluster, ttl, err, sizeof err) != 0) {
        fprintf(stderr, "diagtap: schema: %s\n", err);
        return 2;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
