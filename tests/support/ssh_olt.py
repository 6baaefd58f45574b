"""A paramiko SSH server that replays an OLT's CLI from a transcript.

A transcript is a session as a terminal shows it: a line `<prompt> <command>` (the prompt ends
in > or #), then the command's output, up to the next such line. The first line's prompt is the
login prompt. Replay answers a command typed at a prompt with its recorded output and moves to
the prompt recorded after it; anything else gets `% Unknown command.`, as the OLTs answer.
Lines before the first prompt line are the transcript's notes (where its format comes from).
`enable_secret`: `enable` asks `Password:` first (DBC); a wrong one is refused.
"""
from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

import paramiko

TRANSCRIPTS = Path(__file__).with_name("transcripts")
LINE = re.compile(r"^([\w.()/:-]+[>#]) ?(.*)$")


def load(path: Path) -> tuple[str, dict[tuple[str, str], tuple[str, str]]]:
    """(first prompt, {(prompt, command): (output, next prompt)})."""
    steps: list[tuple[str, str, list[str]]] = []
    for line in path.read_text().splitlines():
        m = LINE.match(line)
        if m and m.group(2) and not line.startswith(" "):
            steps.append((m.group(1), m.group(2).strip(), []))
        elif steps:
            steps[-1][2].append(line)
    replies = {}
    for i, (prompt, cmd, out) in enumerate(steps):
        after = steps[i + 1][0] if i + 1 < len(steps) else prompt
        replies[(prompt, cmd)] = ("\n".join(out), after)
    return steps[0][0], replies


class _Auth(paramiko.ServerInterface):
    def __init__(self, users: dict[str, str]):
        self.users = users

    def check_auth_password(self, username, password):
        ok = self.users.get(username) == password
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args):
        return True

    def check_channel_shell_request(self, channel):
        return True


class OltSshServer:
    def __init__(self, transcript: str, users: dict[str, str] | None = None, page: int = 0,
                 enable_secret: str | None = None):
        self.prompt0, self.replies = load(TRANSCRIPTS / transcript)
        self.enable_secret = enable_secret
        self.users = users or {"admin": "admin"}
        self.page = page  # lines per page before a --More-- (0: never)
        self.commands: list[str] = []
        self.key = paramiko.RSAKey.generate(2048)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self._stop = False

    def start(self) -> "OltSshServer":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop = True
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        t = paramiko.Transport(conn)
        t.add_server_key(self.key)
        try:
            t.start_server(server=_Auth(self.users))
            chan = t.accept(10)
            if chan is None:
                return
            self._shell(chan)
        except (EOFError, OSError, paramiko.SSHException):
            pass
        finally:
            t.close()

    def _shell(self, chan) -> None:
        prompt = self.prompt0
        chan.send(f"\r\nWelcome\r\n{prompt} ")
        buf = ""
        while True:
            data = chan.recv(1024)
            if not data:
                return
            buf += data.decode(errors="replace")
            while "\n" in buf:
                line, buf = buf.split("\n", 1)
                cmd = line.strip()  # a Telnet client ends lines with CR LF
                self.commands.append(cmd)
                if cmd == "enable" and self.enable_secret is not None:
                    chan.send("enable\r\nPassword: ")
                    secret, buf = self._line(chan, buf)
                    if secret != self.enable_secret:
                        chan.send("\r\n% Access denied\r\n" + f"{prompt} ")
                        continue
                    chan.send("\r\n")
                    prompt = self.replies.get((prompt, cmd), ("", prompt))[1]
                    chan.send(f"{prompt} ")
                    continue
                out, after = self.replies.get((prompt, cmd), ("% Unknown command.", prompt)) \
                    if cmd else ("", prompt)
                self._send_output(chan, cmd, out)
                prompt = after
                chan.send(f"{prompt} ")

    @staticmethod
    def _line(chan, buf: str) -> tuple[str, str]:
        """The next line typed (a password, not echoed, not logged), and what follows it."""
        while "\n" not in buf:
            data = chan.recv(1024)
            if not data:
                raise EOFError
            buf += data.decode(errors="replace")
        line, rest = buf.split("\n", 1)
        return line.strip(), rest

    def _send_output(self, chan, cmd: str, out: str) -> None:
        chan.send(cmd + "\r\n")  # the terminal echo
        lines = out.split("\n") if out else []
        for i, line in enumerate(lines, 1):
            chan.send(line + "\r\n")
            if self.page and i % self.page == 0 and i < len(lines):
                chan.send(" --More-- ")
                chan.recv(1)
                chan.send("\r          \r")


class _TelnetIO:
    """A Telnet server socket as the replay needs it: text in and out, negotiation dropped."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.raw = b""  # may end in half a command sequence
        self.text = b""

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def _fill(self) -> bool:
        from provisioning.olt.telnet import strip_commands
        data = self.sock.recv(1024)
        if not data:
            return False
        text, self.raw, _ = strip_commands(self.raw + data)
        self.text += text
        return True

    def recv(self, n: int) -> bytes:
        while not self.text:
            if not self._fill():
                return b""
        out, self.text = self.text[:n], self.text[n:]
        return out

    def readline(self) -> str:
        while b"\n" not in self.text:
            if not self._fill():
                raise EOFError
        line, self.text = self.text.split(b"\n", 1)
        return line.decode(errors="replace").strip()


class OltTelnetServer(OltSshServer):
    """The same replay behind a Telnet login (Username:/Password:, or DBC's Login:), offering
    ECHO and SGA."""

    login_prompt = "Username: "

    def __init__(self, *args, login_prompt: str | None = None, **kw):
        super().__init__(*args, **kw)
        self.login_prompt = login_prompt or self.login_prompt

    def _serve(self, conn: socket.socket) -> None:
        io = _TelnetIO(conn)
        try:
            conn.sendall(bytes([255, 251, 1, 255, 251, 3]))  # IAC WILL ECHO, IAC WILL SGA
            io.send("\r\nUser Access Verification\r\n\r\n" + self.login_prompt)
            user = io.readline()
            io.send("Password: ")
            password = io.readline()
            if self.users.get(user) != password:
                io.send("\r\n% Authentication failed.\r\n\r\nUsername: ")
                return
            self._shell(io)
        except (EOFError, OSError):
            pass
        finally:
            conn.close()
