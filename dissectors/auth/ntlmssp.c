/* NTLMSSP messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE, AUTHENTICATE.
 * The one NTLMSSP parser of diagtap (SMB2 and HTTP both come here). User,
 * domain and workstation names are shown; the responses and the encrypted
 * session key are credentials (redacted unless --show-credentials). */
#include "auth_int.h"

#define NTLM_UNICODE 0x00000001u
#define NTLM_VERSION 0x02000000u

static const struct {
    uint32_t bit;
    const char *name;
} flag_names[] = {
    { 0x00000001, "UNICODE" },
    { 0x00000002, "OEM" },
    { 0x00000004, "REQUEST_TARGET" },
    { 0x00000010, "SIGN" },
    { 0x00000020, "SEAL" },
    { 0x00000040, "DATAGRAM" },
    { 0x00000080, "LM_KEY" },
    { 0x00000200, "NTLM" },
    { 0x00000800, "ANONYMOUS" },
    { 0x00001000, "OEM_DOMAIN_SUPPLIED" },
    { 0x00002000, "OEM_WORKSTATION_SUPPLIED" },
    { 0x00008000, "ALWAYS_SIGN" },
    { 0x00010000, "TARGET_TYPE_DOMAIN" },
    { 0x00020000, "TARGET_TYPE_SERVER" },
    { 0x00080000, "EXTENDED_SESSIONSECURITY" },
    { 0x00100000, "IDENTIFY" },
    { 0x00400000, "REQUEST_NON_NT_SESSION_KEY" },
    { 0x00800000, "TARGET_INFO" },
    { 0x02000000, "VERSION" },
    { 0x20000000, "128" },
    { 0x40000000, "KEY_EXCH" },
    { 0x80000000, "56" },
};

static void add_flags(auth_walk *w, dt_cursor *c)
{
    size_t off = dt_cur_offset(c);
    uint32_t f = dt_cur_u32le(c);
    if (!dt_cur_ok(c))
        return;
    dt_field *fl = auth_add_uint(w, NULL, A_NTLM_FLAGS, off, 4, f);
    char names[400] = "";
    size_t n = 0;
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++) {
        size_t len = strlen(flag_names[i].name);
        if (!(f & flag_names[i].bit) || n + len + 2 >= sizeof names)
            continue;
        if (n)
            names[n++] = '|';
        memcpy(names + n, flag_names[i].name, len + 1);
        n += len;
    }
    auth_add_str(w, fl, A_NTLM_FLAG_NAMES, off, 4, names);
}

/* A security buffer (length, max length, offset from the message start);
 * an offset outside the message gives an empty, overrun cursor. */
static dt_cursor secbuf(dt_cursor *c, const dt_cursor *msg)
{
    uint16_t len = dt_cur_u16le(c);
    dt_cur_skip(c, 2);
    uint32_t off = dt_cur_u32le(c);
    dt_cursor t = *msg;
    t.pos = 0;
    if (!dt_cur_seek(&t, off)) {
        dt_cursor e = dt_cursor_make(msg->data, 0);
        e.base = msg->base;
        e.overrun = true;
        return e;
    }
    return dt_cur_sub(&t, len);
}

static void secbuf_string(auth_walk *w, int id, dt_cursor b, bool unicode, char *out, size_t sz)
{
    size_t off = dt_cur_offset(&b), n = dt_cur_left(&b);
    out[0] = '\0';
    if (unicode)
        dt_cur_utf16le(&b, n, out, sz);
    else
        dt_cur_string(&b, n, out, sz);
    if (n && id >= 0)
        auth_add_str(w, NULL, id, off, n, out);
}

static void secbuf_bytes(auth_walk *w, int id, dt_cursor b)
{
    size_t n = dt_cur_left(&b);
    if (n)
        auth_add_bytes(w, NULL, id, dt_cur_offset(&b), b.data + b.pos, n);
}

static void version(auth_walk *w, dt_cursor *c, uint32_t flags)
{
    if (!(flags & NTLM_VERSION))
        return;
    size_t off = dt_cur_offset(c);
    const uint8_t *v = dt_cur_bytes(c, 8);
    if (!v)
        return;
    char s[48];
    dt_snprintf(s, sizeof s, "%u.%u.%u NTLM %u", v[0], v[1], (unsigned)(v[2] | v[3] << 8), v[7]);
    auth_add_str(w, NULL, A_NTLM_VERSION, off, 8, s);
}

/* MS-NLMP 2.2.2.1: AV_PAIRs of the CHALLENGE's target info. */
static void target_info(auth_walk *w, dt_cursor ti)
{
    for (int i = 0; i < 32 && dt_cur_left(&ti) >= 4; i++) {
        size_t off = dt_cur_offset(&ti);
        uint16_t id = dt_cur_u16le(&ti), len = dt_cur_u16le(&ti);
        dt_cursor v = dt_cur_sub(&ti, len);
        if (!dt_cur_ok(&ti)) {
            auth_malformed(w, off, "NTLMSSP target info item truncated");
            return;
        }
        dt_field *f = auth_add_uint(w, NULL, A_NTLM_AV, off, 4u + len, id);
        if (id == 0)
            return;
        char s[128];
        if (id >= 1 && id <= 5) {
            dt_cur_utf16le(&v, len, s, sizeof s);
        } else if (id == 6 && len == 4) {
            dt_snprintf(s, sizeof s, "0x%08x", dt_cur_u32le(&v));
        } else if (id == 7 && len == 8) {
            uint64_t ft = dt_cur_u64le(&v);
            dt_snprintf(s, sizeof s, "%llu", (unsigned long long)ft);
        } else if (id == 9) {
            dt_cur_utf16le(&v, len, s, sizeof s);
        } else {
            dt_snprintf(s, sizeof s, "%u bytes", len);
        }
        auth_add_str(w, f, A_NTLM_AV_VALUE, off + 4, len, s);
    }
}

static uint32_t peek_flags(const dt_cursor *c)
{
    const uint8_t *fp = dt_cur_peek(c, 0, 4);
    return fp ? (uint32_t)fp[0] | (uint32_t)fp[1] << 8 | (uint32_t)fp[2] << 16 | (uint32_t)fp[3] << 24 : 0;
}

static void negotiate(auth_walk *w, dt_cursor *cp, dt_cursor msg)
{
    dt_cursor c = *cp;
    uint32_t flags = peek_flags(&c);
    add_flags(w, &c);
    dt_auth_state *st = w->st;
    st->have_client_dir = true;
    st->client_dir = w->dir;
    if (dt_cur_left(&c) >= 16) {
        dt_cursor dom = secbuf(&c, &msg), host = secbuf(&c, &msg);
        char d[64], h[64];
        if (dt_cur_ok(&dom))
            secbuf_string(w, A_NTLM_NEG_DOMAIN, dom, false, d, sizeof d);
        if (dt_cur_ok(&host))
            secbuf_string(w, A_NTLM_NEG_HOST, host, false, h, sizeof h);
        version(w, &c, flags);
    }
    st->stage = DT_AUTH_STAGE_NEGOTIATE;
    *cp = c;
}

static void challenge(auth_walk *w, dt_cursor *cp, dt_cursor msg)
{
    dt_cursor c = *cp;
    dt_auth_state *st = w->st;
    dt_cursor target = secbuf(&c, &msg);
    uint32_t flags = peek_flags(&c);
    add_flags(w, &c);
    size_t choff = dt_cur_offset(&c);
    const uint8_t *ch = dt_cur_bytes(&c, 8);
    *cp = c;
    if (!ch)
        return;
    auth_add_bytes(w, NULL, A_NTLM_CHALLENGE, choff, ch, 8);
    memcpy(st->server_challenge, ch, 8);
    st->have_challenge = true;
    st->ntlm_flags = flags;
    if (!st->have_client_dir) {
        st->have_client_dir = true;
        st->client_dir = w->dir == DT_DIR_C2S ? DT_DIR_S2C : DT_DIR_C2S;
    }
    char name[96];
    if (dt_cur_ok(&target))
        secbuf_string(w, A_NTLM_TARGET, target, flags & NTLM_UNICODE, name, sizeof name);
    if (dt_cur_left(&c) >= 16) { /* reserved, then target info (absent in old servers' short form) */
        dt_cur_skip(&c, 8);
        dt_cursor ti = secbuf(&c, &msg);
        if (dt_cur_ok(&ti))
            target_info(w, ti);
        version(w, &c, flags);
    }
    st->stage = DT_AUTH_STAGE_CHALLENGE;
    *cp = c;
}

static const char *response_version(size_t nt_len, const uint8_t *lm, size_t lm_len, uint32_t flags)
{
    if (nt_len == 0)
        return lm_len <= 1 ? "anonymous" : "LM";
    if (nt_len == 24) {
        bool ess = (flags & 0x00080000u) && lm_len == 24 && lm &&
                   memcmp(lm + 8, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0;
        return ess ? "NTLMv1-ESS" : "NTLMv1";
    }
    return "NTLMv2";
}

static void authenticate(auth_walk *w, dt_cursor *cp, dt_cursor msg)
{
    dt_cursor c = *cp;
    dt_auth_state *st = w->st;
    dt_cursor lm = secbuf(&c, &msg), nt = secbuf(&c, &msg), dom = secbuf(&c, &msg);
    dt_cursor usr = secbuf(&c, &msg), host = secbuf(&c, &msg), key = secbuf(&c, &msg);
    uint32_t flags = peek_flags(&c);
    add_flags(w, &c);
    *cp = c;
    if (!dt_cur_ok(&c))
        return;
    bool uni = flags & NTLM_UNICODE;
    auth_ntlm_auth a;
    memset(&a, 0, sizeof a);
    a.flags = flags;
    a.unicode = uni;
    char h[64];
    secbuf_string(w, A_NTLM_DOMAIN, dom, uni, a.domain_utf8, sizeof a.domain_utf8);
    secbuf_string(w, A_NTLM_USER, usr, uni, a.user_utf8, sizeof a.user_utf8);
    secbuf_string(w, A_NTLM_HOST, host, uni, h, sizeof h);
    secbuf_bytes(w, A_NTLM_LMRESP, lm);
    secbuf_bytes(w, A_NTLM_NTRESP, nt);
    secbuf_bytes(w, A_NTLM_SESSKEY, key);
    version(w, &c, flags);
    a.domain = dom.data + dom.pos, a.domain_len = dt_cur_left(&dom);
    a.user = usr.data + usr.pos, a.user_len = dt_cur_left(&usr);
    a.lm_resp = lm.data + lm.pos, a.lm_len = dt_cur_left(&lm);
    a.nt_resp = nt.data + nt.pos, a.nt_len = dt_cur_left(&nt);
    a.enc_key = key.data + key.pos, a.enc_key_len = dt_cur_left(&key);
    if (!dt_cur_ok(&lm) || !dt_cur_ok(&nt) || !dt_cur_ok(&dom) || !dt_cur_ok(&usr) || !dt_cur_ok(&key)) {
        auth_malformed(w, dt_cur_offset(&msg), "NTLMSSP_AUTH security buffer outside the message");
        return;
    }
    const char *rv = response_version(a.nt_len, a.lm_resp, a.lm_len, flags);
    auth_add_str(w, NULL, A_NTLM_RESP_VERSION, 0, 0, rv);
    st->have_client_dir = true;
    st->client_dir = w->dir;
    st->ntlmv2 = a.nt_len > 24;
    dt_snprintf(st->workstation, sizeof st->workstation, "%s", h);
    bool anon = !a.user_utf8[0] && a.nt_len == 0;
    if (anon) {
        auth_desc(w, "anonymous");
        dt_snprintf(st->user, sizeof st->user, "anonymous");
    } else {
        auth_desc(w, "%s%s%s%s%s", a.domain_utf8, a.domain_utf8[0] ? "\\" : "", a.user_utf8, h[0] ? " from " : "",
                  h);
        dt_snprintf(st->user, sizeof st->user, "%s%s%s", a.domain_utf8, a.domain_utf8[0] ? "\\" : "", a.user_utf8);
        auth_add_str(w, NULL, A_USER, 0, 0, st->user);
    }
    st->stage = DT_AUTH_STAGE_AUTHENTICATE;
    if (anon)
        st->keys = DT_AUTH_KEYS_UNSUPPORTED;
    else
        auth_ntlm_keys(w, &a);
}

void auth_ntlmssp(auth_walk *w, dt_cursor msg)
{
    dt_cursor c = msg;
    dt_cur_skip(&c, 8);
    size_t toff = dt_cur_offset(&c);
    uint32_t type = dt_cur_u32le(&c);
    if (!dt_cur_ok(&c)) {
        auth_malformed(w, dt_cur_offset(&msg), "NTLMSSP message truncated");
        return;
    }
    w->st->mech = DT_AUTH_MECH_NTLM;
    auth_add_str(w, NULL, A_SPNEGO_MECH, dt_cur_offset(&msg), 0, "NTLMSSP");
    auth_add_uint(w, NULL, A_NTLM_TYPE, toff, 4, type);
    const char *tn = dt_value_name_find(auth_ntlmssp_type_vals, type, false);
    auth_desc(w, "%s", tn ? tn : "NTLMSSP");
    if (type == 1)
        negotiate(w, &c, msg);
    else if (type == 2)
        challenge(w, &c, msg);
    else if (type == 3)
        authenticate(w, &c, msg);
    if (!dt_cur_ok(&c))
        auth_malformed(w, dt_cur_offset(&c), "NTLMSSP message truncated");
}
