#include "ch_curl.h"

#include <stdio.h>
#include <string.h>

#ifndef _WIN32
#include <dlfcn.h>

/* libcurl's run-time name (its SONAME since 7.16). */
#define DT_CURL_LIB "libcurl.so.4"

bool dt_ch_curl_load(dt_ch_curl *api, char *err, size_t errsz)
{
    memset(api, 0, sizeof *api);
    api->lib = dlopen(DT_CURL_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!api->lib) {
        const char *why = dlerror();
        snprintf(err, errsz, "cannot load libcurl (%s)", why ? why : DT_CURL_LIB);
        return false;
    }
    /* dlsym returns void *; a function pointer is copied from it bytewise */
#define SYM(field, name)                                                                                               \
    do {                                                                                                               \
        void *p = dlsym(api->lib, name);                                                                               \
        if (!p) {                                                                                                      \
            snprintf(err, errsz, "libcurl has no %s", name);                                                           \
            dt_ch_curl_unload(api);                                                                                    \
            return false;                                                                                              \
        }                                                                                                              \
        memcpy(&api->field, &p, sizeof p);                                                                             \
    } while (0)
    SYM(global_init, "curl_global_init");
    SYM(easy_init, "curl_easy_init");
    SYM(easy_setopt, "curl_easy_setopt");
    SYM(easy_perform, "curl_easy_perform");
    SYM(easy_getinfo, "curl_easy_getinfo");
    SYM(easy_cleanup, "curl_easy_cleanup");
    SYM(easy_escape, "curl_easy_escape");
    SYM(easy_strerror, "curl_easy_strerror");
    SYM(free, "curl_free");
    SYM(slist_append, "curl_slist_append");
    SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
    if (api->global_init(CURL_GLOBAL_DEFAULT) != 0) {
        snprintf(err, errsz, "cannot initialise libcurl");
        dt_ch_curl_unload(api);
        return false;
    }
    return true;
}

void dt_ch_curl_unload(dt_ch_curl *api)
{
    /* libcurl stays loaded: its global state (and threads of its resolver)
     * may outlive the handle, and a process opens it at most a few times */
    memset(api, 0, sizeof *api);
}

#else

bool dt_ch_curl_load(dt_ch_curl *api, char *err, size_t errsz)
{
    memset(api, 0, sizeof *api);
    api->global_init = curl_global_init;
    api->easy_init = curl_easy_init;
    api->easy_setopt = curl_easy_setopt;
    api->easy_perform = curl_easy_perform;
    api->easy_getinfo = curl_easy_getinfo;
    api->easy_cleanup = curl_easy_cleanup;
    api->easy_escape = curl_easy_escape;
    api->easy_strerror = curl_easy_strerror;
    api->free = curl_free;
    api->slist_append = curl_slist_append;
    api->slist_free_all = curl_slist_free_all;
    if (api->global_init(CURL_GLOBAL_DEFAULT) != 0) {
        snprintf(err, errsz, "cannot initialise libcurl");
        return false;
    }
    return true;
}

void dt_ch_curl_unload(dt_ch_curl *api) { memset(api, 0, sizeof *api); }

#endif
