"""diagtap replay of the real KDNET capture (UDP port 51111, found by the
MDBG probe), checked against kdoracle's independent decryption: openssl for
AES-256-CBC, Python's hmac for the MAC, hashlib for the data-channel key."""
import json
import struct
import subprocess

from kdoracle import CAPTURE, DIAGTAP, check, decrypt_capture, fail, kd_type, kd_u32, kd_u64


def replay(*args):
    r = subprocess.run([DIAGTAP, "replay", CAPTURE, "-T", "json"] + list(args), capture_output=True, timeout=120)
    check(r.returncode == 0, "diagtap replay %s exited %d: %s" % (args, r.returncode, r.stderr.decode(errors="replace")))
    evs = [json.loads(line) for line in r.stdout.decode().splitlines() if line.strip()]
    return [e for e in evs if e["proto_name"] == "kdnet" and e["kind"] == "pdu" and e["raw_len"] > 0]


def kd_fields(e):
    return e["fields"].get("kd.packet") or {}


def main():
    evs = replay("--kdnet-key", "8.8.8.8", "--show-credentials")
    pkts, data_key = decrypt_capture()
    check(len(pkts) == 955, "expected 955 packets, the oracle read %d" % len(pkts))
    check(data_key is not None, "oracle found no host control reply")
    bad = [p.index + 1 for p in pkts if not p.mac_ok]
    check(not bad, "oracle: MAC did not verify for packets %s" % bad[:10])

    check(len(evs) == 955, "diagtap showed %d KDNET packets, not 955" % len(evs))
    for p, e in zip(pkts, evs):
        f = e["fields"]
        check(f.get("kdnet.decryption") == "verified", "packet %d: %s" % (p.index + 1, e["summary"]))
        if p.kd is None:
            continue
        kd = kd_fields(e)
        check(kd.get("kd.packet_id") == struct.unpack_from("<I", p.kd, 8)[0], "packet %d: packet id" % (p.index + 1))
        csum = sum(p.kd[16:]) & 0xFFFFFFFF
        check(csum == struct.unpack_from("<I", p.kd, 12)[0], "oracle: packet %d checksum" % (p.index + 1))
        check(kd.get("kd.checksum.good") is True, "packet %d: checksum not verified" % (p.index + 1))

    # The data-channel key comes from the handshake in the capture.
    keys = [e["fields"]["kdnet.data_key"] for e in evs if "kdnet.data_key" in e["fields"]]
    check(keys == [data_key.hex()], "data key %s, oracle %s" % (keys, data_key.hex()))

    # Every DbgPrint text, in order.
    want = []
    for p in pkts:
        if p.kd and kd_type(p.kd) == 3 and kd_u32(p.kd, 0) == 0x3230:
            n = kd_u32(p.kd, 8)
            want.append(p.kd[32:32 + n].decode("latin-1"))
    got = [kd_fields(e)["kd.print.text"] for e in evs if "kd.print.text" in kd_fields(e)]
    check(len(want) == 7 and got == want, "DbgPrint texts differ:\n%r\n%r" % (got, want))

    # GetVersion: the target's reply.
    for p, e in zip(pkts, evs):
        if p.kd and kd_type(p.kd) == 2 and kd_u32(p.kd, 0) == 0x3146 and not p.from_host:
            kd = kd_fields(e)
            check(kd["kd.version.minor"] == struct.unpack_from("<H", p.kd, 16 + 18)[0], "GetVersion build")
            check(kd["kd.version.machine"] == struct.unpack_from("<H", p.kd, 16 + 24)[0], "GetVersion machine")
            check(kd["kd.version.kern_base"] == str(kd_u64(p.kd, 32)), "GetVersion KernBase")
            check(kd["kd.version.ps_loaded_module_list"] == str(kd_u64(p.kd, 40)), "GetVersion PsLoadedModuleList")
            check(e["role"] == "response" and e["req_seq"], "GetVersion reply not paired")
            break
    else:
        fail("no GetVersion reply")

    # Module loads with their image paths.
    loads = []
    for p in pkts:
        if p.kd and kd_type(p.kd) == 7 and kd_u32(p.kd, 0) == 0x3031:
            pl = kd_u32(p.kd, 32)
            loads.append(p.kd[len(p.kd) - pl:].split(b"\0")[0].decode() if pl else None)
    got = [kd_fields(e).get("kd.load.path") for e in evs if kd_fields(e).get("kd.new_state") == 0x3031]
    check(got == loads and "winload.efi" in loads, "module loads %r, oracle %r" % (got, loads))

    # A wrong key: the mismatch on every packet, nothing decoded.
    wrong = replay("--kdnet-key", "1.2.3.4")
    check(len(wrong) == 955, "wrong key: %d packets listed" % len(wrong))
    for e in wrong:
        check("wrong key?" in e["summary"] and e["is_error"], "wrong key: " + e["summary"])
        check(e["fields"].get("kdnet.decryption") == "MAC mismatch (wrong key?)" and "kd.packet" not in e["fields"],
              "wrong key: " + e["summary"])
    # No key: still every header.
    nokey = replay()
    check(len(nokey) == 955, "no key: %d packets listed" % len(nokey))
    for p, e in zip(pkts, nokey):
        check(e["fields"].get("kdnet.version") == 4 and e["fields"].get("kdnet.channel") == p.channel,
              "no key: header of packet %d" % (p.index + 1))
        check("encrypted (no key)" in e["summary"], "no key: " + e["summary"])
    # Several targets' keys: --kdnet-key repeated, one bound to this port.
    multi = replay("--kdnet-key", "1.2.3.4", "--kdnet-key", "51111=8.8.8.8", "--kdnet-key", "50000=5.6.7.8")
    check(len(multi) == 955 and all(e["fields"].get("kdnet.key_index") == 2 for e in multi),
          "repeated --kdnet-key: the port-bound key did not verify every packet")

    # --stats: the per-API table and, at the end of the timeline, the session's counters.
    r = subprocess.run([DIAGTAP, "replay", CAPTURE, "--kdnet-key", "8.8.8.8", "--stats", "--color", "never"],
                       capture_output=True, timeout=120)
    text = r.stdout.decode()
    lines = text.splitlines()
    check(r.returncode == 0, "replay --stats exited %d" % r.returncode)
    session = [l for l in lines if "KDNET session:" in l]
    kd_bytes = sum(len(p.kd) for p in pkts if p.kd)
    check(len(session) == 1 and ("526 KD packets (263 data, 263 control), %d bytes, 3 retransmits, 2 resends, "
                                 "2 resets, 0 break-ins; 427 announcements every 3.0 s, 1 host connects" % kd_bytes)
          in session[0], "session summary: %r" % session)

    def row(key):
        hit = [l.split() for l in lines if l.split()[:2] == ["KDNET", key]]
        check(len(hit) == 1, "--stats has no single %s row" % key)
        return hit[0]
    check(row("RETRANSMIT")[2] == "3" and row("RESEND")[2] == "2" and row("RESET")[2] == "2", "--stats KD rows")
    check(row("GetContext")[2:4] == ["4", "4"], "--stats GetContext: %r" % row("GetContext"))
    check(row("CreateFile")[2:4] == ["33", "33"] and "STATUS_NO_SUCH_FILE×33" in " ".join(row("CreateFile")),
          "--stats CreateFile: %r" % row("CreateFile"))
    check(row("Announce")[2] == "427", "--stats Announce row")
    print("ok: 955 packets verified, 526 KD checksums, data key, GetVersion, %d DbgPrints, loads %r" % (len(want), loads))


if __name__ == "__main__":
    main()
