/* A named-pipe peer for the Windows tests (built with mingw, run under
 * wine): a server or a client that speaks one of a few test protocols.
 *
 *   pipe_peer server NAME MODE [--message] [--once]
 *   pipe_peer client NAME MODE [--clients N]
 *   pipe_peer server NAME MODE [--sddl SDDL]
 *
 * MODE:
 *   bulk:BYTES:SEED  send BYTES of a xorshift stream seeded with SEED while
 *                    reading until the peer's end; prints "sent SHA received
 *                    SHA BYTES" (SHA-256, hex). The peer uses SEED+1.
 *   echo             (server) write back every read (message by message)
 *   msgs             (client) send the test message sizes as messages, read
 *                    each back, check size and content: prints "msgs ok N"
 *   script:FILE:ROLE lockstep replay: FILE is lines "h HEX" (host/debugger
 *                    sends) or "t HEX" (target sends); ROLE h or t writes
 *                    its lines and reads the other's, checking each byte.
 *   conns:FILE:ROLE  the same over several connections, as the .NET IPC
 *                    protocol uses them (one per command, a trace stream
 *                    open while StopTracing comes on another): lines
 *                    "h N HEX", "t N HEX" and "x N" (both close connection
 *                    N). The client opens connection N when it first comes
 *                    up; the server takes the next connection from its
 *                    accept thread and skips any that end before sending a
 *                    byte (a proxy's probe). Prints "conns ok STEPS".
 *   sddl             (client) opens NAME for READ_CONTROL and prints its
 *                    DACL ("sddl D:...") and owner ("owner O:..."), read
 *                    with GetSecurityInfo, whether the DACL is absent, null
 *                    or present (and its ACE count), then whether a second
 *                    open for reading and writing succeeds ("open rw ok 0"
 *                    or "open rw failed ERROR").
 *
 * In NAME, @PID@ stands for this process's id; a server prints its id on
 * its first ready line ("ready pid N"). --sddl SDDL gives the server's pipe
 * that security descriptor (ConvertStringSecurityDescriptorToSecurityDescriptor;
 * @USER@ in it stands for the SID of this process's user; NULL: a NULL DACL)
 * and prints "given dacl absent|null|present" (what it made of it).
 * Exit status 0 when everything checked out. */
#include <windows.h>
#include <bcrypt.h>
#include <aclapi.h>
#include <sddl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char g_name[512];
static const char *g_mode;
static bool g_message;
static SECURITY_ATTRIBUTES *g_sa; /* --sddl, else NULL (the default) */

static const DWORD msg_sizes[] = { 1, 100, 4096, 65535, 65536, 65537, 300000, 7, 1048576, 3 };

static void die(const char *what)
{
    fprintf(stderr, "pipe_peer: %s: Windows error %lu\n", what, (unsigned long)GetLastError());
    fflush(stderr);
    ExitProcess(2);
}

typedef struct sha { BCRYPT_ALG_HANDLE alg; BCRYPT_HASH_HANDLE h; } sha;

static void sha_init(sha *s)
{
    if (BCryptOpenAlgorithmProvider(&s->alg, BCRYPT_SHA256_ALGORITHM, NULL, 0) < 0 ||
        BCryptCreateHash(s->alg, &s->h, NULL, 0, NULL, 0, 0) < 0)
        die("sha256");
}

static void sha_add(sha *s, const void *p, DWORD n) { BCryptHashData(s->h, (PUCHAR)p, n, 0); }

static void sha_hex(sha *s, char out[65])
{
    uint8_t d[32];
    BCryptFinishHash(s->h, d, 32, 0);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
    BCryptDestroyHash(s->h);
    BCryptCloseAlgorithmProvider(s->alg, 0);
}

static void fill(uint64_t *state, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        p[i] = (uint8_t)(x >> 24);
    }
}

static bool write_all(HANDLE h, const void *p, DWORD n)
{
    DWORD off = 0;
    do {
        DWORD w = 0;
        if (!WriteFile(h, (const uint8_t *)p + off, n - off, &w, NULL))
            return false;
        off += w;
    } while (off < n);
    return true;
}

/* One whole message (or what a byte read gives); -1 at the end. */
static long read_msg(HANDLE h, uint8_t **buf, size_t *cap)
{
    size_t len = 0;
    for (;;) {
        DWORD got = 0;
        if (ReadFile(h, *buf + len, (DWORD)(*cap - len), &got, NULL))
            return (long)(len + got);
        if (GetLastError() != ERROR_MORE_DATA)
            return len ? (long)len : -1;
        len += got;
        *cap *= 2;
        *buf = realloc(*buf, *cap);
    }
}

typedef struct bulk_tx { HANDLE h; uint64_t bytes, seed; char hex[65]; bool ok; } bulk_tx;

static DWORD WINAPI bulk_send(void *arg)
{
    bulk_tx *t = arg;
    uint64_t st = t->seed * 0x9E3779B97F4A7C15ull + 1;
    uint8_t buf[65536];
    sha s;
    sha_init(&s);
    t->ok = true;
    for (uint64_t left = t->bytes; left;) {
        DWORD n = left < sizeof buf ? (DWORD)left : (DWORD)sizeof buf;
        fill(&st, buf, n);
        sha_add(&s, buf, n);
        if (!write_all(t->h, buf, n)) {
            t->ok = false;
            break;
        }
        left -= n;
    }
    sha_hex(&s, t->hex);
    return 0;
}

/* bulk:BYTES:SEED both ways at once; returns the exit status. */
static int run_bulk(HANDLE h, bool server)
{
    unsigned long long bytes = 0, seed = 0;
    sscanf(g_mode, "bulk:%llu:%llu", &bytes, &seed);
    bulk_tx tx = { h, bytes, seed + (server ? 1 : 0), "", false };
    HANDLE th = CreateThread(NULL, 0, bulk_send, &tx, 0, NULL);
    sha s;
    sha_init(&s);
    uint64_t got = 0;
    uint8_t *buf = malloc(1 << 16);
    for (;;) {
        DWORD n = 0;
        if (!ReadFile(h, buf, 1 << 16, &n, NULL) && GetLastError() != ERROR_MORE_DATA)
            break;
        sha_add(&s, buf, n);
        got += n;
        if (got >= bytes && !server)
            break;
    }
    WaitForSingleObject(th, INFINITE);
    char hex[65];
    sha_hex(&s, hex);
    printf("sent %s received %s %llu\n", tx.hex, hex, (unsigned long long)got);
    fflush(stdout);
    free(buf);
    return tx.ok && got == bytes ? 0 : 1;
}

static int run_echo(HANDLE h)
{
    size_t cap = 65536;
    uint8_t *buf = malloc(cap);
    long n;
    while ((n = read_msg(h, &buf, &cap)) >= 0)
        if (!write_all(h, buf, (DWORD)n))
            break;
    free(buf);
    return 0;
}

static int run_msgs(HANDLE h)
{
    size_t cap = 65536;
    uint8_t *buf = malloc(cap), *want = malloc(1 << 21);
    uint64_t st = 42;
    int n = 0;
    for (size_t i = 0; i < sizeof msg_sizes / sizeof msg_sizes[0]; i++) {
        fill(&st, want, msg_sizes[i]);
        if (!write_all(h, want, msg_sizes[i]))
            die("write message");
        long got = read_msg(h, &buf, &cap);
        if (got != (long)msg_sizes[i] || memcmp(buf, want, msg_sizes[i]) != 0) {
            printf("msgs FAIL: message %zu of %lu bytes came back as %ld bytes\n", i, (unsigned long)msg_sizes[i], got);
            return 1;
        }
        n++;
    }
    printf("msgs ok %d\n", n);
    return 0;
}

/* script:FILE:ROLE */
static int run_script(HANDLE h)
{
    char path[MAX_PATH];
    char role = 0;
    const char *p = g_mode + 7, *colon = strrchr(p, ':');
    if (!colon || (size_t)(colon - p) >= sizeof path)
        die("script spec");
    memcpy(path, p, (size_t)(colon - p));
    path[colon - p] = 0;
    role = colon[1];
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    static char line[1 << 17];
    uint8_t data[1 << 16], got[1 << 16];
    int steps = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = 0;
        for (const char *x = line + 2; x[0] && x[1] && x[0] != '\n' && x[0] != '\r'; x += 2) {
            unsigned v;
            sscanf(x, "%2x", &v);
            data[n++] = (uint8_t)v;
        }
        if (line[0] == role) {
            if (!write_all(h, data, (DWORD)n)) {
                printf("script FAIL: peer ended before step %d\n", steps);
                fclose(f);
                return 1; /* a server goes on (diagtap's probe connection ends at once) */
            }
        } else {
            for (size_t have = 0; have < n;) {
                DWORD r = 0;
                if (!ReadFile(h, got + have, (DWORD)(n - have), &r, NULL) || r == 0) {
                    printf("script FAIL: peer ended in step %d\n", steps);
                    fclose(f);
                    return 1;
                }
                have += r;
            }
            if (memcmp(got, data, n) != 0) {
                printf("script FAIL: step %d altered\n", steps);
                return 1;
            }
        }
        steps++;
    }
    fclose(f);
    printf("script ok %d\n", steps);
    return 0;
}

static HANDLE client_open(void);

/* conns: the server's connected instances, handed from the accept thread
 * to the player in the order they connected. */
#define ACCEPT_MAX 256
static HANDLE g_accepted[ACCEPT_MAX];
static HANDLE g_accept_sem;

static HANDLE make_instance(void)
{
    DWORD type = g_message ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE : PIPE_TYPE_BYTE;
    return CreateNamedPipeA(g_name, PIPE_ACCESS_DUPLEX, type | PIPE_WAIT, PIPE_UNLIMITED_INSTANCES, 65536, 65536, 0,
                            g_sa);
}

static DWORD WINAPI accept_thread(void *arg)
{
    HANDLE h = arg; /* the first instance, made before "ready" */
    for (int n = 0; n < ACCEPT_MAX;) {
        if (ConnectNamedPipe(h, NULL) || GetLastError() == ERROR_PIPE_CONNECTED) {
            g_accepted[n++] = h;
            ReleaseSemaphore(g_accept_sem, 1, NULL);
        } else {
            CloseHandle(h); /* the client came and went (ERROR_NO_DATA) */
        }
        if ((h = make_instance()) == INVALID_HANDLE_VALUE)
            die("CreateNamedPipe");
    }
    return 0;
}

static bool read_exact(HANDLE h, uint8_t *p, size_t n, size_t *got)
{
    for (*got = 0; *got < n;) {
        DWORD r = 0;
        if (!ReadFile(h, p + *got, (DWORD)(n - *got), &r, NULL) && GetLastError() != ERROR_MORE_DATA)
            return false;
        if (r == 0)
            return false;
        *got += r;
    }
    return true;
}

#define CONNS_MAX 64

/* conns:FILE:ROLE */
static int run_conns(bool server)
{
    char path[MAX_PATH];
    const char *p = g_mode + 6, *colon = strrchr(p, ':');
    if (!colon || (size_t)(colon - p) >= sizeof path)
        die("conns spec");
    memcpy(path, p, (size_t)(colon - p));
    path[colon - p] = 0;
    char role = colon[1];
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    HANDLE conn[CONNS_MAX];
    for (int i = 0; i < CONNS_MAX; i++)
        conn[i] = INVALID_HANDLE_VALUE;
    int next_accepted = 0, steps = 0;
    static char line[1 << 18];
    static uint8_t data[1 << 17], got[1 << 17];
    while (fgets(line, sizeof line, f)) {
        char who = 0;
        int k = -1, off = 0;
        if (sscanf(line, "%c %d %n", &who, &k, &off) < 2 || k < 0 || k >= CONNS_MAX)
            die("conns line");
        size_t n = 0;
        for (const char *x = line + off; x[0] && x[1] && x[0] != '\n' && x[0] != '\r' && n < sizeof data; x += 2) {
            unsigned v;
            sscanf(x, "%2x", &v);
            data[n++] = (uint8_t)v;
        }
        if (who == 'x') {
            if (conn[k] != INVALID_HANDLE_VALUE) {
                if (server)
                    FlushFileBuffers(conn[k]); /* until the client has read it all */
                CloseHandle(conn[k]);
                conn[k] = INVALID_HANDLE_VALUE;
            }
            steps++;
            continue;
        }
        bool first = conn[k] == INVALID_HANDLE_VALUE;
        for (;;) {
            if (conn[k] == INVALID_HANDLE_VALUE) {
                if (!server) {
                    conn[k] = client_open();
                } else {
                    if (WaitForSingleObject(g_accept_sem, 60000) != WAIT_OBJECT_0) {
                        printf("conns FAIL: no connection %d within 60 s\n", k);
                        return 1;
                    }
                    conn[k] = g_accepted[next_accepted++];
                }
            }
            if (who == role) {
                if (!write_all(conn[k], data, (DWORD)n)) {
                    printf("conns FAIL: peer ended before step %d\n", steps);
                    return 1;
                }
                break;
            }
            size_t have = 0;
            if (read_exact(conn[k], got, n, &have))
                break;
            if (server && first && have == 0) { /* a probe: it never spoke */
                CloseHandle(conn[k]);
                conn[k] = INVALID_HANDLE_VALUE;
                continue;
            }
            printf("conns FAIL: peer ended in step %d (connection %d, %zu of %zu bytes)\n", steps, k, have, n);
            return 1;
        }
        if (who != role && memcmp(got, data, n) != 0) {
            printf("conns FAIL: step %d altered\n", steps);
            return 1;
        }
        steps++;
    }
    fclose(f);
    printf("conns ok %d\n", steps);
    return 0;
}

/* sddl: the DACL and owner of NAME, as its server gave them. */
static int run_sddl(void)
{
    HANDLE h = INVALID_HANDLE_VALUE;
    for (int tries = 0; tries < 200 && h == INVALID_HANDLE_VALUE; tries++) {
        h = CreateFileA(g_name, READ_CONTROL, 0, NULL, OPEN_EXISTING, 0, NULL);
        DWORD e = h == INVALID_HANDLE_VALUE ? GetLastError() : 0;
        if (e == ERROR_PIPE_BUSY)
            WaitNamedPipeA(g_name, 2000);
        else if (e == ERROR_FILE_NOT_FOUND) /* a test server between two instances */
            Sleep(50);
        else if (e)
            die("CreateFile");
    }
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL acl = NULL;
    DWORD r = GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION, NULL,
                              NULL, &acl, NULL, &sd);
    if (r != ERROR_SUCCESS) {
        printf("sddl error %lu\n", (unsigned long)r);
        return 1;
    }
    char *dacl = NULL, *owner = NULL;
    if (!ConvertSecurityDescriptorToStringSecurityDescriptorA(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &dacl,
                                                              NULL) ||
        !ConvertSecurityDescriptorToStringSecurityDescriptorA(sd, SDDL_REVISION_1, OWNER_SECURITY_INFORMATION, &owner,
                                                              NULL))
        die("ConvertSecurityDescriptorToStringSecurityDescriptor");
    SECURITY_DESCRIPTOR_CONTROL ctl = 0;
    DWORD rev;
    GetSecurityDescriptorControl(sd, &ctl, &rev);
    /* the SDDL string alone cannot tell a NULL DACL from none everywhere */
    printf("sddl %s\nowner %s\ndacl %s aces %d\n", dacl, owner,
           !(ctl & SE_DACL_PRESENT) ? "absent" : acl ? "present" : "null", acl ? (int)acl->AceCount : -1);
    /* may a client open it for reading and writing (is the DACL enforced)? */
    HANDLE rw = INVALID_HANDLE_VALUE;
    for (int tries = 0; tries < 100; tries++) { /* the server may not have its next instance yet */
        rw = CreateFileA(g_name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (rw != INVALID_HANDLE_VALUE || GetLastError() != ERROR_PIPE_BUSY)
            break;
        Sleep(50);
    }
    printf("open rw %s %lu\n", rw != INVALID_HANDLE_VALUE ? "ok" : "failed", (unsigned long)GetLastError());
    if (rw != INVALID_HANDLE_VALUE)
        CloseHandle(rw);
    LocalFree(dacl);
    LocalFree(owner);
    LocalFree(sd);
    CloseHandle(h);
    return 0;
}

static int serve_one(HANDLE h, bool server)
{
    if (strncmp(g_mode, "bulk:", 5) == 0)
        return run_bulk(h, server);
    if (strcmp(g_mode, "echo") == 0)
        return run_echo(h);
    if (strcmp(g_mode, "msgs") == 0)
        return run_msgs(h);
    if (strncmp(g_mode, "script:", 7) == 0)
        return run_script(h);
    if (strncmp(g_mode, "conns:", 6) == 0)
        return run_conns(server);
    fprintf(stderr, "pipe_peer: unknown mode %s\n", g_mode);
    return 2;
}

static DWORD WINAPI server_thread(void *arg)
{
    HANDLE h = arg;
    serve_one(h, true);
    FlushFileBuffers(h);
    DisconnectNamedPipe(h);
    CloseHandle(h);
    return 0;
}

static int server(bool once)
{
    if (strncmp(g_mode, "conns:", 6) == 0) {
        HANDLE h = make_instance();
        if (h == INVALID_HANDLE_VALUE)
            die("CreateNamedPipe");
        g_accept_sem = CreateSemaphoreA(NULL, 0, ACCEPT_MAX, NULL);
        printf("ready pid %lu\n", (unsigned long)GetCurrentProcessId());
        fflush(stdout);
        CloseHandle(CreateThread(NULL, 0, accept_thread, h, 0, NULL));
        return run_conns(true);
    }
    for (bool first = true;; first = false) {
        HANDLE h = make_instance();
        if (h == INVALID_HANDLE_VALUE)
            die("CreateNamedPipe");
        if (first)
            printf("ready pid %lu\n", (unsigned long)GetCurrentProcessId());
        else
            printf("ready\n");
        fflush(stdout);
        if (!ConnectNamedPipe(h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED)
            die("ConnectNamedPipe");
        if (once) {
            int rc = serve_one(h, true);
            FlushFileBuffers(h);
            CloseHandle(h);
            return rc;
        }
        CloseHandle(CreateThread(NULL, 0, server_thread, h, 0, NULL));
    }
}

static HANDLE client_open(void)
{
    for (int tries = 0; tries < 200; tries++) {
        HANDLE h = CreateFileA(g_name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE) {
            DWORD flags = 0;
            if (GetNamedPipeInfo(h, &flags, NULL, NULL, NULL) && (flags & PIPE_TYPE_MESSAGE)) {
                DWORD mode = PIPE_READMODE_MESSAGE;
                SetNamedPipeHandleState(h, &mode, NULL, NULL);
            }
            return h;
        }
        if (GetLastError() == ERROR_PIPE_BUSY)
            WaitNamedPipeA(g_name, 2000);
        else
            Sleep(50);
    }
    die("CreateFile");
    return NULL;
}

static volatile LONG g_failed;

static DWORD WINAPI client_thread(void *arg)
{
    (void)arg;
    HANDLE h = client_open();
    if (serve_one(h, false) != 0)
        InterlockedIncrement(&g_failed);
    CloseHandle(h);
    return 0;
}

/* in with every @USER@ replaced by this process's user's SID (S-1-5-...). */
static void with_user_sid(const char *in, char *out, size_t outsz)
{
    HANDLE tok;
    union { TOKEN_USER tu; char raw[256]; } u;
    DWORD got = 0;
    char *sid = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok) ||
        !GetTokenInformation(tok, TokenUser, &u, sizeof u, &got) || !ConvertSidToStringSidA(u.tu.User.Sid, &sid))
        die("the user's SID");
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < outsz;) {
        if (strncmp(p, "@USER@", 6) == 0) {
            n += (size_t)snprintf(out + n, outsz - n, "%s", sid);
            p += 6;
        } else {
            out[n++] = *p++;
        }
    }
    out[n < outsz ? n : outsz - 1] = 0;
    LocalFree(sid);
    CloseHandle(tok);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: pipe_peer server|client NAME MODE [--message] [--once] [--clients N]\n");
        return 2;
    }
    const char *at = strstr(argv[2], "@PID@");
    if (at)
        snprintf(g_name, sizeof g_name, "%.*s%lu%s", (int)(at - argv[2]), argv[2],
                 (unsigned long)GetCurrentProcessId(), at + 5);
    else
        snprintf(g_name, sizeof g_name, "%s", argv[2]);
    g_mode = argv[3];
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, FALSE };
    bool once = false;
    int clients = 1;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--message") == 0)
            g_message = true;
        else if (strcmp(argv[i], "--once") == 0)
            once = true;
        else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            clients = atoi(argv[++i]);
        else if (strcmp(argv[i], "--sddl") == 0 && i + 1 < argc) {
            char text[1024];
            with_user_sid(argv[++i], text, sizeof text);
            if (strcmp(text, "NULL") == 0) { /* a NULL DACL, made directly: wine's SDDL parser
                                              * turns D:NO_ACCESS_CONTROL into an empty one */
                static SECURITY_DESCRIPTOR null_sd;
                InitializeSecurityDescriptor(&null_sd, SECURITY_DESCRIPTOR_REVISION);
                SetSecurityDescriptorDacl(&null_sd, TRUE, NULL, FALSE);
                sa.lpSecurityDescriptor = &null_sd;
            } else if (!ConvertStringSecurityDescriptorToSecurityDescriptorA(text, SDDL_REVISION_1,
                                                                             &sa.lpSecurityDescriptor, NULL))
                die("ConvertStringSecurityDescriptorToSecurityDescriptor");
            g_sa = &sa;
            BOOL present = FALSE, defaulted = FALSE;
            PACL acl = NULL;
            GetSecurityDescriptorDacl(sa.lpSecurityDescriptor, &present, &acl, &defaulted);
            printf("given dacl %s\n", !present ? "absent" : acl ? "present" : "null"); /* what wine made of it */
        }
    }
    if (strcmp(g_mode, "sddl") == 0)
        return run_sddl();
    if (strcmp(argv[1], "client") == 0 && strncmp(g_mode, "conns:", 6) == 0)
        return run_conns(false); /* opens its own connections */
    if (strcmp(argv[1], "server") == 0)
        return server(once);
    if (clients <= 1) {
        HANDLE h = client_open();
        int rc = serve_one(h, false);
        CloseHandle(h);
        return rc;
    }
    HANDLE *th = calloc((size_t)clients, sizeof *th);
    for (int i = 0; i < clients; i++)
        th[i] = CreateThread(NULL, 0, client_thread, NULL, 0, NULL);
    for (int i = 0; i < clients; i++)
        WaitForSingleObject(th[i], INFINITE);
    printf("clients %d failed %ld\n", clients, (long)g_failed);
    return g_failed ? 1 : 0;
}
