#include "registry.h"

#include <dirent.h>
#include <stddef.h>
#ifndef _WIN32
#include <dlfcn.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <stdarg.h>
#include <unistd.h>

#include "plugin_trust.h"

struct dt_registry {
    const dt_dissector **items;
    size_t n, cap;
    void **handles; /* dlopen()ed plugins, closed with the registry */
    int *handle_fds; /* the descriptor each was loaded through */
    size_t n_handles, cap_handles;
    dt_dissector **upgraded; /* copies of ABI 1 plugins' structs, extended to ABI 2 */
    size_t n_upgraded;
};

bool dt_registry_has_plugins(const dt_registry *reg) { return reg && reg->n_handles > 0; }

dt_registry *dt_registry_new(void)
{
    return calloc(1, sizeof(dt_registry));
}

void dt_registry_free(dt_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n_upgraded; i++)
        free(reg->upgraded[i]);
    free(reg->upgraded);
    for (size_t i = 0; i < reg->n_handles; i++) {
#ifndef _WIN32
        dlclose(reg->handles[i]);
#endif
        close(reg->handle_fds[i]);
    }
    free(reg->handles);
    free(reg->handle_fds);
    free(reg->items);
    free(reg);
}

/* An ABI 1 plugin's struct ends before `options`: reading that member
 * would run past it, so the registry keeps a zero-extended copy. */
static const dt_dissector *upgrade_v1(dt_registry *reg, const dt_dissector *d)
{
    dt_dissector **list = realloc(reg->upgraded, (reg->n_upgraded + 1) * sizeof *list);
    if (!list)
        return NULL;
    reg->upgraded = list;
    dt_dissector *copy = calloc(1, sizeof *copy);
    if (!copy)
        return NULL;
    memcpy(copy, d, offsetof(dt_dissector, options));
    list[reg->n_upgraded++] = copy;
    return copy;
}

int dt_register(dt_registry *reg, const dt_dissector *d)
{
    if (!d || d->abi_version < DT_ABI_VERSION_MIN || d->abi_version > DT_ABI_VERSION || !d->name || !d->dissect)
        return -1;
    if (d->abi_version < 2 && !(d = upgrade_v1(reg, d)))
        return -1;
    if (dt_registry_find(reg, d->name))
        return -1;
    /* an inner dissector without a framer takes whole messages (dt_inner_message) only */
    if ((d->transports & (DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM)) && !d->frame)
        return -1;
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        const dt_dissector **items = realloc(reg->items, cap * sizeof *items);
        if (!items)
            return -1;
        reg->items = items;
        reg->cap = cap;
    }
    reg->items[reg->n++] = d;
    return 0;
}

#ifndef _WIN32
static int keep_handle(dt_registry *reg, void *h, int fd)
{
    if (reg->n_handles == reg->cap_handles) {
        size_t cap = reg->cap_handles ? reg->cap_handles * 2 : 4;
        void **hs = realloc(reg->handles, cap * sizeof *hs);
        int *fds = realloc(reg->handle_fds, cap * sizeof *fds);
        if (fds)
            reg->handle_fds = fds;
        if (!hs || !fds) {
            if (hs)
                reg->handles = hs;
            return -1;
        }
        reg->handles = hs;
        reg->cap_handles = cap;
    }
    reg->handle_fds[reg->n_handles] = fd;
    reg->handles[reg->n_handles++] = h;
    return 0;
}
#endif

/* Appends one more "plugin …: why" line to err (the CLI prefixes each). */
static void add_err(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_err(char *err, size_t errsz, const char *fmt, ...)
{
    size_t used = strlen(err);
    if (used && used + 11 < errsz) {
        memcpy(err + used, "\ndiagtap: ", 11);
        used += 10;
    } else if (used) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + used, errsz - used, fmt, ap);
    va_end(ap);
}

int dt_registry_load_plugins(dt_registry *reg, const char *dir, char *err, size_t errsz)
{
    char why[PATH_MAX + 200];
    int trust = dt_plugin_dir_trusted(dir, why, sizeof why);
    if (trust > 0)
        return 0; /* no such directory: nothing to load */
    if (trust < 0) {
        add_err(err, errsz, "plugins in %s refused: %s", dir, why);
        return 0;
    }
#ifdef _WIN32
    (void)reg;
    return 0; /* not reached: plugin_trust_win32.c refuses every folder */
#else
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    int loaded = 0;
    struct dirent *de;
    char path[4096];
    while ((de = readdir(dp))) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        /* checked on the open file, loaded through that very descriptor */
        int fd = dt_plugin_open_trusted(dirfd(dp), de->d_name, why, sizeof why);
        if (fd < 0) {
            add_err(err, errsz, "plugin %s refused: it %s", path, why);
            continue;
        }
        char fdpath[64];
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
        void *h = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            add_err(err, errsz, "plugin %s: %s", path, dlerror());
            close(fd);
            continue;
        }
        dt_plugin_init_fn init;
        *(void **)&init = dlsym(h, DT_PLUGIN_INIT_SYMBOL);
        if (!init) {
            add_err(err, errsz, "plugin %s: no %s symbol", path, DT_PLUGIN_INIT_SYMBOL);
            dlclose(h);
            close(fd);
            continue;
        }
        if (init(reg) != 0) {
            add_err(err, errsz, "plugin %s: registration failed (ABI version or name clash)", path);
            /* dissectors it did register stay; keep the code mapped */
        }
        /* the descriptor stays open with the handle: the loader knows the
         * plugin by its /proc/self/fd name, which must not be reused */
        if (keep_handle(reg, h, fd) != 0) {
            closedir(dp);
            return -1;
        }
        loaded++;
    }
    closedir(dp);
    return loaded;
#endif
}

size_t dt_registry_count(const dt_registry *reg) { return reg->n; }

const dt_dissector *dt_registry_at(const dt_registry *reg, size_t i) { return i < reg->n ? reg->items[i] : NULL; }

const dt_dissector *dt_registry_find(const dt_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcasecmp(reg->items[i]->name, name) == 0)
            return reg->items[i];
    return NULL;
}

const dt_option_def *dt_registry_option(const dt_registry *reg, const char *key, bool by_flag)
{
    for (size_t i = 0; i < reg->n; i++)
        for (const dt_option_def *o = reg->items[i]->options; o && o->name; o++) {
            const char *k = by_flag ? o->flag : o->name;
            if (k && strcmp(k, key) == 0)
                return o;
        }
    return NULL;
}

static bool port_in(const uint16_t *ports, uint16_t port)
{
    for (; ports && *ports; ports++)
        if (*ports == port)
            return true;
    return false;
}

const dt_dissector *dt_registry_by_port(const dt_registry *reg, uint32_t transport, uint16_t port)
{
    if (port == 0)
        return NULL;
    for (size_t i = 0; i < reg->n; i++) {
        const dt_dissector *d = reg->items[i];
        if ((transport & DT_TRANSPORT_TCP) && (d->transports & DT_TRANSPORT_TCP) && port_in(d->tcp_ports, port))
            return d;
        if ((transport & DT_TRANSPORT_UDP) && (d->transports & DT_TRANSPORT_UDP) && port_in(d->udp_ports, port))
            return d;
    }
    return NULL;
}

const dt_dissector *dt_registry_by_inner_name(const dt_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n; i++) {
        const dt_dissector *d = reg->items[i];
        for (const char *const *n = d->inner_names; n && *n; n++)
            if (strcasecmp(*n, name) == 0)
                return d;
    }
    return dt_registry_find(reg, name);
}

const dt_dissector *dt_registry_probe(const dt_registry *reg, uint32_t transport, const uint8_t *data, size_t len,
                                      dt_dir dir)
{
    const dt_dissector *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < reg->n; i++) {
        const dt_dissector *d = reg->items[i];
        if (!d->probe || !(d->transports & transport))
            continue;
        int s = d->probe(data, len, dir);
        if (s > best_score) {
            best_score = s;
            best = d;
        }
    }
    return best;
}
