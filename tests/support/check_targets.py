"""Local things for status checks to watch (issue 18): an HTTP server that can start failing, a
DNS server answering from a table (dnspython wire format over UDP), a TLS server with a
certificate made on the spot, and a plain TCP listener. Each binds 127.0.0.1 on a free port."""
from __future__ import annotations

import datetime as dt
import socket
import ssl
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class HttpTarget:
    """`status`, `body` and `delay` are what the next requests get; `hits` counts them."""

    def __init__(self, status: int = 200, body: str = "all systems go"):
        self.status, self.body, self.hits, self.delay = status, body, 0, 0.0
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/health"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def app(self, environ, start_response):
        import time
        self.hits += 1
        if self.delay:
            time.sleep(self.delay)
        Request(environ)
        return Response(self.body, status=self.status)(environ, start_response)

    def __enter__(self) -> "HttpTarget":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Listener:
    """A socket on 127.0.0.1 (a free port) that a thread serves, one `turn` at a time, until
    the `with` block ends."""

    def __init__(self, kind: int = socket.SOCK_STREAM):
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def turn(self) -> None:
        raise NotImplementedError

    def serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                self.turn()
            except OSError:  # the 0.2 s timeout: look at `stop` again
                continue

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


class TcpTarget(_Listener):
    """A listener that accepts and closes connections."""

    def __init__(self):
        super().__init__()
        self.sock.listen(512)

    def turn(self) -> None:
        conn, _ = self.sock.accept()
        self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        conn.close()


class DnsTarget(_Listener):
    """Answers A/AAAA/TXT queries from `records` {(name, type): [values]}; NXDOMAIN otherwise."""

    def __init__(self, records: dict[tuple[str, str], list[str]]):
        super().__init__(socket.SOCK_DGRAM)
        self.records = {(n.rstrip(".").lower(), t): v for (n, t), v in records.items()}
        self.server = f"127.0.0.1:{self.port}"

    def turn(self) -> None:
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset
        data, peer = self.sock.recvfrom(4096)
        query = dns.message.from_wire(data)
        answer = dns.message.make_response(query)
        q = query.question[0]
        key = (q.name.to_text().rstrip(".").lower(), dns.rdatatype.to_text(q.rdtype))
        if key in self.records:
            answer.answer.append(dns.rrset.from_text_list(q.name, 60, "IN", key[1],
                                                          self.records[key]))
        else:
            answer.set_rcode(dns.rcode.NXDOMAIN)
        self.sock.sendto(answer.to_wire(), peer)


def self_signed(days: int, name: str = "localhost") -> tuple[bytes, bytes]:
    """A key and a certificate for `name` valid from yesterday for `days` more days (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            cert.public_bytes(serialization.Encoding.PEM))


class TlsTarget(TcpTarget):
    """A TLS server whose self-signed certificate has `days` left (its chain never verifies
    against the system's roots, which is what a check must notice)."""

    def __init__(self, days: int = 60):
        key, cert = self_signed(days)
        self.dir = tempfile.TemporaryDirectory()
        kp, cp = Path(self.dir.name, "key.pem"), Path(self.dir.name, "cert.pem")
        kp.write_bytes(key)
        cp.write_bytes(cert)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cp, kp)
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(2)
            with self.ctx.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            conn.close()

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        self.dir.cleanup()
