"""`meson install` (with DESTDIR) puts diagtap.so into Wireshark's plugin
directory, `pkg-config --variable=plugindir wireshark`/epan, and
diagtap-extcap into the extcap directory Wireshark itself searches
(tshark -G folders); the installed plugin is the one tshark loads."""
import os
import shutil
import subprocess

from wstest import Session, check, fail

BUILDDIR = os.environ.get("DIAGTAP_BUILDDIR", "")

s = Session()
try:
    check(shutil.which("pkg-config") is not None, "pkg-config is not installed")
    r = subprocess.run(["pkg-config", "--variable=plugindir", "wireshark"], capture_output=True, text=True)
    plugindir = r.stdout.strip()
    check(r.returncode == 0 and plugindir.startswith("/"), "no Wireshark plugindir from pkg-config: %r" % r.stderr)
    dest = s.path("destdir")
    r = subprocess.run(["meson", "install", "-C", BUILDDIR, "--no-rebuild", "--destdir", dest],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("meson install failed:\n" + (r.stdout + r.stderr)[-2000:])
    installed = dest + os.path.join(plugindir, "epan", "diagtap.so")
    check(os.path.isfile(installed), "diagtap.so not installed at %s; installed: %s" %
          (installed, [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs if "diagtap" in f]))

    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESHARK_")}
    out = subprocess.run(["tshark", "-G", "folders"], capture_output=True, text=True, env=env).stdout
    folders = dict(l.split(":", 1) for l in out.splitlines() if ":" in l)
    global_plugins = folders.get("Global Plugins", "").strip()
    check(os.path.realpath(global_plugins) == os.path.realpath(plugindir),
          "tshark's global plugin dir %r is not pkg-config's %r" % (global_plugins, plugindir))
    extcap_dir = folders.get("Extcap path", "").strip()
    check(extcap_dir, "tshark -G folders shows no extcap path: %r" % folders)
    ext = dest + os.path.join(extcap_dir, "diagtap-extcap")
    check(os.path.isfile(ext) and os.access(ext, os.X_OK), "diagtap-extcap not installed at %s" % ext)

    # The installed plugin, in place of the built one, is what tshark loads
    # and it decodes (the registration test covers the rest).
    home_epan = os.path.dirname(os.path.join(s.home, ".local/lib/wireshark/plugins",
                                             os.path.basename(plugindir), "epan", "x"))
    check(os.path.isdir(home_epan), "no private plugin dir %s" % home_epan)
    shutil.copy(installed, os.path.join(home_epan, "diagtap.so"))
    os.chmod(os.path.join(home_epan, "diagtap.so"), 0o755)
    plugins = s.tshark(["-G", "plugins"])
    check("diagtap.so" in plugins, "the installed diagtap.so is not loaded:\n" + plugins)
    protos = s.tshark(["-G", "protocols"])
    check(any(l.split("\t")[2:] == ["kdnet"] for l in protos.splitlines()),
          "the installed plugin registers no kdnet protocol")
    r = subprocess.run([ext, "--extcap-interfaces"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and "diagtap-tcp" in r.stdout, "installed extcap: %r" % r.stdout)
    print("installed %s and %s" % (installed[len(dest):], ext[len(dest):]))
finally:
    s.close()
