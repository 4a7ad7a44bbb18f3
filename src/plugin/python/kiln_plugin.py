"""kiln_plugin -- write kiln plugins in Python (standard library only).

A kiln plugin is an executable named kiln-plugin-NAME that kiln starts as a child process and talks to
over a socket (docs/plugins.md is the protocol). This module speaks the protocol for you: write your
components as classes and call serve()::

    import kiln_plugin as kp

    class Hello(kp.Provisioner):
        description = "Says hello on the machine."
        schema = {"attributes": [{"name": "who", "type": "string", "default": "world",
                                  "description": "Whom to greet."}]}

        def provision(self, ctx):
            status = ctx.exec("echo hello, " + kp.shell_quote(ctx.config["who"]))
            if status != 0:
                raise kp.Error("echo exited with status %d" % status)

    if __name__ == "__main__":
        kp.serve("hello", "0.1.0", provisioners={"": Hello})

Components: Provisioner (provision), PostProcessor (post_process), DataSource (execute) and Builder
(build), each with an optional prepare(ctx) that checks ctx.config beyond what the schema says. A
component's key in the dict passed to serve() is its name in the plugin: "" for the component named
like the plugin ("hello"), or a suffix ("local" is used as "hello-local").

Failing: raise Error(message, hint=...) -- or ConfigError(attribute, message) in prepare, which kiln
shows at the attribute in the template. Any other exception fails the call with its message; its
traceback goes to stderr, which kiln quotes when a plugin fails.

Publishing: a plugin is one executable file. `python3 -m zipapp DIR -p "/usr/bin/env python3" -o
kiln-plugin-NAME` packs a directory holding this module and your __main__.py into one
(docs/examples/plugins/python/ does exactly that).
"""

import array
import json
import os
import socket
import sys
import traceback

PROTOCOL = "1.0"
SDK_VERSION = "1.0.0"

_COOKIE_ENV = "KILN_PLUGIN_MAGIC_COOKIE"
_COOKIE_VALUE = "d3a1d6c1f0b94c4e9b1f2f8a6c35e0a7"
_MAX_FDS = 16
_MAX_LINE = 16 << 20

# error codes (docs/plugins.md, "Errors")
_FAILED = -32000
_INVALID_CONFIG = -32001
_CANCELLED = -32002
_UNSUPPORTED = -32003
_METHOD_NOT_FOUND = -32601
_INVALID_REQUEST = -32600


class Error(Exception):
    """A failure to report to kiln: the message, and optionally what the user can do about it."""

    def __init__(self, message, hint=None):
        super().__init__(message)
        self.hint = hint


class ConfigError(Error):
    """In prepare: the value of `attribute` is wrong; kiln points at it in the template."""

    def __init__(self, attribute, message, hint=None):
        super().__init__(message, hint)
        self.attribute = attribute


class Cancelled(Error):
    """kiln asked the plugin to stop (Ctrl-C, or the step's timeout)."""

    def __init__(self, message="cancelled"):
        super().__init__(message)


def shell_quote(s):
    """s quoted for a POSIX shell."""
    return "'" + str(s).replace("'", "'\\''") + "'"


class Artifact:
    """What builders and post-processors produce."""

    def __init__(self, builder_id="", id="", description="", files=None, state=None):
        self.builder_id = builder_id
        self.id = id
        self.description = description
        self.files = list(files or [])
        self.state = dict(state or {})

    def to_json(self):
        return {"builder_id": self.builder_id, "id": self.id, "description": self.description,
                "files": [str(f) for f in self.files],
                "state": {str(k): str(v) for k, v in self.state.items()}}

    @classmethod
    def from_json(cls, j):
        j = j or {}
        return cls(j.get("builder_id", ""), j.get("id", ""), j.get("description", ""), j.get("files", []),
                   j.get("state", {}))


class Component:
    description = ""
    schema = None          # a dict in docs/schema.md's form; None: no settings

    def prepare(self, ctx):
        """Check ctx.config beyond what the schema says; raise ConfigError or Error."""


class Provisioner(Component):
    def provision(self, ctx):
        raise Error("this provisioner does nothing")


class PostProcessor(Component):
    def post_process(self, ctx, artifact):
        """Return (new Artifact or None to pass `artifact` on, keep_input)."""
        return None, True


class DataSource(Component):
    output_type = None     # the result's HCL type, "object({greeting=string})"

    def execute(self, ctx):
        return None


class Builder(Component):
    builder_id = ""

    def build(self, ctx):
        raise Error("this builder builds nothing")


class _Connection:
    def __init__(self, fd):
        self.sock = socket.socket(fileno=fd)
        os.set_inheritable(fd, False)
        self.buf = b""
        self.fds = []
        self.next_id = 1
        self.eof = False

    def send(self, msg, fds=()):
        data = (json.dumps(msg, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8", "replace")
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())] if fds else []
        sent = self.sock.sendmsg([data], anc)
        if sent < len(data):
            self.sock.sendall(data[sent:])

    def _fill(self, block):
        self.sock.setblocking(block)
        try:
            data, anc, _flags, _addr = self.sock.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
        except BlockingIOError:
            return False
        except ConnectionResetError:
            data, anc = b"", []
        finally:
            self.sock.setblocking(True)
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                got = array.array("i")
                got.frombytes(payload[:len(payload) - len(payload) % got.itemsize])
                self.fds.extend(got)
        if not data:
            self.eof = True
            return False
        self.buf += data
        if len(self.buf) > _MAX_LINE and b"\n" not in self.buf:
            _die("kiln sent a message longer than the protocol allows")
        return True

    def read(self, block=True):
        """The next message (a dict with "_fds"), or None at end of stream (or when none is ready)."""
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl], self.buf[nl + 1:]
                if not line.strip():
                    continue
                try:
                    msg = json.loads(line)
                except ValueError as e:
                    _die("kiln sent a message the plugin cannot read: %s" % e)
                if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
                    _die("kiln sent a message that is not JSON-RPC 2.0")
                holder = msg.get("params") if "method" in msg else msg.get("result")
                n = holder.get("fds", 0) if isinstance(holder, dict) else 0
                if not isinstance(n, int) or n < 0 or n > _MAX_FDS or n > len(self.fds):
                    _die("a message declares more file descriptors than came with it")
                msg["_fds"], self.fds = self.fds[:n], self.fds[n:]
                return msg
            if self.eof or not self._fill(block):
                return None


def _die(why):
    sys.stderr.write("kiln plugin: %s\n" % why)
    sys.exit(3)


class Context:
    """One call from kiln: its configuration, the build, and kiln's services."""

    def __init__(self, conn):
        self._conn = conn
        self.config = {}
        self.unknown = []
        self.build = {}
        self._cancelled = False
        self._warnings = []
        self._on_line = None
        self._exec_id = None

    # --- the call ---------------------------------------------------------------------------------

    def build_value(self, key):
        """A build value ("Host", "Port", "User", "SSHPrivateKey", "PackerHTTPAddr", ...) or None."""
        return (self.build.get("values") or {}).get(key)

    @property
    def build_name(self):
        return self.build.get("name", "")

    @property
    def template_dir(self):
        return self.build.get("template_dir", ".")

    @property
    def http_address(self):
        return self.build_value("PackerHTTPAddr") or None

    @property
    def has_communicator(self):
        return bool(self.build.get("communicator"))

    @property
    def cancelled(self):
        """Has kiln asked the plugin to stop? Long work should look now and then."""
        while not self._cancelled and not self._conn.eof:
            msg = self._conn.read(block=False)
            if msg is None:
                break
            if "method" in msg and "id" not in msg:
                self._notification(msg)
        return self._cancelled or self._conn.eof

    def warning(self, message):
        """In prepare: a warning kiln prints before the step runs."""
        self._warnings.append(str(message))

    # --- calling kiln -----------------------------------------------------------------------------

    def _notify(self, method, params):
        self._conn.send({"jsonrpc": "2.0", "method": method, "params": params})

    def _notification(self, msg):
        if msg["method"] == "cancel":
            self._cancelled = True
        elif msg["method"] == "comm.output" and self._on_line:
            p = msg.get("params") or {}
            if p.get("id") == self._exec_id:
                self._on_line(p.get("stream") == "stderr", p.get("line", ""))

    def _call(self, method, params, fds=()):
        call_id = self._conn.next_id
        self._conn.next_id += 1
        if method == "comm.exec":
            self._exec_id = call_id
        self._conn.send({"jsonrpc": "2.0", "id": call_id, "method": method, "params": params}, fds)
        try:
            while True:
                msg = self._conn.read()
                if msg is None:
                    raise Error("kiln closed the connection")
                if "method" in msg:
                    if "id" in msg:
                        self._conn.send({"jsonrpc": "2.0", "id": msg["id"], "error": {
                            "code": _INVALID_REQUEST, "message": "the plugin is busy with a call to kiln"}})
                    else:
                        self._notification(msg)
                    for fd in msg["_fds"]:
                        os.close(fd)
                    continue
                if msg.get("id") != call_id:
                    _die("kiln answered a call the plugin did not make")
                if "error" in msg:
                    err = msg["error"] or {}
                    if err.get("code") == _CANCELLED:
                        self._cancelled = True
                        raise Cancelled(err.get("message", "cancelled"))
                    raise Error(err.get("message", "failed"))
                return msg.get("result"), msg["_fds"]
        finally:
            self._exec_id = None

    # --- UI and log -------------------------------------------------------------------------------

    def say(self, message):
        self._notify("ui.say", {"message": str(message)})

    def message(self, message):
        self._notify("ui.message", {"message": str(message)})

    def error(self, message):
        self._notify("ui.error", {"message": str(message)})

    def warn(self, message):
        self._notify("ui.warn", {"message": str(message)})

    def log(self, message):
        self._notify("log", {"level": "debug", "message": str(message)})

    def secret(self, value):
        """A value kiln must mask in everything it prints and logs."""
        if value:
            self._notify("ui.secret", {"value": str(value)})

    def progress(self, bar_id, label=None, total=0, done=0):
        p = {"id": bar_id, "done": int(done)}
        if label is not None:
            p["label"] = label
        if total:
            p["total"] = int(total)
        self._notify("ui.progress", p)

    def progress_done(self, bar_id):
        self._notify("ui.progress", {"id": bar_id, "finished": True})

    # --- the communicator -------------------------------------------------------------------------

    def exec(self, command, on_line=None):
        """Run a shell command on the machine; its exit status (-1: the connection dropped). Without
        on_line kiln prints the output; with it, on_line(is_stderr, line) gets each line instead."""
        self._on_line = on_line
        try:
            result, _ = self._call("comm.exec", {"command": command, "show": on_line is None,
                                                 "stream": on_line is not None})
        finally:
            self._on_line = None
        return int((result or {}).get("exit_status", -1))

    def upload_fd(self, fd, name, remote):
        """Upload an open regular file or directory, named `name`, to remote."""
        self._call("comm.upload", {"remote": remote, "name": name, "fds": 1}, [fd])

    def upload_file(self, local, remote):
        """Upload a local file (a directory there receives it under its own name)."""
        fd = os.open(local, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.upload_fd(fd, os.path.basename(local.rstrip("/")), remote)
        finally:
            os.close(fd)

    def upload_data(self, data, remote, mode=0o644):
        """Upload bytes (or text) as a file with that mode."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        fd = os.memfd_create("kiln-upload", os.MFD_CLOEXEC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode & 0o7777)
            self.upload_fd(fd, os.path.basename(remote.rstrip("/")) or "data", remote)
        finally:
            os.close(fd)

    def upload_dir(self, local, remote):
        """Packer's rule: "dir/" uploads the contents into remote, "dir" the directory itself."""
        fd = os.open(local, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            params = {"remote": remote, "name": os.path.basename(local.rstrip("/")) or "dir", "fds": 1}
            if local.endswith("/"):
                params["contents"] = True
            self._call("comm.upload", params, [fd])
        finally:
            os.close(fd)

    def download_file(self, remote, local):
        fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            self._call("comm.download", {"remote": remote, "fds": 1}, [fd])
        finally:
            os.close(fd)

    def download_dir(self, remote, local):
        os.makedirs(local, exist_ok=True)
        fd = os.open(local, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            self._call("comm.download", {"remote": remote, "fds": 1}, [fd])
        finally:
            os.close(fd)

    def is_dir(self, remote):
        result, _ = self._call("comm.is_dir", {"remote": remote})
        return bool((result or {}).get("is_dir"))

    def reconnect(self, timeout_ms=300000):
        self._call("comm.reconnect", {"timeout_ms": int(timeout_ms)})

    # --- the post-processor's input artifact ------------------------------------------------------

    def artifact_open(self, index):
        """A read-only file object for the input artifact's file `index` (close it)."""
        _, fds = self._call("artifact.open", {"index": int(index)})
        if not fds:
            raise Error("kiln answered artifact.open without a descriptor")
        for extra in fds[1:]:
            os.close(extra)
        return os.fdopen(fds[0], "rb")


_KINDS = {"builder": "builders", "provisioner": "provisioners", "post-processor": "post_processors",
          "data": "data_sources"}
_RUN = {"provision": "provisioner", "post_process": "post-processor", "execute": "data", "build": "builder"}


class _Server:
    def __init__(self, name, version, components):
        self.name = name
        self.version = version
        self.components = components      # kind -> {name: class}
        self.instance = None
        self.kind = None

    def describe(self):
        d = {"name": self.name, "version": self.version, "protocol": PROTOCOL, "sdk": "kiln-plugin-python " + SDK_VERSION}
        for kind, key in _KINDS.items():
            comps = self.components.get(kind) or {}
            if not comps:
                continue
            d[key] = {}
            for cname, cls in comps.items():
                c = {"description": cls.description or "", "schema": cls.schema or {}}
                if kind == "data" and getattr(cls, "output_type", None):
                    c["output_type"] = cls.output_type
                if kind == "builder" and getattr(cls, "builder_id", ""):
                    c["builder_id"] = cls.builder_id
                d[key][cname] = c
        return d

    def call(self, ctx, method, params):
        if method == "handshake":
            return {"protocol": PROTOCOL, "name": self.name, "version": self.version,
                    "sdk": "kiln-plugin-python " + SDK_VERSION}
        if method == "describe":
            return self.describe()
        if method == "prepare":
            kind, cname = params.get("kind", ""), params.get("name", "")
            cls = (self.components.get(kind) or {}).get(cname)
            if cls is None:
                raise _Reply(_UNSUPPORTED, "the plugin %s has no %s named %r" % (self.name, kind, cname))
            self.instance, self.kind = None, None
            ctx.config = params.get("config") or {}
            ctx.unknown = params.get("unknown") or []
            inst = cls()
            inst.prepare(ctx)
            self.instance, self.kind = inst, kind
            return {"warnings": ctx._warnings}
        if method in _RUN:
            if self.instance is None or self.kind != _RUN[method]:
                raise _Reply(_INVALID_REQUEST, "%s before a %s was prepared" % (method, _RUN[method]))
            ctx.build = params.get("build") or {}
            if method == "provision":
                self.instance.provision(ctx)
                return {}
            if method == "post_process":
                art = Artifact.from_json(params.get("artifact"))
                out = self.instance.post_process(ctx, art)
                new, keep = out if isinstance(out, tuple) else (out, False)
                return {"artifact": new.to_json() if new is not None and new is not art else None,
                        "keep_input": bool(keep)}
            if method == "execute":
                return {"value": self.instance.execute(ctx)}
            art = self.instance.build(ctx)
            if art is None:
                raise Error("the builder finished without an artifact")
            return {"artifact": art.to_json()}
        raise _Reply(_METHOD_NOT_FOUND, "the plugin has no method %r" % method)


class _Reply(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _error_reply(ctx, exc):
    data = {}
    code = _FAILED
    if isinstance(exc, _Reply):
        code = exc.code
    elif isinstance(exc, ConfigError):
        code = _INVALID_CONFIG
        data["attribute"] = exc.attribute
    elif isinstance(exc, Cancelled) or (ctx._cancelled and not isinstance(exc, Error)):
        code = _CANCELLED
    elif not isinstance(exc, Error):
        traceback.print_exc(file=sys.stderr)
    if getattr(exc, "hint", None):
        data["hint"] = exc.hint
    err = {"code": code, "message": str(exc) or exc.__class__.__name__}
    if data:
        err["data"] = data
    return err


def serve(name, version, provisioners=None, post_processors=None, data_sources=None, builders=None):
    """Serve kiln until it closes the connection (then exit). Run by hand: `describe` prints the
    description, `--version` the version."""
    server = _Server(name, version, {"provisioner": provisioners or {}, "post-processor": post_processors or {},
                                     "data": data_sources or {}, "builder": builders or {}})
    if os.environ.get(_COOKIE_ENV) != _COOKIE_VALUE or not os.environ.get("KILN_PLUGIN_FD"):
        args = sys.argv[1:]
        if args[:1] in (["--version"], ["version"]):
            print(version)
            sys.exit(0)
        if args[:1] == ["describe"]:
            print(json.dumps(server.describe()))
            sys.exit(0)
        sys.stderr.write("This is kiln-plugin-%s %s, a plugin for kiln: kiln starts it when a template uses it.\n"
                         "Install it with `kiln plugins install --path FILE SOURCE`, or let `kiln init` install it.\n"
                         "Run it with `describe` to see what it provides.\n" % (name, version))
        sys.exit(1)
    conn = _Connection(int(os.environ["KILN_PLUGIN_FD"]))
    # what the plugin starts must not see the socket
    del os.environ[_COOKIE_ENV]
    del os.environ["KILN_PLUGIN_FD"]
    ctx = Context(conn)
    while True:
        msg = conn.read()
        if msg is None:
            break
        for fd in msg["_fds"]:
            os.close(fd)
        if "method" not in msg:
            continue
        if "id" not in msg:
            ctx._notification(msg)
            continue
        ctx._cancelled = False
        ctx._warnings = []
        try:
            reply = {"jsonrpc": "2.0", "id": msg["id"],
                     "result": server.call(ctx, msg["method"], msg.get("params") or {})}
        except Exception as exc:  # every failure goes back to kiln
            reply = {"jsonrpc": "2.0", "id": msg["id"], "error": _error_reply(ctx, exc)}
        conn.send(reply)
    sys.exit(0)
