/* `diagtap schema clickhouse`: the CREATE statements for the sink's table,
 * from the same column table the row encoders use. */
#include <stdio.h>
#include <string.h>

#include "ch_row.h"
#include "ch_url.h"
#include "clickhouse.h"

static void columns(FILE *out)
{
    size_t width = 0;
    for (const dt_ch_column *c = dt_ch_columns; c->name; c++)
        if (strlen(c->name) > width)
            width = strlen(c->name);
    for (const dt_ch_column *c = dt_ch_columns; c->name; c++)
        fprintf(out, "    %-*s %s%s -- %s\n", (int)width, c->name, c->type, c[1].name ? "," : " ", c->comment);
}

/* The engine: ReplacingMergeTree over the event's identity, so a duplicate
 * that check-before-resend could not rule out (docs/fleet.md) is merged
 * away; daily partitions; sorted by hour, then host, then time. */
static void engine(FILE *out, unsigned ttl_days)
{
    fprintf(out, "ENGINE = ReplacingMergeTree\n"
                 "PARTITION BY toYYYYMMDD(time)\n"
                 "ORDER BY (toStartOfHour(time), host, ts_ns, run_id, seq)\n");
    if (ttl_days)
        fprintf(out, "TTL time + INTERVAL %u DAY\n", ttl_days);
    fprintf(out, "SETTINGS index_granularity = 8192;\n");
}

int dt_ch_schema_write(FILE *out, const char *db_table, const char *cluster, bool on_cluster, unsigned ttl_days,
                       char *err, size_t errsz)
{
    char db[128], table[128];
    const char *dot = strchr(db_table, '.');
    if (!dot || (size_t)(dot - db_table) >= sizeof db || strlen(dot + 1) >= sizeof table) {
        snprintf(err, errsz, "--table takes DATABASE.TABLE, not '%s'", db_table);
        return -1;
    }
    snprintf(db, sizeof db, "%.*s", (int)(dot - db_table), db_table);
    snprintf(table, sizeof table, "%s", dot + 1);
    if (!dt_ch_ident_ok(db) || !dt_ch_ident_ok(table) || (cluster && !dt_ch_ident_ok(cluster))) {
        snprintf(err, errsz, "database, table and cluster names must be plain names (letters, digits, _)");
        return -1;
    }
    char oc[160] = "";
    if (cluster && on_cluster)
        snprintf(oc, sizeof oc, " ON CLUSTER %s", cluster);
    fprintf(out, "-- diagtap events, one row each (docs/fleet.md). ClickHouse 18.16 or later.\n");
    if (!ttl_days)
        fprintf(out, "-- Retention: one partition per day; drop old days with\n"
                     "--   ALTER TABLE %s.%s%s%s DROP PARTITION YYYYMMDD\n"
                     "-- or, on ClickHouse 19.6 and later, print this with --ttl DAYS.\n",
                db, table, cluster ? "_local" : "", oc);
    if (cluster && !on_cluster)
        fprintf(out, "-- Run all of this on every server of cluster %s (without ZooKeeper there is no\n"
                     "-- ON CLUSTER; with it, print this with --on-cluster and run it once).\n", cluster);
    fprintf(out, "CREATE DATABASE IF NOT EXISTS %s%s;\n\n", db, oc);
    if (!cluster) {
        fprintf(out, "CREATE TABLE IF NOT EXISTS %s.%s\n(\n", db, table);
        columns(out);
        fprintf(out, ")\n");
        engine(out, ttl_days);
        return ferror(out) ? -1 : 0;
    }
    fprintf(out, "-- The shard-local table: each server stores its shard's rows here.\n");
    fprintf(out, "CREATE TABLE IF NOT EXISTS %s.%s_local%s\n(\n", db, table, oc);
    columns(out);
    fprintf(out, ")\n");
    engine(out, ttl_days);
    fprintf(out, "\n-- The table diagtap writes to and queries read: one host's rows on one shard\n"
                 "-- (cityHash64(host)), so a batch lands whole on one shard and a duplicate meets\n"
                 "-- its original there.\n");
    fprintf(out, "CREATE TABLE IF NOT EXISTS %s.%s%s AS %s.%s_local\n", db, table, oc, db, table);
    fprintf(out, "ENGINE = Distributed(%s, %s, %s_local, cityHash64(host));\n", cluster, db, table);
    return ferror(out) ? -1 : 0;
}
