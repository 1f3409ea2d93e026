/* diagtap's I/O layer: one event loop, a backend per platform.
 *
 * Everything that waits — relayed streams, listeners, outgoing connects,
 * timers, the stop signal, a child process, a capture's selectable handle,
 * a file replayed in steps — is a source of ONE dt_io loop, so one thread
 * can run several proxies, a capture and a wrapped command at once.
 *
 * The API has the shape of a completion model, because that is what both
 * platforms can implement: the caller hands the loop a buffer to read into
 * (dt_io_read) or bytes to write (dt_io_write) and is called back when the
 * operation completed. A readiness backend (io_posix.c: epoll) performs the
 * read()/write() itself when the descriptor becomes ready; a completion
 * backend (io_win32.c: overlapped I/O on an I/O completion port) issues
 * ReadFile/WriteFile/WSARecv at once and reports the completion packet.
 *
 * Rules every backend keeps (docs/io-layer.md says why):
 * - Callbacks run only from dt_io_run/dt_io_run_once, on the loop's thread,
 *   never from inside the call that asked for the operation. So a caller
 *   may start a write and update its own state afterwards.
 * - At most one read and one write are outstanding per stream. A stream
 *   with no read armed is not read: that is how backpressure works.
 * - A buffer given to dt_io_read/dt_io_write belongs to the loop until its
 *   callback ran (or the stream was closed: closing cancels, no callback).
 * - A write may complete partially (n < asked): the caller writes the rest.
 * - Closing any object inside any callback is safe, including the object
 *   whose callback is running; its other pending callbacks are dropped.
 * - Only dt_io_async_send and dt_io_stop may be called from other threads.
 *
 * Platform-independent parts (timers, the deferred queue, bookkeeping) are
 * in io.c; io_posix.c and io_win32.c implement the rest.
 */
#ifndef DIAGTAP_IPC_IO_H
#define DIAGTAP_IPC_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
typedef void *dt_io_handle; /* a HANDLE (pipe, file, event, process) or a SOCKET cast to one */
#define DT_IO_NO_HANDLE ((dt_io_handle)(intptr_t)-1)
#else
#include <sys/socket.h>
typedef int dt_io_handle;   /* a file descriptor */
#define DT_IO_NO_HANDLE (-1)
#endif

typedef struct dt_io dt_io;
typedef struct dt_io_stream dt_io_stream;
typedef struct dt_io_listener dt_io_listener;
typedef struct dt_io_connect dt_io_connect;
typedef struct dt_io_timer dt_io_timer;
typedef struct dt_io_watch dt_io_watch;
typedef struct dt_io_idle dt_io_idle;
typedef struct dt_io_async dt_io_async;
typedef struct dt_io_child dt_io_child;

/* ---- The loop ---------------------------------------------------------- */

/* A loop, or NULL with a one-line message in err. */
dt_io *dt_io_new(char *err, size_t errsz);
/* Frees the loop. Every object made on it must have been closed first. */
void dt_io_free(dt_io *io);

/* Runs until dt_io_stop. Returns 0, or -1 after a fatal error of the
 * backend (message in dt_io_error). */
int dt_io_run(dt_io *io);
/* Waits at most timeout_ms (-1: no limit; 0: do not wait) for something to
 * happen and runs every callback that is due. Returns -1 on a fatal error. */
int dt_io_run_once(dt_io *io, int timeout_ms);
/* Busy polling: after a turn in which something was ready, dt_io_run polls
 * without sleeping until usec microseconds pass with nothing ready (at most
 * DT_IO_BUSY_POLL_MAX_US; 0, the default: it sleeps at once). A reply to
 * what was just relayed is then taken without a wake-up, at the price of
 * that much CPU after each burst of traffic. Ignored (0) when the process
 * may run on one CPU only: the spinning would take it from the peers. */
#define DT_IO_BUSY_POLL_MAX_US 10000u
void dt_io_set_busy_poll(dt_io *io, unsigned usec);
/* Turns dt_io_run took without waiting (busy polls) so far; any thread.
 * dt_io_set_busy_poll is for the loop's thread, before dt_io_run. */
uint64_t dt_io_busy_polls(dt_io *io);
/* Makes dt_io_run return after the current callback (any thread). */
void dt_io_stop(dt_io *io);
bool dt_io_stopped(const dt_io *io);
const char *dt_io_error(const dt_io *io);

/* Wall-clock nanoseconds since the Unix epoch (timeline timestamps). */
uint64_t dt_io_now_ns(void);
/* A monotonic clock in nanoseconds (timeouts). */
uint64_t dt_io_mono_ns(void);

/* ---- Streams: sockets, pipes, named pipes, a child's stdio ------------- */

enum {
    /* dt_io_stream_open flags */
    DT_IO_SHARED = 1u << 0,  /* a descriptor shared with others (our own stdin/stdout):
                                its blocking mode is left alone; when it is blocking
                                the backend writes only after readiness and at most
                                PIPE_BUF at a time, so a write never blocks */
    DT_IO_NODELAY = 1u << 1, /* TCP: relay small messages at once (TCP_NODELAY) */
    DT_IO_NOCLOSE = 1u << 2, /* dt_io_close leaves the handle open */

    /* on_read flags */
    DT_IO_EOF = 1u << 8,     /* the peer sent end of stream; n is 0 */
    DT_IO_MSG_END = 1u << 9, /* a message boundary follows these bytes (message-mode pipes) */
};

typedef struct dt_io_stream_cbs {
    /* A read completed: n bytes at the buffer given to dt_io_read (data ==
     * that buffer), or end of stream (DT_IO_EOF, n 0), or an error (err is
     * an errno value; on Windows the backend maps GetLastError() codes to
     * the nearest errno: ECONNRESET, EPIPE, ...). The read is over; arm the
     * next one with dt_io_read. */
    void (*on_read)(void *ctx, dt_io_stream *s, uint8_t *data, size_t n, unsigned flags, int err);
    /* A write completed: n bytes of it were written (possibly fewer than
     * asked), or err says why none more can be (EPIPE: the peer stopped
     * reading). */
    void (*on_write)(void *ctx, dt_io_stream *s, size_t n, int err);
} dt_io_stream_cbs;

/* Adopts an open handle as a stream (the loop closes it with the stream
 * unless DT_IO_NOCLOSE). NULL when out of memory or the backend refuses the
 * handle (err set). cbs must outlive the stream. */
dt_io_stream *dt_io_stream_open(dt_io *io, dt_io_handle h, unsigned flags, const dt_io_stream_cbs *cbs, void *ctx,
                                char *err, size_t errsz);
void dt_io_stream_set_ctx(dt_io_stream *s, void *ctx);
dt_io_handle dt_io_stream_handle(const dt_io_stream *s);

/* Our own standard input (0), output (1) or error (2), to open with
 * DT_IO_SHARED | DT_IO_NOCLOSE. */
dt_io_handle dt_io_stdio(int n);

/* Arms one read of at most cap bytes into buf. Returns 0, or -1 when a read
 * is already armed or the stream is closed. */
int dt_io_read(dt_io_stream *s, uint8_t *buf, size_t cap);
/* True while a read is armed. */
bool dt_io_reading(const dt_io_stream *s);
/* A message-mode named pipe: reads end messages with DT_IO_MSG_END and each
 * dt_io_write of one segment is one message (never on POSIX). */
bool dt_io_stream_messages(const dt_io_stream *s);
/* Starts one write of the bytes a[0..na) then b[0..nb) (two segments: a
 * ring's wrap-around, written with one writev/WSASend). Returns 0, or -1
 * when a write is already outstanding. */
int dt_io_write(dt_io_stream *s, const uint8_t *a, size_t na, const uint8_t *b, size_t nb);
bool dt_io_writing(const dt_io_stream *s);
/* Tells the peer no more bytes will come (shutdown(SHUT_WR); a pipe's write
 * end is closed; a named pipe gets a zero-length write... the backend's
 * nearest equivalent). Call it when no write is outstanding. */
void dt_io_shutdown_write(dt_io_stream *s);
/* Stops listening to the peer's bytes for good (shutdown(SHUT_RD)): used
 * when what it sends can no longer be delivered. */
void dt_io_shutdown_read(dt_io_stream *s);
/* Closes the stream; outstanding operations are cancelled without a
 * callback. abort: a TCP peer gets a reset instead of a clean close (as it
 * would have, had the other peer aborted without a proxy in between). */
void dt_io_close(dt_io_stream *s, bool abort);

/* ---- Relaying one stream into another --------------------------------- */

/* One direction of a relay: what src sends is delivered to dst unchanged,
 * in order, without passing through user space where the platform can
 * (Linux: splice(2) from the socket into a pipe, and from the pipe into the
 * other socket). The caller still sees every byte once: a take may copy
 * what it moves into a buffer (recv with MSG_PEEK before the splice), for
 * a decoder. Where the backend cannot do better than a copy (not Linux,
 * not two sockets, a shared descriptor, no pipe to be had)
 * dt_io_relay_new returns NULL and the caller relays with
 * dt_io_read/dt_io_write.
 *
 * While a relay exists the caller arms neither reads on src nor writes on
 * dst. The bytes taken and not yet delivered (dt_io_relay_held) are held
 * by the backend, at most about cap bytes (the pipe's size): that bound is
 * the backpressure, as a ring's size is for read/write. */
typedef struct dt_io_relay dt_io_relay;
typedef struct dt_io_relay_cbs {
    /* A take completed: n bytes left src and are on their way to dst; copy
     * holds them when dt_io_relay_take was given a buffer (else NULL). Or
     * end of stream (DT_IO_EOF, n 0), or a read error (err). Arm the next
     * take with dt_io_relay_take. */
    void (*on_taken)(void *ctx, dt_io_relay *r, const uint8_t *copy, size_t n, unsigned flags, int err);
    /* n more bytes reached dst; or err: dst takes no more (EPIPE...), what
     * is held will not be delivered. */
    void (*on_delivered)(void *ctx, dt_io_relay *r, size_t n, int err);
} dt_io_relay_cbs;

/* NULL when the backend cannot relay src to dst without a copy (see above). */
dt_io_relay *dt_io_relay_new(dt_io_stream *src, dt_io_stream *dst, size_t cap, const dt_io_relay_cbs *cbs, void *ctx);
/* Arms one take of at most cap bytes (also bounded by the room the relay
 * has); copy: where to put a copy of them (cap bytes), or NULL. Returns -1
 * when a take is already armed or the relay is over. */
int dt_io_relay_take(dt_io_relay *r, uint8_t *copy, size_t cap);
bool dt_io_relay_taking(const dt_io_relay *r);
/* Bytes taken from src and not delivered to dst yet. */
size_t dt_io_relay_held(const dt_io_relay *r);
/* Ends the relay; what it holds is dropped (callers report it first). Call
 * it before closing either stream. */
void dt_io_relay_free(dt_io_relay *r);

/* ---- Endpoints, listeners and connects --------------------------------- */

typedef enum dt_io_kind {
    DT_IO_TCP,  /* addr: sockaddr_in or sockaddr_in6 */
    DT_IO_UNIX, /* addr: sockaddr_un (also AF_UNIX on Windows 10+) */
    DT_IO_PIPE, /* Windows named pipe: name "\\.\pipe\NAME" */
} dt_io_kind;

typedef struct dt_io_endpoint {
    dt_io_kind kind;
    struct sockaddr_storage addr; /* TCP, UNIX */
    socklen_t addr_len;
    const char *name;             /* PIPE: the pipe's name; others: for messages */
    /* PIPE: when > 0, only a pipe whose server is this process is used
     * (GetNamedPipeServerProcessId, checked on every connection: another
     * process may add instances to a name it can open); a connection to
     * another server fails with EACCES. Ignored by the POSIX backend. */
    long server_pid;
} dt_io_endpoint;

/* The TCP port of ep, or 0. */
uint16_t dt_io_endpoint_port(const dt_io_endpoint *ep);

/* Who connected: what the platform can tell. */
typedef struct dt_io_peer {
    char name[128];  /* "127.0.0.1:40312", or "" for a local socket or pipe */
    uint16_t port;   /* TCP client port, else 0 */
    long pid;        /* Unix socket (SO_PEERCRED) or named pipe client process, or -1 */
    long uid;        /* Unix socket peer's uid, or -1 */
    char user[64];   /* named pipe client's user where the OS gives it, else "" */
} dt_io_peer;

/* A client arrived: s is a fresh stream without callbacks until the
 * callback gives it its own with dt_io_stream_set_cbs. When accepting
 * failed, s and peer are NULL and err says why (EMFILE: out of descriptors;
 * pausing the listener until a connection closes is the caller's choice). */
typedef void (*dt_io_accept_cb)(void *ctx, dt_io_listener *l, dt_io_stream *s, const dt_io_peer *peer, int err);

/* Listens on an already listening socket (made by addr_posix.c, which owns
 * the platform's permission rules). The handle is not closed by the loop. */
dt_io_listener *dt_io_listen_handle(dt_io *io, dt_io_handle h, dt_io_accept_cb cb, void *ctx, char *err,
                                    size_t errsz);
#ifdef _WIN32
/* Windows: listens on the named pipe NAME ("\\.\pipe\X"), made with the
 * security descriptor and the type (byte or message) of the existing pipe
 * LIKE (a PIPE endpoint; its server_pid, when set, is checked on this probe
 * connection too), so it never admits anyone LIKE would refuse. Accepted
 * streams carry the client's process id in the peer. NULL with err set. */
dt_io_listener *dt_io_listen_pipe(dt_io *io, const char *name, const dt_io_endpoint *like, dt_io_accept_cb cb,
                                  void *ctx, char *err, size_t errsz);
bool dt_io_listener_message_mode(const dt_io_listener *l);
#endif
/* Stops accepting for a while (out of descriptors, or the decoder's queue
 * has no room for another connection) or starts again. */
void dt_io_listener_pause(dt_io_listener *l, bool paused);
void dt_io_listener_close(dt_io_listener *l);
void dt_io_stream_set_cbs(dt_io_stream *s, const dt_io_stream_cbs *cbs, void *ctx);

/* Connects to ep. cb gets the new stream (cbs unset, as after an accept),
 * or NULL and an errno value: ETIMEDOUT when timeout_ms passed (0: no
 * limit) — including a Unix target's full backlog (EAGAIN, retried until
 * then) and a busy pipe (ERROR_PIPE_BUSY, waited on and retried). The
 * connect object is freed after its callback. */
typedef void (*dt_io_connect_cb)(void *ctx, dt_io_stream *s, int err);
dt_io_connect *dt_io_connect_start(dt_io *io, const dt_io_endpoint *ep, unsigned stream_flags, unsigned timeout_ms,
                                   dt_io_connect_cb cb, void *ctx);
/* Gives up a connect still in progress; no callback. */
void dt_io_connect_cancel(dt_io_connect *c);

/* ---- Timers ------------------------------------------------------------ */

typedef void (*dt_io_timer_cb)(void *ctx, dt_io_timer *t);
dt_io_timer *dt_io_timer_new(dt_io *io, dt_io_timer_cb cb, void *ctx);
/* Fires once after ms, then every repeat_ms (0: once). Restarting a running
 * timer moves it. */
void dt_io_timer_start(dt_io_timer *t, uint64_t ms, uint64_t repeat_ms);
void dt_io_timer_stop(dt_io_timer *t);
bool dt_io_timer_active(const dt_io_timer *t);
void dt_io_timer_free(dt_io_timer *t);

/* ---- The stop signal --------------------------------------------------- */

/* SIGINT, SIGTERM and SIGHUP on POSIX (blocked and read from a signalfd:
 * no handler, no global state; call this BEFORE starting threads so they
 * inherit the mask); Ctrl+C, Ctrl+Break and console close on Windows (a
 * console control handler that posts to the completion port), reported as
 * SIGINT, SIGTERM, SIGHUP. cb runs on the loop; it usually calls dt_io_stop
 * or passes the signal on. Only one handler per loop. */
typedef void (*dt_io_signal_cb)(void *ctx, int sig);
int dt_io_on_stop_signal(dt_io *io, dt_io_signal_cb cb, void *ctx, char *err, size_t errsz);
/* The first stop signal received, or 0. */
int dt_io_stop_signal(const dt_io *io);

/* ---- Child processes with redirected stdio (wrap) ---------------------- */

typedef struct dt_io_exit {
    int code;   /* exit code, or -1 when killed */
    int signal; /* POSIX: the signal that killed it; Windows: 0 */
} dt_io_exit;
typedef void (*dt_io_exit_cb)(void *ctx, dt_io_child *ch, dt_io_exit how);

/* Starts argv (argv[0] looked up in PATH) with its stdin, stdout and stderr
 * connected to three new streams (in: we write, out/err: we read; their
 * cbs unset). The child gets default signal handling whatever ours is.
 * Returns NULL with errno-style code in *errnum (ENOENT: not found). */
dt_io_child *dt_io_spawn(dt_io *io, char *const argv[], dt_io_stream **in, dt_io_stream **out, dt_io_stream **err,
                         dt_io_exit_cb cb, void *ctx, int *errnum);
long dt_io_child_pid(const dt_io_child *ch);
/* Passes a stop signal on (POSIX: kill; Windows: a console control event
 * for SIGINT, TerminateProcess otherwise). */
void dt_io_child_signal(dt_io_child *ch, int sig);
/* Frees the child's bookkeeping; when it has not exited yet, waits for it
 * (blocking) after the caller killed it. */
void dt_io_child_free(dt_io_child *ch);

/* ---- Other sources joining the loop ------------------------------------ */

enum {
    DT_IO_IN = 1u << 0,  /* readable (POSIX) / signaled (Windows event handle) */
    DT_IO_OUT = 1u << 1, /* writable (POSIX only) */
    DT_IO_ERR = 1u << 2, /* reported only: hang-up or error */
};

/* Readiness of a foreign handle: a libpcap capture's selectable fd
 * (pcap_get_selectable_fd) or, on Windows, its event (pcap_getevent), an
 * inotify fd... cb is called while the handle is ready for what events
 * asks (level-triggered). The handle is not closed by the loop. */
typedef void (*dt_io_watch_cb)(void *ctx, dt_io_watch *w, unsigned ready);
dt_io_watch *dt_io_watch_new(dt_io *io, dt_io_handle h, unsigned events, dt_io_watch_cb cb, void *ctx, char *err,
                             size_t errsz);
void dt_io_watch_set(dt_io_watch *w, unsigned events);
void dt_io_watch_free(dt_io_watch *w);

/* Work in steps: while started, cb runs once per loop turn and the loop
 * does not sleep (a file replayed alongside live sources: one block per
 * turn, so live sources keep being served). */
typedef void (*dt_io_idle_cb)(void *ctx, dt_io_idle *i);
dt_io_idle *dt_io_idle_new(dt_io *io, dt_io_idle_cb cb, void *ctx);
void dt_io_idle_start(dt_io_idle *i);
void dt_io_idle_stop(dt_io_idle *i);
void dt_io_idle_free(dt_io_idle *i);

/* A wake-up from another thread (eventfd / PostQueuedCompletionStatus):
 * dt_io_async_send may be called from any thread; cb runs on the loop,
 * once for any number of sends since it last ran. */
typedef void (*dt_io_async_cb)(void *ctx, dt_io_async *a);
dt_io_async *dt_io_async_new(dt_io *io, dt_io_async_cb cb, void *ctx);
void dt_io_async_send(dt_io_async *a);
void dt_io_async_free(dt_io_async *a);

#endif
