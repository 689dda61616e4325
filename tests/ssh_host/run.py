#!/usr/bin/env python3
"""The ssh-engine suite: the host's stock OpenSSH client against
lib/proto/ssh, served over a loopback TCP port by tests/ssh_host/serve.c
(no capOS involved; docs/ssh.md).

A throwaway user key is made with ssh-keygen; the server prints its host
key and the client must find it in a throwaway known_hosts
(StrictHostKeyChecking=yes, BatchMode=yes), so a wrong exchange hash or
host signature fails the login. Checks:

- login, shell, echo of the client's input, exit status 0;
- 4 MiB of output through the channel with RekeyLimit=64K on the client
  and a 64 KiB limit on the server: re-keys happen and every byte arrives;
- a command (exec), a subsystem (sftp), a remote forward (-R), an
  unknown key: each refused, with the server's audit reason code.

Every check prints "ok NAME" or "FAIL NAME: why"; the last line is
"N passed, N failed".
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time

passed = failed = 0


def report(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}".rstrip(": "))


class Server:
    """One serve process for `conns` connections, and its log."""

    def __init__(self, serve, tmp, extra, conns):
        self.log_path = os.path.join(tmp, "serve.log")
        port_file = os.path.join(tmp, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [serve, "--port-file", port_file, "--user", "alice",
             "--key", os.path.join(tmp, "id.pub"),
             "--connections", str(conns)] + extra,
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        self.port = int(open(port_file).read())
        hostkey = open(self.log_path).readline().strip()
        self.known_hosts = os.path.join(tmp, "known_hosts")
        with open(self.known_hosts, "w") as f:
            f.write(f"[127.0.0.1]:{self.port} {hostkey}\n")

    def ssh(self, tmp, args, key="id", stdin=b""):
        cmd = ["ssh", "-F", "none", "-p", str(self.port),
               "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
               "-o", f"UserKnownHostsFile={self.known_hosts}",
               "-o", "IdentitiesOnly=yes", "-o", "SendEnv=LANG",
               "-i", os.path.join(tmp, key)] + args
        return subprocess.run(cmd, input=stdin, capture_output=True,
                              timeout=60)

    def finish(self):
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return open(self.log_path).read().splitlines()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", required=True)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        for key in ("id", "other"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                            "-C", key, "-f", os.path.join(tmp, key)],
                           check=True)

        # Login, shell, echo, exit status.
        srv = Server(args.serve, tmp, [], 1)
        r = srv.ssh(tmp, ["-T", "alice@127.0.0.1"], stdin=b"echo me\n")
        log = srv.finish()
        out = r.stdout.decode(errors="replace")
        report("openssh_login_shell_exit_status",
               r.returncode == 0 and "capOS ssh engine: hello" in out
               and "echo me" in out and "auth alice" in log,
               f"exit {r.returncode}, output {out!r}, "
               f"stderr {r.stderr[-300:]!r}, log {log}")
        report("openssh_sendenv_refused_with_reason",
               "denied ssh-env-denied" in log, f"log {log}")

        # Bulk output through re-keys from both sides.
        size = 4 << 20
        srv = Server(args.serve, tmp, ["--stream", str(size),
                                       "--rekey-bytes", "65536"], 1)
        r = srv.ssh(tmp, ["-T", "-o", "RekeyLimit=64K", "alice@127.0.0.1"])
        log = srv.finish()
        want = hashlib.sha256(bytes(i % 251 for i in range(size))).digest()
        rekeys = log.count("rekeyed")
        ok = (r.returncode == 0 and len(r.stdout) == size
              and hashlib.sha256(r.stdout).digest() == want and rekeys >= 8)
        report("openssh_4MiB_through_rekeys_intact", ok,
               f"exit {r.returncode}, {len(r.stdout)} bytes, "
               f"{rekeys} re-keys, stderr {r.stderr[-300:]!r}")
        if ok:
            print(f"[proof] OpenSSH client: 4 MiB arrived intact (SHA-256) "
                  f"across {rekeys} re-keys ok")

        # Refusals, each with its reason code.
        srv = Server(args.serve, tmp, [], 4)
        cases = [
            ("openssh_exec_refused", ["alice@127.0.0.1", "id"], "id",
             "denied ssh-exec-denied", "exec request failed"),
            ("openssh_sftp_subsystem_refused",
             ["-T", "-s", "alice@127.0.0.1", "sftp"], "id",
             "denied ssh-subsystem-denied", "subsystem request failed"),
            ("openssh_remote_forward_refused",
             ["-T", "-o", "ExitOnForwardFailure=yes", "-R",
              "0:127.0.0.1:1", "alice@127.0.0.1"], "id",
             "denied ssh-tcpip-forward-denied",
             "remote port forwarding failed"),
            ("openssh_unknown_key_denied", ["-T", "alice@127.0.0.1"],
             "other", "denied ssh-key-unknown", "Permission denied"),
        ]
        results = [(name, srv.ssh(tmp, a, key=k), reason, msg)
                   for name, a, k, reason, msg in cases]
        log = srv.finish()
        for name, r, reason, msg in results:
            err = r.stderr.decode(errors="replace")
            report(name, reason in log and msg in err,
                   f"exit {r.returncode}, stderr {err[-300:]!r}, log {log}")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
