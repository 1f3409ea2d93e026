/* The Win32 backend of the I/O layer (io.h): one I/O completion port.
 *
 * - Streams on overlapped handles (named pipes, files): dt_io_read and
 *   dt_io_write issue ReadFile/WriteFile at once; the completion packet is
 *   the callback. A read on a message-mode pipe that completed with
 *   success ends a message (DT_IO_MSG_END); ERROR_MORE_DATA is the middle
 *   of one. An operation that fails at once (no packet will come) is
 *   reported through a deferred task, so callbacks still come from the
 *   loop only.
 * - Handles that cannot do overlapped I/O (our own stdin/stdout/stderr:
 *   consoles and anonymous pipes, DT_IO_SHARED) get one worker thread per
 *   direction doing the blocking call into a bounce buffer of its own and
 *   posting the result to the port; the stream never waits for it when
 *   closed (a console read may block forever), it just forgets it.
 * - Named-pipe listeners keep a few instances waiting in ConnectNamedPipe;
 *   connects to a pipe retry ERROR_PIPE_BUSY on a timer until the timeout.
 * - The stop signal: core/ctrl_win32.c's console control event, waited on
 *   by RegisterWaitForSingleObject, whose callback posts to the port; the
 *   same for a child's exit and for a watched event handle.
 * - dt_io_async_send and dt_io_stop post a packet.
 * - Closing cancels with CancelIoEx and frees the object only when every
 *   aborted operation's packet came back (the OVERLAPPED lives in it).
 * TCP and AF_UNIX sockets are not implemented here yet: the Windows build
 * proxies named pipes (docs/windows.md). */
#include "io_internal.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctrl_win32.h"

enum { KEY_OP = 1, KEY_WAKE, KEY_ASYNC, KEY_SIGNAL, KEY_CHILD, KEY_WATCH, KEY_WORKER };
enum { BATCH = 64, LISTEN_INSTANCES = 4, BOUNCE = 64 * 1024, PIPE_BUF_SIZE = 64 * 1024, BUSY_RETRY_MS = 20 };

typedef struct win_be {
    HANDLE port;
    HANDLE sig_wait; /* RegisterWaitForSingleObject on the ctrl event */
    dt_io_signal_cb sig_cb;
    void *sig_ctx;
} win_be;

static win_be *be_of(dt_io *io) { return io->be; }

typedef struct op {
    OVERLAPPED ov;
    void (*done)(struct op *o, DWORD n, DWORD err);
    bool busy;
} op;

static int errno_of(DWORD e)
{
    switch (e) {
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
        return EPIPE;
    case ERROR_OPERATION_ABORTED:
        return ECANCELED;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        return ENOENT;
    case ERROR_ACCESS_DENIED:
        return EACCES;
    case ERROR_SEM_TIMEOUT:
        return ETIMEDOUT;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return ENOMEM;
    case ERROR_NETNAME_DELETED:
        return ECONNRESET;
    default:
        return EIO;
    }
}

uint64_t dt_io_now_ns(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime; /* 100 ns since 1601 */
    return (t - 116444736000000000ull) * 100u;
}

uint64_t dt_io_mono_ns(void)
{
    static LARGE_INTEGER freq; /* constant for the system's life: set once, read-only after */
    if (!freq.QuadPart)
        QueryPerformanceFrequency(&freq);
    LARGE_INTEGER c;
    QueryPerformanceCounter(&c);
    return (uint64_t)((double)c.QuadPart * 1e9 / (double)freq.QuadPart);
}

/* ---- The loop -------------------------------------------------------------- */

int dt_io_be_init(dt_io *io, char *err, size_t errsz)
{
    win_be *be = calloc(1, sizeof *be);
    if (!be) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    be->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!be->port) {
        snprintf(err, errsz, "cannot create an I/O completion port (Windows error %lu)", GetLastError());
        free(be);
        return -1;
    }
    io->be = be;
    return 0;
}

void dt_io_be_free(dt_io *io)
{
    win_be *be = be_of(io);
    if (!be)
        return;
    if (be->sig_wait)
        UnregisterWaitEx(be->sig_wait, INVALID_HANDLE_VALUE);
    CloseHandle(be->port);
    free(be);
    io->be = NULL;
}

void dt_io_be_wake(dt_io *io) { PostQueuedCompletionStatus(be_of(io)->port, 0, KEY_WAKE, NULL); }

static void dispatch(dt_io *io, ULONG_PTR key, OVERLAPPED *ov, DWORD n);

int dt_io_be_wait(dt_io *io, int timeout_ms)
{
    OVERLAPPED_ENTRY ev[BATCH];
    ULONG got = 0;
    if (!GetQueuedCompletionStatusEx(be_of(io)->port, ev, BATCH, &got, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms,
                                     FALSE)) {
        DWORD e = GetLastError();
        if (e == WAIT_TIMEOUT)
            return 0;
        dt_io_set_error(io, "waiting for I/O completions failed (Windows error %lu)", e);
        return -1;
    }
    int ready = 0;
    for (ULONG i = 0; i < got; i++) {
        dispatch(io, ev[i].lpCompletionKey, ev[i].lpOverlapped, ev[i].dwNumberOfBytesTransferred);
        ready += ev[i].lpCompletionKey != KEY_WAKE;
    }
    return ready;
}

/* ---- Streams --------------------------------------------------------------- */

/* A blocking handle's helper thread (DT_IO_SHARED): it owns its bounce
 * buffer, so a stream may close while the thread is still blocked. */
typedef struct worker {
    OVERLAPPED ov;          /* only its address travels through the port */
    HANDLE port, h, thread, go;
    bool write;
    atomic_bool quit;
    atomic_int refs;        /* the stream, the thread, a posted packet */
    dt_io_stream *owner;    /* loop thread only; NULL once the stream closed */
    DWORD len, done, status;
    uint8_t buf[BOUNCE];
} worker;

struct dt_io_stream {
    dt_io *io;
    HANDLE h;
    unsigned flags;
    const dt_io_stream_cbs *cbs;
    void *ctx;
    bool file;       /* a disk file: reads and writes carry an offset */
    bool msg;        /* a message-mode pipe: a read that completes ends a message */
    bool outbound;   /* a write-only pipe end (a child's stdin) */
    uint64_t offset;
    bool closed, reading, writing, rd_shut, wr_shut, rd_eof;
    int inflight;    /* overlapped operations whose packet has not come back */
    op rop, wop;
    uint8_t *rbuf;
    size_t rcap;
    const uint8_t *wbuf;
    size_t wlen;
    dt_io_task rtask, wtask; /* immediate failures */
    DWORD rerr, werr;
    worker *wk[2];   /* [0] reads, [1] writes (DT_IO_SHARED) */
};

static void stream_free(dt_io_stream *s)
{
    if (!(s->flags & DT_IO_NOCLOSE) && s->h != INVALID_HANDLE_VALUE)
        CloseHandle(s->h);
    dt_io_free_later(s->io, s);
}

static void deliver_read(dt_io_stream *s, DWORD n, DWORD e)
{
    s->reading = false;
    if (s->closed || s->rd_shut)
        return;
    unsigned flags = 0;
    int err = 0;
    if (e == 0 || e == ERROR_MORE_DATA) {
        {
            s->offset += n;
            if (e == 0 && s->msg)
                flags = DT_IO_MSG_END; /* a read that ended without ERROR_MORE_DATA ends a message */
            if (n == 0 && !(flags & DT_IO_MSG_END))
                flags = DT_IO_EOF;  /* a blocking pipe or file at its end */
        }
    } else if (e == ERROR_BROKEN_PIPE || e == ERROR_HANDLE_EOF || e == ERROR_PIPE_NOT_CONNECTED ||
               (e == ERROR_OPERATION_ABORTED && s->wr_shut)) {
        flags = DT_IO_EOF;
        n = 0;
    } else {
        err = errno_of(e);
        n = 0;
    }
    if (flags & DT_IO_EOF)
        s->rd_eof = true;
    if (s->cbs && s->cbs->on_read)
        s->cbs->on_read(s->ctx, s, s->rbuf, n, flags, err);
}

static void deliver_write(dt_io_stream *s, DWORD n, DWORD e)
{
    s->writing = false;
    if (s->closed)
        return;
    if (s->file)
        s->offset += n;
    if (s->cbs && s->cbs->on_write)
        s->cbs->on_write(s->ctx, s, e ? 0 : n, e ? errno_of(e) : 0);
}

static void on_read_done(op *o, DWORD n, DWORD e)
{
    dt_io_stream *s = (dt_io_stream *)((char *)o - offsetof(dt_io_stream, rop));
    s->inflight--;
    if (s->closed) {
        if (!s->inflight)
            stream_free(s);
        return;
    }
    deliver_read(s, n, e);
}

static void on_write_done(op *o, DWORD n, DWORD e)
{
    dt_io_stream *s = (dt_io_stream *)((char *)o - offsetof(dt_io_stream, wop));
    s->inflight--;
    if (s->closed) {
        if (!s->inflight)
            stream_free(s);
        return;
    }
    deliver_write(s, n, e);
}

static void on_rtask(dt_io_task *t)
{
    dt_io_stream *s = (dt_io_stream *)((char *)t - offsetof(dt_io_stream, rtask));
    deliver_read(s, 0, s->rerr);
}

static void on_wtask(dt_io_task *t)
{
    dt_io_stream *s = (dt_io_stream *)((char *)t - offsetof(dt_io_stream, wtask));
    deliver_write(s, 0, s->werr);
}

static void worker_unref(worker *w)
{
    if (atomic_fetch_sub(&w->refs, 1) == 1) {
        CloseHandle(w->go);
        if (w->thread)
            CloseHandle(w->thread);
        free(w);
    }
}

static DWORD WINAPI worker_main(void *arg)
{
    worker *w = arg;
    for (;;) {
        WaitForSingleObject(w->go, INFINITE);
        if (atomic_load(&w->quit))
            break;
        BOOL ok = w->write ? WriteFile(w->h, w->buf, w->len, &w->done, NULL)
                           : ReadFile(w->h, w->buf, w->len, &w->done, NULL);
        w->status = ok ? 0 : GetLastError();
        atomic_fetch_add(&w->refs, 1);
        PostQueuedCompletionStatus(w->port, w->done, KEY_WORKER, &w->ov);
    }
    worker_unref(w);
    return 0;
}

static worker *worker_new(dt_io_stream *s, bool write)
{
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->port = be_of(s->io)->port;
    w->h = s->h;
    w->write = write;
    w->owner = s;
    atomic_init(&w->quit, false);
    atomic_init(&w->refs, 2);
    w->go = CreateEventA(NULL, FALSE, FALSE, NULL);
    w->thread = w->go ? CreateThread(NULL, 64 * 1024, worker_main, w, 0, NULL) : NULL;
    if (!w->thread) {
        if (w->go)
            CloseHandle(w->go);
        free(w);
        return NULL;
    }
    return w;
}

static void worker_done(worker *w)
{
    dt_io_stream *s = w->owner;
    if (s) {
        if (w->write) {
            deliver_write(s, w->done, w->status);
        } else {
            if (w->done && !w->status)
                memcpy(s->rbuf, w->buf, w->done);
            deliver_read(s, w->done, w->status == 0 && w->done == 0 ? ERROR_HANDLE_EOF : w->status);
        }
    }
    worker_unref(w);
}

static void worker_forget(worker *w)
{
    w->owner = NULL;
    atomic_store(&w->quit, true);
    SetEvent(w->go);
    CancelSynchronousIo(w->thread);
    worker_unref(w);
}

static dt_io_stream *stream_new(dt_io *io, HANDLE h, unsigned flags, bool associate, char *err, size_t errsz)
{
    dt_io_stream *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->io = io;
    s->h = h;
    s->flags = flags;
    s->rop.done = on_read_done;
    s->wop.done = on_write_done;
    s->rtask.fn = on_rtask;
    s->wtask.fn = on_wtask;
    s->file = GetFileType(h) == FILE_TYPE_DISK;
    if (flags & DT_IO_SHARED)
        return s; /* workers are made on first use */
    DWORD pflags = 0;
    s->msg = GetFileType(h) == FILE_TYPE_PIPE && GetNamedPipeInfo(h, &pflags, NULL, NULL, NULL) &&
             (pflags & PIPE_TYPE_MESSAGE);
    if (associate && !CreateIoCompletionPort(h, be_of(io)->port, KEY_OP, 0)) {
        snprintf(err, errsz, "cannot add a handle to the completion port (Windows error %lu)", GetLastError());
        free(s);
        return NULL;
    }
    return s;
}

dt_io_stream *dt_io_stream_open(dt_io *io, dt_io_handle h, unsigned flags, const dt_io_stream_cbs *cbs, void *ctx,
                                char *err, size_t errsz)
{
    dt_io_stream *s = stream_new(io, (HANDLE)h, flags, true, err, errsz);
    if (s) {
        s->cbs = cbs;
        s->ctx = ctx;
    }
    return s;
}

void dt_io_stream_set_ctx(dt_io_stream *s, void *ctx) { s->ctx = ctx; }

void dt_io_stream_set_cbs(dt_io_stream *s, const dt_io_stream_cbs *cbs, void *ctx)
{
    s->cbs = cbs;
    s->ctx = ctx;
}

dt_io_handle dt_io_stream_handle(const dt_io_stream *s) { return s->h; }

dt_io_handle dt_io_stdio(int n)
{
    return GetStdHandle(n == 0 ? STD_INPUT_HANDLE : n == 1 ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
}

static void set_offset(dt_io_stream *s, op *o)
{
    memset(&o->ov, 0, sizeof o->ov);
    if (s->file) {
        o->ov.Offset = (DWORD)s->offset;
        o->ov.OffsetHigh = (DWORD)(s->offset >> 32);
    }
}

int dt_io_read(dt_io_stream *s, uint8_t *buf, size_t cap)
{
    if (s->closed || s->reading || s->rd_shut)
        return -1;
    s->reading = true;
    if (s->wr_shut && !(s->flags & DT_IO_SHARED)) {
        s->rerr = ERROR_BROKEN_PIPE;
        dt_io_defer(s->io, &s->rtask);
        return 0;
    }
    s->rbuf = buf;
    s->rcap = cap;
    DWORD len = cap > 0x40000000u ? 0x40000000u : (DWORD)cap;
    if (s->flags & DT_IO_SHARED) {
        if (!s->wk[0] && !(s->wk[0] = worker_new(s, false))) {
            s->rerr = ERROR_NOT_ENOUGH_MEMORY;
            dt_io_defer(s->io, &s->rtask);
            return 0;
        }
        s->wk[0]->len = len > BOUNCE ? BOUNCE : len;
        SetEvent(s->wk[0]->go);
        return 0;
    }
    set_offset(s, &s->rop);
    if (ReadFile(s->h, buf, len, NULL, &s->rop.ov) || GetLastError() == ERROR_IO_PENDING ||
        GetLastError() == ERROR_MORE_DATA) {
        s->inflight++; /* a packet will come */
        return 0;
    }
    s->rerr = GetLastError();
    dt_io_defer(s->io, &s->rtask);
    return 0;
}

bool dt_io_reading(const dt_io_stream *s) { return s->reading; }
bool dt_io_writing(const dt_io_stream *s) { return s->writing; }
bool dt_io_stream_messages(const dt_io_stream *s) { return s->msg; }

int dt_io_write(dt_io_stream *s, const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    if (s->closed || s->writing)
        return -1;
    if (s->h == INVALID_HANDLE_VALUE) {
        s->writing = true;
        s->werr = ERROR_BROKEN_PIPE;
        dt_io_defer(s->io, &s->wtask);
        return 0;
    }
    if (!na) { /* one segment per WriteFile: the caller writes the rest (a partial write) */
        a = b;
        na = nb;
    }
    s->writing = true;
    DWORD len = na > 0x40000000u ? 0x40000000u : (DWORD)na;
    if (s->flags & DT_IO_SHARED) {
        if (!s->wk[1] && !(s->wk[1] = worker_new(s, true))) {
            s->werr = ERROR_NOT_ENOUGH_MEMORY;
            dt_io_defer(s->io, &s->wtask);
            return 0;
        }
        worker *w = s->wk[1];
        w->len = len > BOUNCE ? BOUNCE : len;
        memcpy(w->buf, a, w->len);
        SetEvent(w->go);
        return 0;
    }
    set_offset(s, &s->wop);
    if (WriteFile(s->h, a, len, NULL, &s->wop.ov) || GetLastError() == ERROR_IO_PENDING) {
        s->inflight++;
        return 0;
    }
    s->werr = GetLastError();
    dt_io_defer(s->io, &s->wtask);
    return 0;
}

void dt_io_shutdown_write(dt_io_stream *s)
{
    /* A pipe has no half-close: its peer's end of stream means the peer is
     * gone. A write-only end (a child's stdin) is closed: that is the
     * child's end of stream. A duplex pipe ends as a whole: its pending
     * read is cancelled and reported as end of stream, and the owner closes
     * it, which the peer sees as a broken pipe. */
    if (s->wr_shut || s->closed || (s->flags & (DT_IO_SHARED | DT_IO_NOCLOSE)) || s->file)
        return;
    s->wr_shut = true;
    if (s->outbound) {
        CloseHandle(s->h);
        s->h = INVALID_HANDLE_VALUE;
    } else if (s->reading) {
        CancelIoEx(s->h, &s->rop.ov);
    } else if (!s->rd_eof) {
        s->rerr = ERROR_BROKEN_PIPE; /* the next read reports the end */
    }
}

void dt_io_shutdown_read(dt_io_stream *s)
{
    s->rd_shut = true;
    if (s->reading && !(s->flags & DT_IO_SHARED))
        CancelIoEx(s->h, &s->rop.ov);
}

void dt_io_close(dt_io_stream *s, bool abort)
{
    (void)abort;
    if (!s || s->closed) /* NULL: a side never connected (proxy.c), as io_posix.c allows */
        return;
    s->closed = true;
    dt_io_undefer(s->io, &s->rtask);
    dt_io_undefer(s->io, &s->wtask);
    for (int i = 0; i < 2; i++)
        if (s->wk[i]) {
            worker_forget(s->wk[i]);
            s->wk[i] = NULL;
        }
    if (s->inflight) {
        CancelIoEx(s->h, NULL);
        return; /* freed when the last aborted packet came back */
    }
    stream_free(s);
}

/* ---- Named-pipe listeners -------------------------------------------------- */

typedef struct instance {
    op o;
    HANDLE h;
    struct dt_io_listener *l;
    bool waiting;   /* ConnectNamedPipe outstanding */
    bool connected; /* a client is there, not yet handed over */
} instance;

struct dt_io_listener {
    dt_io *io;
    char *name;
    DWORD type; /* PIPE_TYPE_BYTE or PIPE_TYPE_MESSAGE */
    PSECURITY_DESCRIPTOR sd_alloc;
    SECURITY_DESCRIPTOR sd;
    SECURITY_ATTRIBUTES sa;
    dt_io_accept_cb cb;
    void *ctx;
    bool paused, closed, first_made;
    int inflight;
    dt_io_task task; /* hands over instances that connected at once */
    instance inst[LISTEN_INSTANCES];
};

static void listener_free(dt_io_listener *l)
{
    if (l->sd_alloc)
        LocalFree(l->sd_alloc);
    free(l->name);
    dt_io_free_later(l->io, l);
}

static void instance_arm(dt_io_listener *l, instance *in);

/* "DOMAIN\\name" of a token's user, or "" when it cannot be read. */
static void token_user(HANDLE tok, char *out, size_t outsz)
{
    union { TOKEN_USER tu; char raw[256]; } u;
    DWORD got = 0;
    char name[64], dom[64];
    DWORD nn = sizeof name, dn = sizeof dom;
    SID_NAME_USE use;
    if (GetTokenInformation(tok, TokenUser, &u, sizeof u, &got) &&
        LookupAccountSidA(NULL, u.tu.User.Sid, name, &nn, dom, &dn, &use))
        snprintf(out, outsz, "%s%s%s", dom, dom[0] ? "\\" : "", name);
}

/* The pipe client's user: its process's token when we may open it, else
 * the client's own security context through impersonation (dropped again
 * at once; PIPE_REJECT_REMOTE_CLIENTS keeps clients local). */
static void pipe_client_user(HANDLE pipe, DWORD pid, char *out, size_t outsz)
{
    out[0] = 0;
    HANDLE proc = pid ? OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) : NULL, tok;
    if (proc) {
        if (OpenProcessToken(proc, TOKEN_QUERY, &tok)) {
            token_user(tok, out, outsz);
            CloseHandle(tok);
        }
        CloseHandle(proc);
    }
    if (out[0] || !ImpersonateNamedPipeClient(pipe))
        return;
    if (OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok)) {
        token_user(tok, out, outsz);
        CloseHandle(tok);
    }
    if (!RevertToSelf())
        abort(); /* never go on as someone else */
}

static void hand_over(dt_io_listener *l, instance *in)
{
    in->connected = false;
    HANDLE h = in->h;
    in->h = INVALID_HANDLE_VALUE;
    dt_io_peer peer;
    memset(&peer, 0, sizeof peer);
    peer.pid = -1;
    peer.uid = -1;
    ULONG pid = 0;
    if (GetNamedPipeClientProcessId(h, &pid) && pid)
        peer.pid = (long)pid;
    pipe_client_user(h, pid, peer.user, sizeof peer.user);
    char err[200];
    dt_io_stream *s = stream_new(l->io, h, 0, false, err, sizeof err); /* already on the port */
    if (!s) {
        CloseHandle(h);
        l->cb(l->ctx, l, NULL, NULL, ENOMEM);
    } else {
        l->cb(l->ctx, l, s, &peer, 0);
    }
    if (!l->closed && !l->paused)
        instance_arm(l, in);
}

static void on_instance_done(op *o, DWORD n, DWORD e)
{
    (void)n;
    instance *in = (instance *)o;
    dt_io_listener *l = in->l;
    in->waiting = false;
    l->inflight--;
    if (l->closed) {
        if (in->h != INVALID_HANDLE_VALUE)
            CloseHandle(in->h);
        in->h = INVALID_HANDLE_VALUE;
        if (!l->inflight)
            listener_free(l);
        return;
    }
    if (e == 0 || e == ERROR_PIPE_CONNECTED) {
        hand_over(l, in);
    } else { /* the client left before we saw it: make the instance anew */
        CloseHandle(in->h);
        in->h = INVALID_HANDLE_VALUE;
        if (!l->paused)
            instance_arm(l, in);
    }
}

static void on_listener_task(dt_io_task *t)
{
    dt_io_listener *l = (dt_io_listener *)((char *)t - offsetof(dt_io_listener, task));
    for (int i = 0; i < LISTEN_INSTANCES && !l->closed; i++)
        if (l->inst[i].connected)
            hand_over(l, &l->inst[i]);
}

static void instance_arm(dt_io_listener *l, instance *in)
{
    if (in->h != INVALID_HANDLE_VALUE || in->waiting || in->connected)
        return;
    DWORD open = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (l->first_made ? 0 : FILE_FLAG_FIRST_PIPE_INSTANCE);
    DWORD mode = l->type | (l->type == PIPE_TYPE_MESSAGE ? PIPE_READMODE_MESSAGE : PIPE_READMODE_BYTE) | PIPE_WAIT |
                 PIPE_REJECT_REMOTE_CLIENTS;
    HANDLE h = CreateNamedPipeA(l->name, open, mode, PIPE_UNLIMITED_INSTANCES, PIPE_BUF_SIZE, PIPE_BUF_SIZE, 0, &l->sa);
    if (h == INVALID_HANDLE_VALUE) {
        l->cb(l->ctx, l, NULL, NULL, errno_of(GetLastError()));
        return;
    }
    l->first_made = true;
    if (!CreateIoCompletionPort(h, be_of(l->io)->port, KEY_OP, 0)) {
        CloseHandle(h);
        l->cb(l->ctx, l, NULL, NULL, EIO);
        return;
    }
    in->h = h;
    memset(&in->o.ov, 0, sizeof in->o.ov);
    if (ConnectNamedPipe(h, &in->o.ov) || GetLastError() == ERROR_IO_PENDING) {
        in->waiting = true;
        l->inflight++;
        return;
    }
    if (GetLastError() == ERROR_PIPE_CONNECTED) { /* connected between create and connect: no packet */
        in->connected = true;
        dt_io_defer(l->io, &l->task);
        return;
    }
    CloseHandle(h);
    in->h = INVALID_HANDLE_VALUE;
}

/* True, with one line in err, when want > 0 and the pipe's server is not
 * process want (or cannot be told: refused as well). */
static bool server_mismatch(HANDLE h, long want, char *err, size_t errsz)
{
    ULONG pid = 0;
    if (want <= 0)
        return false;
    if (!GetNamedPipeServerProcessId(h, &pid)) {
        snprintf(err, errsz, "cannot tell the pipe's server process (Windows error %lu): refused",
                 (unsigned long)GetLastError());
        return true;
    }
    if ((long)pid == want)
        return false;
    snprintf(err, errsz, "the pipe is served by process %lu, not %ld: refused", (unsigned long)pid, want);
    return true;
}

/* The security descriptor for the front pipe: the target's own DACL (read
 * from a handle to it), so the front admits nobody the target would refuse;
 * without one, owner and SYSTEM only: narrower, never wider. */
static int like_target(dt_io_listener *l, const dt_io_endpoint *ep, char *err, size_t errsz)
{
    const char *like = ep->name;
    HANDLE h = INVALID_HANDLE_VALUE;
    for (int tries = 0; tries < 50; tries++) {
        h = CreateFileA(like, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_PIPE_BUSY)
            break;
        WaitNamedPipeA(like, 100);
    }
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        snprintf(err, errsz, "%s: cannot open it to learn its security and mode (Windows error %lu)%s", like, e,
                 e == ERROR_FILE_NOT_FOUND ? ": start the target first, its pipe must exist" : "");
        return -1;
    }
    char why[120];
    if (server_mismatch(h, ep->server_pid, why, sizeof why)) {
        CloseHandle(h);
        snprintf(err, errsz, "%s: %s", like, why);
        return -1;
    }
    DWORD flags = 0;
    l->type = GetNamedPipeInfo(h, &flags, NULL, NULL, NULL) && (flags & PIPE_TYPE_MESSAGE) ? PIPE_TYPE_MESSAGE
                                                                                            : PIPE_TYPE_BYTE;
    PACL dacl = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    DWORD r = GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd);
    CloseHandle(h);
    if (r == ERROR_SUCCESS && sd && dacl) {
        l->sd_alloc = sd;
        InitializeSecurityDescriptor(&l->sd, SECURITY_DESCRIPTOR_REVISION);
        SetSecurityDescriptorDacl(&l->sd, TRUE, dacl, FALSE);
        /* and its protection from inherited ACEs, so the copy is the same DACL */
        SECURITY_DESCRIPTOR_CONTROL ctl = 0, keep = SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED;
        DWORD rev;
        if (GetSecurityDescriptorControl(sd, &ctl, &rev))
            SetSecurityDescriptorControl(&l->sd, keep, ctl & keep);
        l->sa = (SECURITY_ATTRIBUTES){ sizeof l->sa, &l->sd, FALSE };
        return 0;
    }
    if (sd)
        LocalFree(sd);
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorA("D:P(A;;GA;;;OW)(A;;GA;;;SY)", SDDL_REVISION_1,
                                                              &l->sd_alloc, NULL)) {
        snprintf(err, errsz, "%s: cannot build a private security descriptor", l->name);
        return -1;
    }
    l->sa = (SECURITY_ATTRIBUTES){ sizeof l->sa, l->sd_alloc, FALSE };
    return 0;
}

dt_io_listener *dt_io_listen_pipe(dt_io *io, const char *name, const dt_io_endpoint *like, dt_io_accept_cb cb,
                                  void *ctx, char *err, size_t errsz)
{
    dt_io_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->name = strdup(name))) {
        free(l);
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    l->io = io;
    l->cb = cb;
    l->ctx = ctx;
    l->task.fn = on_listener_task;
    for (int i = 0; i < LISTEN_INSTANCES; i++) {
        l->inst[i].h = INVALID_HANDLE_VALUE;
        l->inst[i].l = l;
        l->inst[i].o.done = on_instance_done;
    }
    if (like_target(l, like, err, errsz) < 0) {
        if (l->sd_alloc)
            LocalFree(l->sd_alloc);
        free(l->name);
        free(l);
        return NULL;
    }
    /* The first instance now, so a name taken by someone else is an error
     * here (FILE_FLAG_FIRST_PIPE_INSTANCE), not a surprise later. */
    DWORD open = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE;
    DWORD mode = l->type | (l->type == PIPE_TYPE_MESSAGE ? PIPE_READMODE_MESSAGE : PIPE_READMODE_BYTE) | PIPE_WAIT |
                 PIPE_REJECT_REMOTE_CLIENTS;
    HANDLE h = CreateNamedPipeA(l->name, open, mode, PIPE_UNLIMITED_INSTANCES, PIPE_BUF_SIZE, PIPE_BUF_SIZE, 0, &l->sa);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        snprintf(err, errsz, "%s: cannot create the pipe (Windows error %lu)%s", name, e,
                 e == ERROR_ACCESS_DENIED || e == ERROR_PIPE_BUSY ? ": a pipe of that name exists already" : "");
        if (l->sd_alloc)
            LocalFree(l->sd_alloc);
        free(l->name);
        free(l);
        return NULL;
    }
    CloseHandle(h); /* the name is free; the instances below take it */
    for (int i = 0; i < LISTEN_INSTANCES; i++)
        instance_arm(l, &l->inst[i]);
    return l;
}

bool dt_io_listener_message_mode(const dt_io_listener *l) { return l->type == PIPE_TYPE_MESSAGE; }

dt_io_listener *dt_io_listen_handle(dt_io *io, dt_io_handle h, dt_io_accept_cb cb, void *ctx, char *err,
                                    size_t errsz)
{
    (void)io, (void)h, (void)cb, (void)ctx;
    snprintf(err, errsz, "listening sockets are not supported by the Windows build yet (use proxy pipe)");
    return NULL;
}

void dt_io_listener_pause(dt_io_listener *l, bool paused)
{
    l->paused = paused;
    if (!paused)
        for (int i = 0; i < LISTEN_INSTANCES; i++)
            instance_arm(l, &l->inst[i]);
}

void dt_io_listener_close(dt_io_listener *l)
{
    if (!l || l->closed)
        return;
    l->closed = true;
    dt_io_undefer(l->io, &l->task);
    for (int i = 0; i < LISTEN_INSTANCES; i++) {
        instance *in = &l->inst[i];
        if (in->waiting)
            CancelIoEx(in->h, &in->o.ov);
        else if (in->h != INVALID_HANDLE_VALUE) {
            CloseHandle(in->h);
            in->h = INVALID_HANDLE_VALUE;
        }
    }
    if (!l->inflight)
        listener_free(l);
}

/* ---- Connects to a named pipe ---------------------------------------------- */

struct dt_io_connect {
    dt_io *io;
    char *name;
    unsigned flags;
    uint64_t deadline_ns; /* 0: none */
    dt_io_connect_cb cb;
    void *ctx;
    dt_io_task task;
    dt_io_timer *retry;
    HANDLE h;
    int err;
    long server_pid; /* ep->server_pid */
};

static void connect_free(dt_io_connect *c)
{
    dt_io_undefer(c->io, &c->task);
    if (c->retry)
        dt_io_timer_free(c->retry);
    free(c->name);
    dt_io_free_later(c->io, c);
}

static void connect_finish(dt_io_connect *c)
{
    dt_io_stream *s = NULL;
    int err = c->err;
    if (!err) {
        char why[200];
        s = stream_new(c->io, c->h, c->flags, true, why, sizeof why);
        if (!s) {
            CloseHandle(c->h);
            err = ENOMEM;
        }
    }
    dt_io_connect_cb cb = c->cb;
    void *ctx = c->ctx;
    connect_free(c);
    cb(ctx, s, err);
}

static void on_connect_task(dt_io_task *t) { connect_finish((dt_io_connect *)((char *)t - offsetof(dt_io_connect, task))); }

/* One try; true when finished (c->err or c->h set). */
static bool connect_try(dt_io_connect *c)
{
    HANDLE h = CreateFileA(c->name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    if (h != INVALID_HANDLE_VALUE) {
        char why[120];
        if (server_mismatch(h, c->server_pid, why, sizeof why)) {
            CloseHandle(h);
            c->err = EACCES;
            return true;
        }
        DWORD flags = 0;
        if (GetNamedPipeInfo(h, &flags, NULL, NULL, NULL) && (flags & PIPE_TYPE_MESSAGE)) {
            DWORD mode = PIPE_READMODE_MESSAGE;
            SetNamedPipeHandleState(h, &mode, NULL, NULL);
        }
        c->h = h;
        c->err = 0;
        return true;
    }
    DWORD e = GetLastError();
    if (e == ERROR_PIPE_BUSY && (!c->deadline_ns || dt_io_mono_ns() < c->deadline_ns))
        return false; /* every instance busy: try again shortly */
    c->err = e == ERROR_PIPE_BUSY ? ETIMEDOUT : e == ERROR_FILE_NOT_FOUND ? ECONNREFUSED : errno_of(e);
    return true;
}

static void on_connect_retry(void *ctx, dt_io_timer *t)
{
    (void)t;
    dt_io_connect *c = ctx;
    if (connect_try(c))
        connect_finish(c);
    else
        dt_io_timer_start(c->retry, BUSY_RETRY_MS, 0);
}

dt_io_connect *dt_io_connect_start(dt_io *io, const dt_io_endpoint *ep, unsigned stream_flags, unsigned timeout_ms,
                                   dt_io_connect_cb cb, void *ctx)
{
    dt_io_connect *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->io = io;
    c->flags = stream_flags;
    c->cb = cb;
    c->ctx = ctx;
    c->task.fn = on_connect_task;
    c->h = INVALID_HANDLE_VALUE;
    c->server_pid = ep->server_pid;
    c->deadline_ns = timeout_ms ? dt_io_mono_ns() + (uint64_t)timeout_ms * 1000000u : 0;
    if (ep->kind != DT_IO_PIPE || !ep->name) {
        c->err = EAFNOSUPPORT; /* sockets: not in this backend yet */
        dt_io_defer(io, &c->task);
        return c;
    }
    c->name = strdup(ep->name);
    c->retry = dt_io_timer_new(io, on_connect_retry, c);
    if (!c->name || !c->retry) {
        free(c->name);
        if (c->retry)
            dt_io_timer_free(c->retry);
        free(c);
        return NULL;
    }
    if (connect_try(c))
        dt_io_defer(io, &c->task);
    else
        dt_io_timer_start(c->retry, BUSY_RETRY_MS, 0);
    return c;
}

void dt_io_connect_cancel(dt_io_connect *c)
{
    if (!c)
        return;
    if (c->h != INVALID_HANDLE_VALUE)
        CloseHandle(c->h);
    connect_free(c);
}

/* ---- The stop signal ------------------------------------------------------- */

static void CALLBACK on_ctrl_event(void *ctx, BOOLEAN timed_out)
{
    (void)timed_out;
    dt_io *io = ctx;
    DWORD t = dt_ctrl_type();
    int sig = t == CTRL_C_EVENT ? SIGINT : t == CTRL_CLOSE_EVENT ? 1 /* SIGHUP */ : SIGTERM;
    PostQueuedCompletionStatus(be_of(io)->port, (DWORD)sig, KEY_SIGNAL, NULL);
}

int dt_io_on_stop_signal(dt_io *io, dt_io_signal_cb cb, void *ctx, char *err, size_t errsz)
{
    win_be *be = be_of(io);
    HANDLE ev = dt_ctrl_event();
    if (!ev || !RegisterWaitForSingleObject(&be->sig_wait, ev, on_ctrl_event, io, INFINITE, WT_EXECUTEONLYONCE)) {
        snprintf(err, errsz, "cannot watch for Ctrl+C (Windows error %lu)", GetLastError());
        return -1;
    }
    be->sig_cb = cb;
    be->sig_ctx = ctx;
    return 0;
}

static void signal_arrived(dt_io *io, int sig)
{
    win_be *be = be_of(io);
    if (!io->stop_sig)
        io->stop_sig = sig;
    /* watch for the next one */
    UnregisterWait(be->sig_wait);
    be->sig_wait = NULL;
    dt_ctrl_reset();
    RegisterWaitForSingleObject(&be->sig_wait, dt_ctrl_event(), on_ctrl_event, io, INFINITE, WT_EXECUTEONLYONCE);
    if (be->sig_cb)
        be->sig_cb(be->sig_ctx, sig);
}

/* ---- Child processes ------------------------------------------------------- */

struct dt_io_child {
    OVERLAPPED ov; /* the address posted when it exited */
    dt_io *io;
    PROCESS_INFORMATION pi;
    HANDLE wait;
    dt_io_exit_cb cb;
    void *ctx;
    bool exited, freed;
    atomic_bool posted;
};

static void CALLBACK on_child_exit(void *ctx, BOOLEAN timed_out)
{
    (void)timed_out;
    dt_io_child *ch = ctx;
    atomic_store(&ch->posted, true);
    PostQueuedCompletionStatus(be_of(ch->io)->port, 0, KEY_CHILD, &ch->ov);
}

static void child_exited(dt_io_child *ch)
{
    atomic_store(&ch->posted, false);
    if (ch->freed) {
        CloseHandle(ch->pi.hProcess);
        free(ch);
        return;
    }
    ch->exited = true;
    DWORD code = 0;
    GetExitCodeProcess(ch->pi.hProcess, &code);
    if (ch->cb)
        ch->cb(ch->ctx, ch, (dt_io_exit){ (int)code, 0 });
}

/* Appends arg to the command line, quoted as CommandLineToArgvW and the C
 * runtime split it again. */
static bool quote_arg(char **cmd, size_t *len, size_t *cap, const char *arg)
{
    size_t need = *len + 2 * strlen(arg) + 4;
    if (need > *cap) {
        size_t nc = need * 2;
        char *n = realloc(*cmd, nc);
        if (!n)
            return false;
        *cmd = n;
        *cap = nc;
    }
    char *p = *cmd + *len;
    if (*len)
        *p++ = ' ';
    bool plain = *arg && !strpbrk(arg, " \t\n\v\"");
    if (plain) {
        strcpy(p, arg);
        *len = (size_t)(p - *cmd) + strlen(arg);
        return true;
    }
    *p++ = '"';
    for (const char *a = arg;; a++) {
        size_t bs = 0;
        while (*a == '\\') {
            a++;
            bs++;
        }
        if (!*a) {
            for (size_t i = 0; i < 2 * bs; i++)
                *p++ = '\\';
            break;
        }
        if (*a == '"') {
            for (size_t i = 0; i < 2 * bs + 1; i++)
                *p++ = '\\';
        } else {
            for (size_t i = 0; i < bs; i++)
                *p++ = '\\';
        }
        *p++ = *a;
    }
    *p++ = '"';
    *p = 0;
    *len = (size_t)(p - *cmd);
    return true;
}

/* A pipe for one of the child's stdio: our end overlapped (named pipe
 * instance), the child's end a plain inheritable handle. */
static bool child_pipe(unsigned n, bool we_write, HANDLE *ours, HANDLE *theirs)
{
    char name[96];
    snprintf(name, sizeof name, "\\\\.\\pipe\\diagtap-child-%lu-%llu-%u", GetCurrentProcessId(),
             (unsigned long long)dt_io_mono_ns(), n);
    DWORD access = (we_write ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) | FILE_FLAG_OVERLAPPED |
                   FILE_FLAG_FIRST_PIPE_INSTANCE;
    *ours = CreateNamedPipeA(name, access, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                             1, PIPE_BUF_SIZE, PIPE_BUF_SIZE, 0, NULL);
    if (*ours == INVALID_HANDLE_VALUE)
        return false;
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    *theirs = CreateFileA(name, we_write ? GENERIC_READ | FILE_WRITE_ATTRIBUTES : GENERIC_WRITE | FILE_READ_ATTRIBUTES,
                          0, &sa, OPEN_EXISTING, 0, NULL);
    if (*theirs == INVALID_HANDLE_VALUE) {
        CloseHandle(*ours);
        return false;
    }
    return true;
}

dt_io_child *dt_io_spawn(dt_io *io, char *const argv[], dt_io_stream **in, dt_io_stream **out, dt_io_stream **err,
                         dt_io_exit_cb cb, void *ctx, int *errnum)
{
    *errnum = 0;
    char *cmd = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; argv[i]; i++)
        if (!quote_arg(&cmd, &len, &cap, argv[i])) {
            free(cmd);
            *errnum = ENOMEM;
            return NULL;
        }
    dt_io_child *ch = calloc(1, sizeof *ch);
    HANDLE ours[3] = { INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE };
    HANDLE theirs[3] = { INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE };
    dt_io_stream *st[3] = { NULL, NULL, NULL };
    if (!ch || !cmd) {
        *errnum = ENOMEM;
        goto fail;
    }
    for (unsigned i = 0; i < 3; i++)
        if (!child_pipe(i, i == 0, &ours[i], &theirs[i])) {
            *errnum = errno_of(GetLastError());
            goto fail;
        }
    STARTUPINFOA si = { .cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES };
    si.hStdInput = theirs[0];
    si.hStdOutput = theirs[1];
    si.hStdError = theirs[2];
    /* Its own process group: a console Ctrl+C reaches it only through us
     * (dt_io_child_signal sends Ctrl+Break), as on POSIX. */
    if (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE, CREATE_NEW_PROCESS_GROUP, NULL, NULL, &si, &ch->pi)) {
        DWORD e = GetLastError();
        *errnum = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? ENOENT : errno_of(e);
        goto fail;
    }
    CloseHandle(ch->pi.hThread);
    for (unsigned i = 0; i < 3; i++) {
        CloseHandle(theirs[i]);
        theirs[i] = INVALID_HANDLE_VALUE;
    }
    char why[200];
    for (unsigned i = 0; i < 3; i++) {
        st[i] = stream_new(io, ours[i], 0, true, why, sizeof why);
        if (!st[i]) {
            *errnum = ENOMEM;
            TerminateProcess(ch->pi.hProcess, 1);
            WaitForSingleObject(ch->pi.hProcess, INFINITE);
            CloseHandle(ch->pi.hProcess);
            goto fail;
        }
        ours[i] = INVALID_HANDLE_VALUE;
    }
    st[0]->outbound = true;
    ch->io = io;
    ch->cb = cb;
    ch->ctx = ctx;
    atomic_init(&ch->posted, false);
    if (!RegisterWaitForSingleObject(&ch->wait, ch->pi.hProcess, on_child_exit, ch, INFINITE, WT_EXECUTEONLYONCE)) {
        *errnum = EIO;
        TerminateProcess(ch->pi.hProcess, 1);
        WaitForSingleObject(ch->pi.hProcess, INFINITE);
        CloseHandle(ch->pi.hProcess);
        goto fail;
    }
    free(cmd);
    *in = st[0];
    *out = st[1];
    *err = st[2];
    return ch;
fail:
    for (unsigned i = 0; i < 3; i++) {
        if (st[i])
            dt_io_close(st[i], false);
        if (ours[i] != INVALID_HANDLE_VALUE)
            CloseHandle(ours[i]);
        if (theirs[i] != INVALID_HANDLE_VALUE)
            CloseHandle(theirs[i]);
    }
    free(cmd);
    free(ch);
    return NULL;
}

long dt_io_child_pid(const dt_io_child *ch) { return (long)ch->pi.dwProcessId; }

void dt_io_child_signal(dt_io_child *ch, int sig)
{
    if (ch->exited)
        return;
    if (sig == SIGINT) {
        /* the child's process group gets Ctrl+Break (Ctrl+C cannot be sent to a group) */
        if (GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, ch->pi.dwProcessId))
            return;
    }
    TerminateProcess(ch->pi.hProcess, 128 + (unsigned)sig);
}

void dt_io_child_free(dt_io_child *ch)
{
    if (!ch)
        return;
    UnregisterWaitEx(ch->wait, INVALID_HANDLE_VALUE); /* its callback has run or never will */
    if (!ch->exited)
        WaitForSingleObject(ch->pi.hProcess, INFINITE);
    if (atomic_load(&ch->posted)) { /* its packet is still on the way: free it there */
        ch->freed = true;
        return;
    }
    CloseHandle(ch->pi.hProcess);
    free(ch);
}

/* ---- Watches, asyncs ------------------------------------------------------- */

struct dt_io_watch {
    OVERLAPPED ov;
    dt_io *io;
    HANDLE h, wait;
    unsigned events;
    dt_io_watch_cb cb;
    void *ctx;
    bool freed;
    atomic_bool posted;
};

static void CALLBACK on_watch_signaled(void *ctx, BOOLEAN timed_out)
{
    (void)timed_out;
    dt_io_watch *w = ctx;
    atomic_store(&w->posted, true);
    PostQueuedCompletionStatus(be_of(w->io)->port, 0, KEY_WATCH, &w->ov);
}

static void watch_arm(dt_io_watch *w)
{
    if (w->wait || !(w->events & DT_IO_IN))
        return;
    RegisterWaitForSingleObject(&w->wait, w->h, on_watch_signaled, w, INFINITE, WT_EXECUTEONLYONCE);
}

static void watch_disarm(dt_io_watch *w)
{
    if (w->wait)
        UnregisterWaitEx(w->wait, INVALID_HANDLE_VALUE);
    w->wait = NULL;
}

dt_io_watch *dt_io_watch_new(dt_io *io, dt_io_handle h, unsigned events, dt_io_watch_cb cb, void *ctx, char *err,
                             size_t errsz)
{
    dt_io_watch *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    w->io = io;
    w->h = h;
    w->events = events;
    w->cb = cb;
    w->ctx = ctx;
    atomic_init(&w->posted, false);
    watch_arm(w);
    return w;
}

static void watch_fired(dt_io_watch *w)
{
    atomic_store(&w->posted, false);
    if (w->freed) {
        free(w);
        return;
    }
    watch_disarm(w);
    if (w->events & DT_IO_IN) {
        w->cb(w->ctx, w, DT_IO_IN);
        if (!w->freed)
            watch_arm(w); /* level-triggered: still signaled, it fires again */
        else if (!atomic_load(&w->posted))
            free(w);
    }
}

void dt_io_watch_set(dt_io_watch *w, unsigned events)
{
    w->events = events;
    if (events & DT_IO_IN)
        watch_arm(w);
    else
        watch_disarm(w);
}

void dt_io_watch_free(dt_io_watch *w)
{
    if (!w)
        return;
    watch_disarm(w);
    w->freed = true;
    if (!atomic_load(&w->posted))
        dt_io_free_later(w->io, w);
}

struct dt_io_async {
    OVERLAPPED ov;
    dt_io *io;
    dt_io_async_cb cb;
    void *ctx;
    atomic_bool pending;
    bool freed;
};

dt_io_async *dt_io_async_new(dt_io *io, dt_io_async_cb cb, void *ctx)
{
    dt_io_async *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->io = io;
    a->cb = cb;
    a->ctx = ctx;
    atomic_init(&a->pending, false);
    return a;
}

void dt_io_async_send(dt_io_async *a)
{
    if (!atomic_exchange(&a->pending, true))
        PostQueuedCompletionStatus(be_of(a->io)->port, 0, KEY_ASYNC, &a->ov);
}

void dt_io_async_free(dt_io_async *a)
{
    if (!a)
        return;
    a->freed = true;
    if (!atomic_load(&a->pending))
        dt_io_free_later(a->io, a);
}

/* ---- Dispatch -------------------------------------------------------------- */

static void dispatch(dt_io *io, ULONG_PTR key, OVERLAPPED *ov, DWORD n)
{
    switch (key) {
    case KEY_OP: {
        op *o = (op *)ov;
        DWORD got = 0, e = 0;
        /* the packet is here: the operation is over, its status is final */
        if (!GetOverlappedResult(INVALID_HANDLE_VALUE, ov, &got, FALSE))
            e = GetLastError();
        if ((DWORD)ov->Internal == 0x80000005u) /* STATUS_BUFFER_OVERFLOW */
            e = ERROR_MORE_DATA;
        else if (ov->Internal == 0)
            e = 0;
        o->done(o, n, e);
        break;
    }
    case KEY_WORKER:
        worker_done((worker *)ov);
        break;
    case KEY_ASYNC: {
        dt_io_async *a = (dt_io_async *)ov;
        if (a->freed) {
            free(a);
            break;
        }
        atomic_store(&a->pending, false);
        a->cb(a->ctx, a);
        break;
    }
    case KEY_SIGNAL:
        signal_arrived(io, (int)n);
        break;
    case KEY_CHILD:
        child_exited((dt_io_child *)ov);
        break;
    case KEY_WATCH:
        watch_fired((dt_io_watch *)ov);
        break;
    default: /* KEY_WAKE */
        break;
    }
}

/* ---- Relays without copying ------------------------------------------------ */

/* No splice on Windows: dt_io_relay_new says so and the proxy relays with
 * reads and writes through its rings (io.h). */
dt_io_relay *dt_io_relay_new(dt_io_stream *src, dt_io_stream *dst, size_t cap, const dt_io_relay_cbs *cbs, void *ctx)
{
    (void)src, (void)dst, (void)cap, (void)cbs, (void)ctx;
    return NULL;
}

int dt_io_relay_take(dt_io_relay *r, uint8_t *copy, size_t cap)
{
    (void)r, (void)copy, (void)cap;
    return -1;
}

bool dt_io_relay_taking(const dt_io_relay *r) { (void)r; return false; }
size_t dt_io_relay_held(const dt_io_relay *r) { (void)r; return 0; }
void dt_io_relay_free(dt_io_relay *r) { (void)r; }
