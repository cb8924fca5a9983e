"""A throwaway PostgreSQL cluster that behaves like a production server: password auth
(scram-sha-256 for every connection, no trust), TLS with a certificate signed by a CA made
here, and every statement logged (log_statement = all) to a file the tests read.

initdb + pg_ctl from /usr/lib/postgresql/<version>/bin on a free loopback port, the socket and
data in a fresh temporary folder; certificates made with the openssl command. `start_cluster`
returns a running cluster; `stop` stops it and deletes its folder. initdb refuses to run as
root: then every server command runs as the `postgres` system user (runuser), which owns the
folder. The shared session fixture is `throwaway_postgres` in tests/conftest.py.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"


class ClusterUnavailable(Exception):
    """A prerequisite is missing here (no PostgreSQL server binaries, no openssl)."""


def server_binaries() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl."""
    found = [
        Path(path).parent
        for path in glob.glob("/usr/lib/postgresql/*/bin/initdb")
        if (Path(path).parent / "pg_ctl").exists()
    ]
    if not found:
        raise ClusterUnavailable(
            "no initdb / pg_ctl under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        )
    return max(found, key=lambda path: int(re.sub(r"\D", "", path.parent.name) or 0))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    directory: Path
    port: int
    password: str  # the superuser's
    ca: Path  # the CA that signed the server certificate
    wrong_ca: Path  # another CA, which did not
    bin: Path
    run_as: tuple[str, ...]
    host: str = "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def env(self, **changes: str) -> dict[str, str]:
        """The PG* variables (and WAREHOUSE=postgres) of the superuser on this cluster, over
        TLS with the server certificate verified; `changes` override any of them."""
        env = {
            "WAREHOUSE": "postgres",
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": SUPERUSER,
            "PGPASSWORD": self.password,
            "PGDATABASE": "postgres",
            "PGSSLMODE": "verify-full",
            "PGSSLROOTCERT": str(self.ca),
        }
        env.update(changes)
        return env

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run([*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), *args])

    def stop(self) -> None:
        """Stop the server (immediately: it is thrown away) and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self.pg_ctl("stop", "-m", "immediate", "-w", "-t", "60")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:4])}... exited {result.returncode}: "
            f"{(result.stderr or result.stdout).strip()[-2000:]}"
        )
    return result


def _owner() -> tuple[tuple[str, ...], int | None, int | None]:
    """The prefix running a server command, and the uid/gid owning the folder."""
    if os.geteuid() != 0:
        return (), None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterUnavailable("running as root and there is no `postgres` user") from exc
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ClusterUnavailable("running as root and there is no runuser command")
    return (runuser, "-u", "postgres", "--"), user.pw_uid, user.pw_gid


def _certificates(folder: Path, openssl: str) -> tuple[Path, Path, Path, Path]:
    """A CA, a server certificate for 127.0.0.1 / localhost signed by it, and a second CA."""

    def ssl(*args: str) -> None:
        _run([openssl, *args], cwd=folder)

    for name in ("ca", "wrong-ca"):
        ssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.crt",
            "-subj", f"/CN=marketpulse test {name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
    ssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    (folder / "server.ext").write_text(
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n"
    )
    ssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", "server.crt", "-extfile", "server.ext",
    )  # fmt: skip
    return folder / "ca.crt", folder / "wrong-ca.crt", folder / "server.crt", folder / "server.key"


def start_cluster() -> Cluster:
    """initdb, certificates, configuration, pg_ctl start; on any failure nothing is left."""
    binaries = server_binaries()
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ClusterUnavailable("no openssl command to make the test certificates")
    run_as, uid, gid = _owner()
    directory = Path(tempfile.mkdtemp(prefix="marketpulse-pg-"))
    password = secrets.token_urlsafe(18)
    cluster = Cluster(directory, free_port(), password, directory, directory, binaries, run_as)
    try:
        ca, wrong_ca, certificate, key = _certificates(directory, openssl)
        cluster.ca, cluster.wrong_ca = ca, wrong_ca
        (directory / "password").write_text(password + "\n")
        os.chmod(key, 0o600)
        if uid is not None:
            for path in [directory, *directory.iterdir()]:
                os.chown(path, uid, gid or -1)
        _run(
            [
                *run_as, str(binaries / "initdb"), "-D", str(cluster.data), "-U", SUPERUSER,
                "--auth=scram-sha-256", f"--pwfile={directory / 'password'}",
                "-E", "UTF8", "--no-locale", "--no-sync",
            ]
        )  # fmt: skip
        (directory / "password").unlink()
        with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {cluster.port}\n"
                f"unix_socket_directories = '{directory}'\n"
                "password_encryption = 'scram-sha-256'\n"
                f"ssl = on\nssl_cert_file = '{certificate}'\nssl_key_file = '{key}'\n"
                "log_statement = 'all'\nlog_connections = on\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 30\nshared_buffers = '32MB'\n"
            )
        (cluster.data / "pg_hba.conf").write_text(
            "# throwaway test cluster: a password for everyone, over the socket or TCP\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        cluster.pg_ctl("start", "-w", "-t", "60", "-l", str(cluster.log))
    except BaseException:
        cluster.stop()
        raise
    return cluster
