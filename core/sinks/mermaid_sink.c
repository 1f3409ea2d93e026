/* -T mermaid: the request/response exchanges as a Mermaid sequenceDiagram
 * (GitHub renders it in a ```mermaid block; docs/html.md). Messages are
 * written as they come; what is kept is the participants' names. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "sink_util.h"

#define MAX_PARTICIPANTS 48   /* more endpoints share the participant "others" */
#define MAX_TEXT 160          /* characters of a summary in an arrow's label */

typedef struct mermaid_sink {
    dt_sink base;
    FILE *out;
    bool fenced;    /* a Markdown file: inside ```mermaid ... ``` */
    bool reported;
    bool header;
    uint64_t max_messages, messages, omitted;
    char *names[MAX_PARTICIPANTS];
    size_t n_names;
    bool others_declared;
} mermaid_sink;

/* Text in a message or alias: Mermaid's entity codes for what its grammar
 * would read as syntax (';' ends a statement, '#' starts an entity, '%' a
 * comment, '<' '>' markup), controls as spaces, at most max characters. */
static void put_text(FILE *f, const char *s, size_t max)
{
    size_t n = 0;
    const uint8_t *p = (const uint8_t *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len && n < max;) {
        size_t k = 1;
        uint8_t b = p[i];
        if (b >= 0x80) {
            if (dt_utf8_next(p + i, len - i, &k) >= 0)
                fwrite(p + i, 1, k, f);
            else
                fputs("\xef\xbf\xbd", f);
        } else if (b < 0x20 || b == 0x7f) {
            putc(' ', f);
        } else if (b == ';' || b == '#' || b == '%' || b == '<' || b == '>' || b == '"' || b == '{' || b == '}') {
            fprintf(f, "#%u;", b);
        } else {
            putc(b, f);
        }
        i += k;
        n++;
    }
    if (n == max && len > max)
        fputs("…", f);
}

static void header(mermaid_sink *m)
{
    if (m->header)
        return;
    m->header = true;
    if (m->fenced)
        fputs("```mermaid\n", m->out);
    fputs("%% diagtap " DIAGTAP_VERSION ": request/response exchanges\n"
          "sequenceDiagram\n",
          m->out);
}

/* The participant id ("p3") for an endpoint name, declared at first use. */
static size_t participant(mermaid_sink *m, const char *name)
{
    for (size_t i = 0; i < m->n_names; i++)
        if (!strcmp(m->names[i], name))
            return i + 1;
    if (m->n_names == MAX_PARTICIPANTS || !(m->names[m->n_names] = strdup(name))) {
        if (!m->others_declared) {
            fputs("    participant p0 as others\n", m->out);
            m->others_declared = true;
        }
        return 0;
    }
    m->n_names++;
    fprintf(m->out, "    participant p%zu as ", m->n_names);
    put_text(m->out, name, 80);
    putc('\n', m->out);
    return m->n_names;
}

static bool room(mermaid_sink *m)
{
    if (m->messages < m->max_messages) {
        m->messages++;
        return true;
    }
    m->omitted++;
    return false;
}

static void mermaid_event(dt_sink *s, const dt_event *ev)
{
    mermaid_sink *m = (mermaid_sink *)s;
    char dur[32];
    header(m);
    if (ev->kind == DT_EV_NOTE || (ev->kind == DT_EV_PDU && ev->role == DT_ROLE_NONE && !ev->is_error))
        return; /* connections opened and closed, events that are no exchange */
    if (!room(m))
        return;
    if (!ev->conv) {
        fputs("    Note over ", m->out);
        fprintf(m->out, "p%zu: ", participant(m, ev->input ? ev->input : "diagtap"));
        put_text(m->out, ev->summary, MAX_TEXT);
        putc('\n', m->out);
        return;
    }
    size_t c = participant(m, ev->conv->client), v = participant(m, ev->conv->server);
    size_t from = ev->dir == DT_DIR_C2S ? c : v, to = ev->dir == DT_DIR_C2S ? v : c;
    if (ev->kind == DT_EV_PENDING) {
        fprintf(m->out, "    Note over p%zu,p%zu: ⚠ ", from, to);
        put_text(m->out, ev->summary, MAX_TEXT);
        putc('\n', m->out);
        return;
    }
    if (ev->kind == DT_EV_ERROR) {
        fprintf(m->out, "    Note over p%zu,p%zu: ✖ ", c, v);
        put_text(m->out, ev->summary, MAX_TEXT);
        putc('\n', m->out);
        return;
    }
    /* requests solid, replies dashed; an error reply ends in a cross */
    const char *arrow = ev->role == DT_ROLE_REQUEST ? "->>" : ev->is_error ? "--x" : "-->>";
    fprintf(m->out, "    p%zu%sp%zu: ", from, arrow, to);
    if (ev->is_error)
        fputs("✖ ", m->out);
    put_text(m->out, ev->summary, MAX_TEXT);
    if (ev->has_latency && ev->role != DT_ROLE_REQUEST) {
        dt_fmt_duration(ev->latency_ns, dur, sizeof dur);
        fprintf(m->out, " (%s)", dur);
    }
    putc('\n', m->out);
}

static int mermaid_finish(dt_sink *s)
{
    mermaid_sink *m = (mermaid_sink *)s;
    header(m);
    if (!m->n_names && !m->others_declared)
        fputs("    participant p0 as no exchanges in this selection\n", m->out);
    if (m->omitted) {
        fprintf(m->out, "    Note over p%d: … %llu more messages not shown: narrow the selection with --from, --to, --grep, --proto\n",
                m->n_names ? 1 : 0, (unsigned long long)m->omitted);
    }
    if (m->fenced)
        fputs("```\n", m->out);
    fflush(m->out);
    return dt_sink_file_status(m->out, &m->reported, "sequence diagram");
}

static void mermaid_destroy(dt_sink *s)
{
    mermaid_sink *m = (mermaid_sink *)s;
    for (size_t i = 0; i < m->n_names; i++)
        free(m->names[i]);
    free(m);
}

dt_sink *dt_mermaid_sink_new(FILE *out, bool markdown, uint64_t max_messages)
{
    mermaid_sink *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->base.channel = dt_sink_nop_channel;
    m->base.event = mermaid_event;
    m->base.finish = mermaid_finish;
    m->base.destroy = mermaid_destroy;
    m->out = out;
    m->fenced = markdown;
    m->max_messages = max_messages ? max_messages : 1000;
    return &m->base;
}
