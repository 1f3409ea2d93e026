/* The name shown for an EventPipe event, following TraceEvent (PerfView,
 * dotnet-trace report) so that counts line up with what users know. */
#include <stdio.h>
#include <string.h>

#include "clr_events.h"
#include "nettrace.h"

const char *dt_clr_event_lookup(const char *provider, uint32_t event_id)
{
    size_t lo = 0, hi = dt_clr_event_names_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const dt_clr_event_name *e = &dt_clr_event_names[mid];
        int c = strcmp(e->provider, provider);
        if (c == 0)
            c = e->event_id < event_id ? -1 : e->event_id > event_id ? 1 : 0;
        if (c == 0)
            return e->name;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const dt_clr_template *dt_clr_template_lookup(const char *provider, uint32_t event_id, uint32_t version)
{
    /* first entry >= (provider, event_id, version + 1), then step back */
    size_t lo = 0, hi = dt_clr_templates_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const dt_clr_template *t = &dt_clr_templates[mid];
        int c = strcmp(t->provider, provider);
        if (c == 0)
            c = t->event_id < event_id ? -1 : t->event_id > event_id ? 1 : t->version <= version ? -1 : 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const dt_clr_template *t = &dt_clr_templates[lo - 1];
    return strcmp(t->provider, provider) == 0 && t->event_id == event_id ? t : NULL;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

void nt_event_name(const char *provider, uint32_t event_id, const char *meta_name, int32_t opcode, char *out,
                   size_t outsz)
{
    const char *known = dt_clr_event_lookup(provider, event_id);
    if (known) {
        snprintf(out, outsz, "%s", known);
        return;
    }
    if (!meta_name || !meta_name[0]) {
        snprintf(out, outsz, "EventID(%u)", event_id);
        return;
    }
    /* EventSource convention: "RequestStart" with opcode Start (stated or
     * implied by the name) is shown as "Request/Start". */
    size_t n = strlen(meta_name);
    bool start = ends_with(meta_name, n, "Start") && (opcode < 0 || opcode == 1);
    bool stop = ends_with(meta_name, n, "Stop") && (opcode < 0 || opcode == 2);
    if (start)
        snprintf(out, outsz, "%.*s/Start", (int)(n - 5), meta_name);
    else if (stop)
        snprintf(out, outsz, "%.*s/Stop", (int)(n - 4), meta_name);
    else if (opcode <= 0)
        snprintf(out, outsz, "%s", meta_name);
    else {
        /* Any other opcode is part of the name, as TraceEvent shows it: by
         * its name when ETW defines one, else by number ("TestEvent3/24"). */
        const char *op = nt_opcode_name(opcode);
        if (op)
            snprintf(out, outsz, "%s/%s", meta_name, op);
        else
            snprintf(out, outsz, "%s/%d", meta_name, (int)opcode);
    }
}

const char *nt_opcode_name(int32_t opcode)
{
    /* winmeta.xml's standard opcodes, named as TraceEvent's TraceEventOpcode */
    switch (opcode) {
    case 1: return "Start";
    case 2: return "Stop";
    case 3: return "DCStart";
    case 4: return "DCStop";
    case 5: return "Extension";
    case 6: return "Reply";
    case 7: return "Resume";
    case 8: return "Suspend";
    case 9: return "Send"; /* Transfer */
    default: return NULL;
    }
}
