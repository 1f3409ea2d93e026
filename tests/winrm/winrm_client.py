#!/usr/bin/python3
"""Runs a command through Debian's pywinrm (python3-winrm) and prints what it
got as one JSON line: winrm_client.py URL basic|ntlm USER PASSWORD COMMAND
[--no-encryption]. NTLM uses message encryption ('always')."""
import json
import sys

import winrm


def main():
    url, transport, user, password, command = sys.argv[1:6]
    enc = "never" if "--no-encryption" in sys.argv or transport == "basic" else "always"
    p = winrm.Protocol(endpoint=url, transport=transport, username=user, password=password,
                       message_encryption=enc, server_cert_validation="ignore")
    result = {}
    try:
        shell = p.open_shell()
        cmd = p.run_command(shell, command)
        out, err, rc = p.get_command_output(shell, cmd)
        p.cleanup_command(shell, cmd)
        p.close_shell(shell)
        result = {"ok": True, "stdout": out.decode("utf-8", "replace"), "stderr": err.decode("utf-8", "replace"),
                  "rc": rc}
    except Exception as e:  # the test reports what the client said
        result = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
