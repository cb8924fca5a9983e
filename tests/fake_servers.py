"""Local stand-ins for the alert channels' servers: real sockets on 127.0.0.1, no mocks.

- FakeHttp: Slack's incoming webhook and the GitHub REST API's issue endpoints.
- FakeSmtp: an SMTP sink speaking enough RFC 5321 for smtplib (EHLO, MAIL, RCPT, DATA, QUIT).
"""

from __future__ import annotations

import json
import re
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeHttp:
    """Records every request. `/slack/...` answers like Slack; `/repos/o/r/issues...` like GitHub."""

    requests: list[Request] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[str]] = field(default_factory=dict)
    slack_status: int = 200
    # When set, every GitHub endpoint answers 200 with this text (a proxy's HTML page).
    github_text: str | None = None

    def start(self) -> FakeHttp:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, payload: Any, content_type: str = "") -> None:
                data = (
                    payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                )
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append(Request(method, self.path, dict(self.headers), body))
                path = self.path.split("?")[0]
                if path.startswith("/slack/"):
                    self._reply(fake.slack_status, "ok" if fake.slack_status == 200 else "error")
                    return
                match = re.fullmatch(r"/repos/[^/]+/[^/]+/issues(?:/(\d+)/comments)?", path)
                if not match:
                    self._reply(404, {"message": "Not Found"})
                    return
                if fake.github_text is not None:
                    self._reply(200, fake.github_text, "text/html; charset=utf-8")
                    return
                if method == "GET":
                    self._reply(200, [i for i in fake.issues if i["state"] == "open"])
                elif match.group(1):
                    number = int(match.group(1))
                    fake.comments.setdefault(number, []).append(body["body"])
                    self._reply(201, {"id": len(fake.comments[number]), "body": body["body"]})
                else:
                    issue = {"number": len(fake.issues) + 1, "state": "open", **body}
                    fake.issues.append(issue)
                    self._reply(201, issue)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class FakeSmtp:
    mails: list[Mail] = field(default_factory=list)

    def start(self) -> FakeSmtp:
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 fake-smtp ready")
                sender, recipients = "", []
                while True:
                    line = self.rfile.readline().decode().rstrip("\r\n")
                    if not line:
                        return
                    verb = line.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 fake-smtp")
                    elif verb == "MAIL":
                        sender, recipients = line.split(":", 1)[1].strip().strip("<>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        fake.mails.append(Mail(sender, recipients, message_from_bytes(data)))
                        self.reply("250 queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
