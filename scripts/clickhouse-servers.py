#!/usr/bin/env python3
"""Start ClickHouse servers on loopback for Trove's tests and benchmarks, and stop them.

    scripts/clickhouse-servers.py FOLDER [COUNT]

Starts COUNT (default 2) clickhouse-server processes, each with its own data folder and
configuration under FOLDER, on ports the OS chose free, every one knowing the cluster
`trove_shards` whose shards are all of them (one replica each). Prints one JSON line when all
answer, {"http": [ports], "tcp": [ports], "cluster": "trove_shards"}, then waits until its
standard input closes or it is told to stop (SIGTERM, SIGINT), and stops the servers.

A port the OS called free can be taken by someone else (another test starting servers at the
same moment) before our server binds it: that server then exits, and its HTTP port may even be
answered by the other's server. So each server carries a token of its own (a macro) and counts
as started only when its own port answers with its own token; when one exits while starting,
all of them start again on new ports (at most five times).

Exit status 3 when no clickhouse-server binary is installed (apt-get install clickhouse-server).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

CLUSTER = "trove_shards"


def server_command():
    for name in ("clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"):
        path = shutil.which(name)
        if path:
            return [path]
    path = shutil.which("clickhouse")
    if path:
        return [path, "server"]
    return None


ATTEMPTS = 5


def free_ports(count):
    """`count` distinct ports the OS calls free (all held until all are chosen)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def config(folder, http, tcp, shards, token):
    replicas = "".join(
        f"<shard><replica><host>127.0.0.1</host><port>{port}</port></replica></shard>"
        for port in shards
    )
    return f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{folder}/server.log</log><errorlog>{folder}/error.log</errorlog>
    <size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <path>{folder}/data/</path>
  <tmp_path>{folder}/data/tmp/</tmp_path>
  <user_files_path>{folder}/data/user_files/</user_files_path>
  <format_schema_path>{folder}/data/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <macros><trove_server>{token}</trove_server></macros>
  <timezone>UTC</timezone>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile><quota>default</quota></default>
  </users>
  <profiles><default></default></profiles>
  <quotas><default></default></quotas>
  <remote_servers><{CLUSTER}>{replicas}</{CLUSTER}></remote_servers>
</yandex>
"""


def answers(port, token):
    """Whether the server on `port` is up and is the one given `token`."""
    query = urllib.parse.quote("SELECT substitution FROM system.macros WHERE macro = 'trove_server'")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?query={query}", timeout=1) as reply:
            return reply.read().strip() == token.encode()
    except OSError:
        return False


def start(folder, command, count, servers):
    """Starts `count` servers into `servers`; returns (http ports, tcp ports), or None (and
    `servers` empty) when one of them exited while starting (a port was taken meanwhile)."""
    ports = free_ports(2 * count)
    http, tcp = ports[:count], ports[count:]
    tokens = [uuid.uuid4().hex for _ in range(count)]
    for i in range(count):
        own = os.path.join(folder, f"server{i + 1}")
        shutil.rmtree(own, ignore_errors=True)
        os.makedirs(own)
        path = os.path.join(own, "config.xml")
        with open(path, "w") as f:
            f.write(config(own, http[i], tcp[i], tcp, tokens[i]))
        log = open(os.path.join(own, "stdout.log"), "w")
        servers.append(
            subprocess.Popen(command + [f"--config-file={path}"], cwd=own, stdout=log, stderr=log)
        )
    deadline = time.time() + 60
    while not all(answers(port, token) for port, token in zip(http, tokens)):
        if any(s.poll() is not None for s in servers):
            stop_all(servers)
            servers.clear()
            return None
        if time.time() > deadline:
            stop_all(servers)
            print(f"ClickHouse did not start within 60 s: see {folder}/server*/", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.1)
    return http, tcp


def stop_all(servers):
    for server in servers:
        if server.poll() is None:
            server.terminate()
    for server in servers:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    folder = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 2
    command = server_command()
    if command is None:
        print("no clickhouse-server binary (apt-get install clickhouse-server)", file=sys.stderr)
        sys.exit(3)
    servers = []

    def stop(*_):
        stop_all(servers)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(ATTEMPTS):
        started = start(folder, command, count, servers)
        if started:
            break
    else:
        print(f"ClickHouse did not start {ATTEMPTS} times: see {folder}/server*/", file=sys.stderr)
        sys.exit(1)
    http, tcp = started
    print(json.dumps({"http": http, "tcp": tcp, "cluster": CLUSTER}), flush=True)
    # Stop when the parent closes our standard input (or dies).
    threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
