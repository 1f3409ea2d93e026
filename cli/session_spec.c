/* Parsing `diagtap session` sources (session_spec.h). */
#include "cli/session_spec.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef DT_HAVE_JANSSON
#include <jansson.h>
#endif

static const struct {
    const char *word;
    dt_src_kind kind;
} kinds[] = {
    { "capture", DT_SRC_CAPTURE }, { "unix", DT_SRC_UNIX }, { "tcp", DT_SRC_TCP },   { "dotnet", DT_SRC_DOTNET },
    { "pipe", DT_SRC_PIPE },       { "wrap", DT_SRC_WRAP }, { "file", DT_SRC_FILE },
};

const char *dt_session_kind_name(dt_src_kind k)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == k)
            return kinds[i].word;
    return "?";
}

void dt_session_spec_init(dt_session_spec *s)
{
    memset(s, 0, sizeof *s);
    s->reorder_ms = -1;
    s->duration = -1;
}

static void free_argv(char **argv)
{
    for (char **a = argv; a && *a; a++)
        free(*a);
    free(argv);
}

void dt_session_spec_free(dt_session_spec *s)
{
    for (int i = 0; i < s->n; i++) {
        dt_session_source *src = &s->src[i];
        free(src->name);
        free(src->a);
        free(src->b);
        free(src->word);
        free_argv(src->argv);
    }
    for (int i = 0; i < s->n_opt_words; i++)
        free(s->opt_words[i]);
    free(s->opt_words);
    dt_session_spec_init(s);
}

static char *dupn(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

/* Shell-like words: blanks separate, '...' is literal, "..." takes \" and
 * \\, a backslash outside quotes escapes the next character. No expansion
 * of any kind: the command runs exactly as written. */
static char **split_command(const char *text, char *err, size_t errsz, const char *word)
{
    size_t cap = 8, n = 0, len = strlen(text);
    char **argv = calloc(cap, sizeof *argv);
    char *buf = malloc(len + 1);
    if (!argv || !buf)
        goto oom;
    const char *p = text;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t k = 0;
        while (*p && !isspace((unsigned char)*p)) {
            if (*p == '\'') {
                const char *e = strchr(p + 1, '\'');
                if (!e) {
                    snprintf(err, errsz, "%s: unterminated ' at offset %zu", word, (size_t)(p - text));
                    goto fail;
                }
                memcpy(buf + k, p + 1, (size_t)(e - p - 1));
                k += (size_t)(e - p - 1);
                p = e + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                    buf[k++] = *p++;
                }
                if (*p != '"') {
                    snprintf(err, errsz, "%s: unterminated \" in the command", word);
                    goto fail;
                }
                p++;
            } else {
                if (*p == '\\' && p[1])
                    p++;
                buf[k++] = *p++;
            }
        }
        if (n + 2 > cap) {
            char **g = realloc(argv, (cap *= 2) * sizeof *argv);
            if (!g)
                goto oom;
            argv = g;
        }
        if (!(argv[n++] = dupn(buf, k)))
            goto oom;
        argv[n] = NULL;
    }
    free(buf);
    return argv;
oom:
    snprintf(err, errsz, "out of memory");
fail:
    free(buf);
    free_argv(argv);
    return NULL;
}

static bool name_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'; }

/* Splits "A=B" into two non-empty halves. */
static int split_eq(dt_session_source *src, const char *spec, const char *what, char *err, size_t errsz)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        snprintf(err, errsz, "%s: expected %s", src->word, what);
        return -1;
    }
    src->a = dupn(spec, (size_t)(eq - spec));
    src->b = strdup(eq + 1);
    return src->a && src->b ? 0 : -1;
}

int dt_session_add_word(dt_session_spec *s, const char *word, char *err, size_t errsz)
{
    if (s->n == DT_SESSION_MAX_SOURCES) {
        snprintf(err, errsz, "%s: at most %d sources in one session", word, DT_SESSION_MAX_SOURCES);
        return -1;
    }
    dt_session_source *src = &s->src[s->n];
    memset(src, 0, sizeof *src);
    src->word = strdup(word);
    if (!src->word) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    const char *p = word;
    /* NAME@ names the channel: letters, digits, _ - . before the first '@',
     * with no ':' before it (so "wrap:ssh user@host" is not a name) */
    const char *at = strchr(word, '@');
    const char *colon = strchr(word, ':');
    if (at && (!colon || at < colon)) {
        for (const char *q = word; q < at; q++)
            if (!name_char(*q)) {
                snprintf(err, errsz, "%s: a channel name takes letters, digits, '_', '-' and '.'", word);
                goto fail;
            }
        if (at == word) {
            snprintf(err, errsz, "%s: empty channel name before '@'", word);
            goto fail;
        }
        src->name = dupn(word, (size_t)(at - word));
        p = at + 1;
        colon = strchr(p, ':');
    }
    if (!colon) {
        snprintf(err, errsz, "%s: expected KIND:SPEC (capture, unix, tcp, dotnet, pipe, wrap, file)", word);
        goto fail;
    }
    size_t kl = (size_t)(colon - p);
    bool found = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i].word) == kl && memcmp(kinds[i].word, p, kl) == 0) {
            src->kind = kinds[i].kind;
            found = true;
        }
    if (!found) {
        snprintf(err, errsz, "%s: unknown source kind '%.*s' (capture, unix, tcp, dotnet, pipe, wrap, file)", word,
                 (int)kl, p);
        goto fail;
    }
    const char *spec = colon + 1;
    switch (src->kind) {
    case DT_SRC_CAPTURE: {
        const char *c2 = strchr(spec, ':');
        if (spec[0] == '\0' || c2 == spec) {
            snprintf(err, errsz, "%s: expected capture:IFACE[:BPF]", word);
            goto fail;
        }
        src->a = c2 ? dupn(spec, (size_t)(c2 - spec)) : strdup(spec);
        if (c2 && c2[1])
            src->b = strdup(c2 + 1);
        break;
    }
    case DT_SRC_UNIX:
        if (split_eq(src, spec, "unix:FRONT_PATH=TARGET_PATH", err, errsz) < 0)
            goto fail;
        break;
    case DT_SRC_TCP:
        if (split_eq(src, spec, "tcp:LISTEN_HOST:PORT=TARGET_HOST:PORT", err, errsz) < 0)
            goto fail;
        break;
    case DT_SRC_PIPE:
        if (split_eq(src, spec, "pipe:FRONT=TARGET", err, errsz) < 0)
            goto fail;
        break;
    case DT_SRC_DOTNET: {
        char *end;
        long pid = strtol(spec, &end, 10);
        if (!*spec || *end || pid <= 0) {
            snprintf(err, errsz, "%s: expected dotnet:PID", word);
            goto fail;
        }
        src->a = strdup(spec);
        break;
    }
    case DT_SRC_FILE:
        if (!*spec) {
            snprintf(err, errsz, "%s: expected file:PATH", word);
            goto fail;
        }
        src->a = strdup(spec);
        break;
    case DT_SRC_WRAP:
        if (!(src->argv = split_command(spec, err, errsz, word)))
            goto fail;
        break;
    }
    s->n++;
    return 0;
fail:
    free(src->name);
    free(src->a);
    free(src->b);
    free(src->word);
    free_argv(src->argv);
    memset(src, 0, sizeof *src);
    return -1;
}

int dt_session_set_wrap_argv(dt_session_spec *s, char *const *argv, int n, char *err, size_t errsz)
{
    dt_session_source *w = NULL;
    for (int i = 0; i < s->n; i++)
        if (s->src[i].kind == DT_SRC_WRAP && (!s->src[i].argv || !s->src[i].argv[0]))
            w = &s->src[i];
    if (!w) {
        snprintf(err, errsz, "a command after '--' needs a 'wrap:' source without one");
        return -1;
    }
    char **v = calloc((size_t)n + 1, sizeof *v);
    if (!v) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (!(v[i] = strdup(argv[i]))) {
            free_argv(v);
            snprintf(err, errsz, "out of memory");
            return -1;
        }
    free_argv(w->argv);
    w->argv = v;
    return 0;
}

int dt_session_check(const dt_session_spec *s, char *err, size_t errsz)
{
    if (s->n == 0) {
        snprintf(err, errsz, "no source to tap (see 'diagtap session --help')");
        return -1;
    }
    int wraps = 0;
    for (int i = 0; i < s->n; i++) {
        const dt_session_source *src = &s->src[i];
        if (src->kind != DT_SRC_WRAP)
            continue;
        if (++wraps > 1) {
            snprintf(err, errsz, "%s: at most one wrap: source (it owns diagtap's stdin and stdout)", src->word);
            return -1;
        }
        if (!src->argv || !src->argv[0]) {
            snprintf(err, errsz, "%s: no command (give it in the word, or after '--')", src->word);
            return -1;
        }
    }
    for (int i = 0; i < s->n; i++)
        for (int j = 0; j < i; j++)
            if (s->src[i].name && s->src[j].name && strcmp(s->src[i].name, s->src[j].name) == 0) {
                snprintf(err, errsz, "%s: the channel name '%s' is already taken by %s", s->src[i].word,
                         s->src[i].name, s->src[j].word);
                return -1;
            }
    return 0;
}

#ifdef DT_HAVE_JANSSON
static int add_opt_word(dt_session_spec *s, const char *w)
{
    char **g = realloc(s->opt_words, (size_t)(s->n_opt_words + 1) * sizeof *g);
    if (!g)
        return -1;
    s->opt_words = g;
    if (!(g[s->n_opt_words] = strdup(w)))
        return -1;
    s->n_opt_words++;
    return 0;
}

/* {"name": N, "kind": K, ...kind's keys} becomes the word "N@K:SPEC", so
 * both forms go through one parser. */
static int object_source(dt_session_spec *s, json_t *o, size_t idx, const char *path, char *err, size_t errsz)
{
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const char *name = json_string_value(json_object_get(o, "name"));
    if (!kind) {
        snprintf(err, errsz, "%s: sources[%zu]: \"kind\" is missing or not a string", path, idx);
        return -1;
    }
    static const struct {
        const char *kind, *k1, *sep, *k2;
    } shapes[] = {
        { "capture", "interface", ":", "filter" }, { "unix", "listen", "=", "target" }, { "tcp", "listen", "=", "target" },
        { "pipe", "listen", "=", "target" },       { "dotnet", "pid", NULL, NULL },    { "file", "path", NULL, NULL },
    };
    char word[8192];
    int n = snprintf(word, sizeof word, "%s%s%s:", name ? name : "", name ? "@" : "", kind);
    if (strcmp(kind, "wrap") == 0) {
        json_t *cmd = json_object_get(o, "command");
        size_t i;
        json_t *v;
        if (!json_is_array(cmd) || json_array_size(cmd) == 0) {
            snprintf(err, errsz, "%s: sources[%zu]: wrap needs \"command\": [\"program\", \"arg\", ...]", path, idx);
            return -1;
        }
        if (dt_session_add_word(s, word, err, errsz) < 0)
            return -1;
        char *argv[256];
        size_t argc = 0;
        json_array_foreach(cmd, i, v)
        {
            if (!json_is_string(v) || argc == 255) {
                snprintf(err, errsz, "%s: sources[%zu]: \"command\"[%zu] is not a string", path, idx, i);
                return -1;
            }
            argv[argc++] = (char *)json_string_value(v);
        }
        argv[argc] = NULL;
        return dt_session_set_wrap_argv(s, argv, (int)argc, err, errsz);
    }
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (strcmp(kind, shapes[i].kind) != 0)
            continue;
        json_t *v1 = json_object_get(o, shapes[i].k1);
        char num[32];
        const char *a = json_string_value(v1);
        if (!a && json_is_integer(v1)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v1));
            a = num;
        }
        if (!a) {
            snprintf(err, errsz, "%s: sources[%zu]: %s needs \"%s\"", path, idx, kind, shapes[i].k1);
            return -1;
        }
        const char *b = shapes[i].k2 ? json_string_value(json_object_get(o, shapes[i].k2)) : NULL;
        if (shapes[i].k2 && !b && shapes[i].sep[0] == '=') {
            snprintf(err, errsz, "%s: sources[%zu]: %s needs \"%s\"", path, idx, kind, shapes[i].k2);
            return -1;
        }
        snprintf(word + n, sizeof word - (size_t)n, "%s%s%s", a, b ? shapes[i].sep : "", b ? b : "");
        return dt_session_add_word(s, word, err, errsz);
    }
    snprintf(err, errsz, "%s: sources[%zu]: unknown kind \"%s\"", path, idx, kind);
    return -1;
}

static int load_root(dt_session_spec *s, json_t *root, const char *path, char *err, size_t errsz);

int dt_session_load_file(dt_session_spec *s, const char *path, char *err, size_t errsz)
{
    json_error_t je;
    /* no duplicate keys: a file that says a thing twice is a mistake */
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errsz, "%s: line %d, column %d (offset %d): %s", path, je.line, je.column, je.position, je.text);
        return -1;
    }
    return load_root(s, root, path, err, errsz);
}

int dt_session_load_buffer(dt_session_spec *s, const char *name, const char *data, size_t len, char *err,
                           size_t errsz)
{
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errsz, "%s: line %d, column %d (offset %d): %s", name, je.line, je.column, je.position, je.text);
        return -1;
    }
    return load_root(s, root, name, err, errsz);
}

/* Takes root's reference. */
static int load_root(dt_session_spec *s, json_t *root, const char *path, char *err, size_t errsz)
{
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(err, errsz, "%s: expected a JSON object with \"sources\"", path);
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "sources") != 0 && strcmp(key, "options") != 0 && strcmp(key, "reorder_window_ms") != 0 &&
            strcmp(key, "duration") != 0 && strcmp(key, "comment") != 0) {
            snprintf(err, errsz, "%s: unknown key \"%s\" (sources, options, reorder_window_ms, duration, comment)",
                     path, key);
            goto out;
        }
    }
    json_t *sources = json_object_get(root, "sources");
    if (!json_is_array(sources) || json_array_size(sources) == 0) {
        snprintf(err, errsz, "%s: \"sources\" must be a non-empty array", path);
        goto out;
    }
    size_t i;
    json_array_foreach(sources, i, v)
    {
        char e2[512];
        if (json_is_string(v)) {
            if (dt_session_add_word(s, json_string_value(v), e2, sizeof e2) < 0) {
                snprintf(err, errsz, "%s: sources[%zu]: %s", path, i, e2);
                goto out;
            }
        } else if (json_is_object(v)) {
            if (object_source(s, v, i, path, err, errsz) < 0)
                goto out;
        } else {
            snprintf(err, errsz, "%s: sources[%zu]: a \"KIND:SPEC\" string or an object", path, i);
            goto out;
        }
    }
    json_t *opts = json_object_get(root, "options");
    if (opts) {
        if (!json_is_array(opts)) {
            snprintf(err, errsz, "%s: \"options\" must be an array of command-line words", path);
            goto out;
        }
        json_array_foreach(opts, i, v)
        {
            if (!json_is_string(v)) {
                snprintf(err, errsz, "%s: options[%zu] is not a string", path, i);
                goto out;
            }
            if (add_opt_word(s, json_string_value(v)) < 0) {
                snprintf(err, errsz, "out of memory");
                goto out;
            }
        }
    }
    json_t *w = json_object_get(root, "reorder_window_ms");
    if (w) {
        if (!json_is_number(w) || json_number_value(w) < 0) {
            snprintf(err, errsz, "%s: \"reorder_window_ms\" must be a number >= 0", path);
            goto out;
        }
        s->reorder_ms = json_number_value(w);
    }
    json_t *d = json_object_get(root, "duration");
    if (d) {
        if (!json_is_number(d) || json_number_value(d) <= 0) {
            snprintf(err, errsz, "%s: \"duration\" must be a number of seconds > 0", path);
            goto out;
        }
        s->duration = json_number_value(d);
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
#else
int dt_session_load_file(dt_session_spec *s, const char *path, char *err, size_t errsz)
{
    (void)s;
    snprintf(err, errsz, "%s: session files need the JSON feature (diagtap was built without jansson)", path);
    return -1;
}

int dt_session_load_buffer(dt_session_spec *s, const char *name, const char *data, size_t len, char *err,
                           size_t errsz)
{
    (void)data;
    (void)len;
    return dt_session_load_file(s, name, err, errsz);
}
#endif
