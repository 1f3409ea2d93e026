"""The front pipe's security descriptor, under wine: `proxy pipe` must give
the front the target's DACL, never a wider one (docs/windows.md). A mingw
pipe_peer serves the target with a chosen security descriptor; the same
peer, as a client, reads the DACL of the target and of diagtap's front with
GetSecurityInfo and prints it as SDDL. What wine 8.0 does, as found here:
it stores a pipe's DACL and returns it exactly (so the copy can be compared
ACE by ACE), it returns no DACL for a pipe made with the default security
(Windows gives one), and it does not check a pipe's DACL when a client
opens it (so refusals cannot be shown here; they are Windows' work on the
identical DACL)."""
from wintest import DIAGTAP, PEER, Workdir, boot, check

# Unusual on purpose: Everyone denied changing the DACL or owner, the user
# allowed read and write only (0x12019f = FILE_GENERIC_READ|FILE_GENERIC_WRITE),
# SYSTEM all, Administrators read; protected from inheritance.
UNUSUAL = "D:P(D;;WDWO;;;WD)(A;;0x12019f;;;@USER@)(A;;FA;;;SY)(A;;FR;;;BA)"
# ipc/io_win32.c's descriptor when the target has none to copy: owner and SYSTEM
FALLBACK = "D:P(A;;GA;;;OW)(A;;GA;;;SY)"


def read_sd(wd, name, pipe):
    """{'sddl': 'D:...', 'owner': 'O:...', 'dacl': 'present 3' | 'null' | 'absent', 'open': 'ok' | 'failed N'}"""
    p = wd.run(name, [PEER, "client", pipe, "sddl"])
    check(p.wait(60) == 0, "%s: reading the security of %s: %s%s" % (name, pipe, p.text(), p.text("err")))
    out = {}
    for line in p.text().splitlines():
        key, _, rest = line.partition(" ")
        out[key] = rest.strip()
    out["dacl"] = out["dacl"].replace(" aces -1", "").replace(" aces ", " ")
    out["open"] = out["open"].replace("rw ", "")
    return out


def case(wd, n, sddl):
    target, front = r"\\.\pipe\dt-dacl-target%d" % n, r"\\.\pipe\dt-dacl-front%d" % n
    args = [PEER, "server", target, "echo"] + (["--sddl", sddl] if sddl else [])
    srv = wd.run("target%d" % n, args)
    srv.wait_text("ready", "out")
    # diagtap first: the checker's connections come and go, and the test
    # peer's name is briefly gone between them (no instance left)
    dt = wd.run("diagtap%d" % n, [DIAGTAP, "proxy", "pipe", front, target])
    dt.wait_text("listening on")
    f = read_sd(wd, "check-front%d" % n, front)
    t = read_sd(wd, "check-target%d" % n, target)
    check(dt.stop() == 0, "proxy exit: " + dt.text("err"))
    srv.kill()
    return srv.text(), t, f


def main():
    boot()
    with Workdir() as wd:
        # 1. An explicit DACL: the front's is the same, ACE for ACE, flags too.
        given, t, f = case(wd, 1, UNUSUAL)
        check(t["dacl"] == "present 4", "wine did not keep the target's DACL: %s" % t)
        check(t["sddl"].startswith("D:P(D;;WDWO;;;WD)(A;;0x12019f;;;S-1-5-") and t["sddl"].endswith(")(A;;FA;;;SY)(A;;FR;;;BA)"),
              "the target's DACL read back is not the one given: %s" % t["sddl"])
        check(f["sddl"] == t["sddl"], "front DACL %s, target DACL %s" % (f["sddl"], t["sddl"]))
        check(f["owner"] == t["owner"], "front owner %s, target owner %s" % (f["owner"], t["owner"]))
        unusual_open = (t["open"], f["open"])

        # 2. A NULL DACL (everyone, everything): the front must not copy
        # that; it gets owner and SYSTEM only.
        given, t, f = case(wd, 2, "NULL")
        check("given dacl null" in given and t["dacl"] == "null", "wine did not keep the NULL DACL: %s %s" % (given, t))
        check(f["sddl"] == FALLBACK and f["dacl"] == "present 2", "front of a NULL-DACL target: %s" % f)

        # 3. The default security: wine returns no DACL at all (Windows
        # would give the default one, which the front would copy), so here
        # the front gets owner and SYSTEM only as well.
        given, t, f = case(wd, 3, None)
        if t["dacl"] == "absent":
            check(f["sddl"] == FALLBACK, "front of a target without a DACL: %s" % f)
        else:
            check(t["dacl"].startswith("present") and f["sddl"] == t["sddl"],
                  "default DACL %s, front %s" % (t, f))
        default_dacl = t["dacl"]

        # 4. Does wine refuse a client the DACL denies? Everyone denied all.
        given, t, f = case(wd, 4, "D:P(D;;FA;;;WD)")
        check(f["sddl"] == t["sddl"] == "D:P(D;;FA;;;WD)", "deny-all DACL: target %s, front %s" % (t, f))
        enforced = t["open"] != "ok 0"
        check(enforced == (f["open"] != "ok 0"),
              "the front and the target differ in who may open them: target %s, front %s" % (t["open"], f["open"]))
    print("ok: an explicit DACL copied exactly (4 ACEs, protected); a NULL DACL and an %s one (default security) "
          "-> %s; wine %s a pipe's DACL on open (deny-all target: open %s; unusual: target %s, front %s)"
          % (default_dacl, FALLBACK, "enforces" if enforced else "does not enforce", t["open"], unusual_open[0],
             unusual_open[1]))


if __name__ == "__main__":
    main()
