#!/usr/bin/env python3
"""Start ClickHouse servers on loopback for Trove's tests and benchmarks, and stop them.

    scripts/clickhouse-servers.py FOLDER [COUNT]

Starts COUNT (default 2) clickhouse-server processes, each with its own data folder and
configuration under FOLDER, on ports the OS chose free, every one knowing the cluster
`trove_shards` whose shards are all of them (one replica each). Prints one JSON line when all
answer, {"http": [ports], "tcp": [ports], "cluster": "trove_shards"}, then waits until its
standard input closes or it is told to stop (SIGTERM, SIGINT), and stops the servers.

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
import urllib.request

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


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(folder, http, tcp, shards):
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


def answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as response:
            return response.read().strip() == b"Ok."
    except OSError:
        return False


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    folder = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 2
    command = server_command()
    if command is None:
        print("no clickhouse-server binary (apt-get install clickhouse-server)", file=sys.stderr)
        sys.exit(3)
    http = [free_port() for _ in range(count)]
    tcp = [free_port() for _ in range(count)]
    servers = []

    def stop(*_):
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for i in range(count):
        own = os.path.join(folder, f"server{i + 1}")
        os.makedirs(own, exist_ok=True)
        path = os.path.join(own, "config.xml")
        with open(path, "w") as f:
            f.write(config(own, http[i], tcp[i], tcp))
        log = open(os.path.join(own, "stdout.log"), "w")
        servers.append(
            subprocess.Popen(command + [f"--config-file={path}"], cwd=own, stdout=log, stderr=log)
        )
    deadline = time.time() + 60
    while not all(answers(port) for port in http):
        if time.time() > deadline or any(s.poll() is not None for s in servers):
            print(f"ClickHouse did not start: see {folder}/server*/", file=sys.stderr)
            stop()
        time.sleep(0.1)
    print(json.dumps({"http": http, "tcp": tcp, "cluster": CLUSTER}), flush=True)
    # Stop when the parent closes our standard input (or dies).
    threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
