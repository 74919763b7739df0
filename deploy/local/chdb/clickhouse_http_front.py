#!/usr/bin/env python3
"""ClickHouse's HTTP interface, the subset that @clickhouse/client uses, in front of chdb.

chdb (PyPI `chdb-core`) is ClickHouse's own SQL engine as a library, without the server's network front.
This program is that front, and nothing more: it passes each statement to the engine unchanged and
the engine's answer back unchanged, so the product's ClickHouse wrapper can talk to a current
ClickHouse (26.x) the same way it talks to the 18.16 server. It never rewrites SQL, never reformats
results and never hides an error: the engine's exception text is the body, its code is the
X-ClickHouse-Exception-Code header, and the HTTP status is the server's for that exception.

What it speaks, as the server does (src/Server/HTTPHandler.cpp):
  GET /ping                         -> "Ok.\\n"
  GET|POST /?query=...              -> the query is the `query` parameter, then a newline and the body
                                       (so an INSERT's data may follow in the body)
  database=, default_format=, query_id=, param_<name>= (query parameters); every other URL parameter
  is a setting for that one request (unknown ones fail as on the server, code 115).
  Request bodies: plain, chunked, or gzip (Content-Encoding); answers are never compressed.

What it does not do (a test tool on loopback, see docs/clickhouse-compatibility.md): users and
passwords (it listens on loopback only and accepts any credentials), sessions, GET being read-only,
rejecting several statements in one request, binary (non-UTF-8) bodies, progress headers.

Usage: [TZ=zone] clickhouse_http_front.py --data DIR [--host 127.0.0.1] [--port 8124]
       (the server's time zone is TZ's, read when the engine loads; default: the machine's)
       clickhouse_http_front.py --data DIR --direct < statements.json
         the engine's own answers (same defaults), without the front, to compare with: reads a JSON array
         of {"sql", "format"} and prints a JSON array of {"body"} or {"error"}
"""

import argparse
import gzip
import json
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import chdb

# The HTTP status the server answers for an exception, by the name that ends its message
# (ClickHouse's src/Server/HTTP/exceptionCodeToHTTPStatus.cpp); anything else is 500.
STATUS_BY_ERROR = {
    **dict.fromkeys(["REQUIRED_PASSWORD"], 401),
    **dict.fromkeys(["UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE", "ACCESS_DENIED"], 403),
    **dict.fromkeys(
        [
            "BAD_ARGUMENTS", "CANNOT_COMPILE_REGEXP", "CANNOT_PARSE_TEXT", "CANNOT_PARSE_ESCAPE_SEQUENCE",
            "CANNOT_PARSE_QUOTED_STRING", "CANNOT_PARSE_DATE", "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_NUMBER",
            "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING", "CANNOT_PARSE_IPV4", "CANNOT_PARSE_IPV6",
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "CANNOT_PARSE_UUID", "DUPLICATE_COLUMN", "ILLEGAL_COLUMN",
            "UNKNOWN_ELEMENT_IN_AST", "UNKNOWN_TYPE_OF_AST_NODE", "THERE_IS_NO_COLUMN", "TOO_DEEP_AST", "TOO_BIG_AST",
            "UNEXPECTED_AST_STRUCTURE", "SYNTAX_ERROR", "INCORRECT_DATA", "TYPE_MISMATCH",
            "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
        ],
        400,
    ),
    **dict.fromkeys(
        [
            "UNKNOWN_TABLE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER", "UNKNOWN_TYPE", "UNKNOWN_STORAGE",
            "UNKNOWN_DATABASE", "UNKNOWN_SETTING", "UNKNOWN_DIRECTION_OF_SORTING", "UNKNOWN_AGGREGATE_FUNCTION",
            "UNKNOWN_FORMAT", "UNKNOWN_DATABASE_ENGINE", "UNKNOWN_TYPE_OF_QUERY", "UNKNOWN_ROLE",
        ],
        404,
    ),
    "QUERY_IS_TOO_LARGE": 413,
    "NOT_IMPLEMENTED": 501,
    **dict.fromkeys(["SOCKET_TIMEOUT", "CANNOT_OPEN_FILE", "CANNOT_SCHEDULE_TASK"], 503),
    "HTTP_LENGTH_REQUIRED": 411,
    "TIMEOUT_EXCEEDED": 408,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}

# URL parameters the server reads itself (src/Server/HTTPHandler.cpp); every other one is a setting.
NOT_SETTINGS = {
    "query", "database", "default_format", "query_id", "user", "password", "quota_key", "role", "stacktrace",
    "session_id", "session_timeout", "session_check", "close_session", "compress", "decompress", "buffer_size",
    "wait_end_of_query", "client_protocol_version",
}

# The embedded engine starts with a few defaults of its own; a server's default profile has these.
SERVER_DEFAULTS = {
    "implicit_select": "0",  # chdb evaluates a bare expression as a SELECT; a server rejects it
    "allow_introspection_functions": "0",
    "storage_file_read_method": "pread",
    "mutations_sync": "0",  # a server runs ALTER ... UPDATE/DELETE asynchronously unless asked
}

ERROR_RE = re.compile(r"^Code: (\d+)\.")
# Only a SET or USE statement changes the session (a SETTINGS clause lasts for its query); comments may precede it.
CHANGES_SESSION_RE = re.compile(r"(?:^|;)\s*(?:(?:--|#)[^\n]*\n\s*|/\*.*?\*/\s*)*(?:SET|USE)\b", re.IGNORECASE | re.DOTALL)
ERROR_NAME_RE = re.compile(r"\(([A-Z][A-Z0-9_]{2,})\)")


class FrontError(Exception):
    """A request the front refuses before it reaches the engine, worded as the server words errors."""

    def __init__(self, code, name, message):
        super().__init__(f"Code: {code}. DB::Exception: {message}. ({name})")


def quote_ident(name):
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_string(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def server_session(data_dir):
    """A chdb session with a server's defaults."""
    conn = chdb.connect(data_dir)
    for name, value in SERVER_DEFAULTS.items():
        conn.query(f"SET {quote_ident(name)} = {quote_string(value)}")
    return conn


class Engine:
    """One chdb session; statements run one at a time, each with its own database and settings."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.lock = threading.Lock()
        self._connect()
        self.baseline = self._changed_settings()
        self.version = self.conn.query("SELECT version()", "TabSeparated").bytes().decode().strip()
        self.timezone = self.conn.query("SELECT timezone()", "TabSeparated").bytes().decode().strip()

    def _connect(self):
        self.conn = server_session(self.data_dir)

    def _changed_settings(self):
        out = self.conn.query("SELECT name, value FROM system.settings WHERE changed AND name != 'database'", "JSONEachRow")
        return {row["name"]: row["value"] for row in map(json.loads, out.bytes().decode().splitlines())}

    def _reset(self, name):
        if name in self.baseline:
            self.conn.query(f"SET {quote_ident(name)} = {quote_string(self.baseline[name])}")
        else:
            self.conn.query(f"SET {quote_ident(name)} = DEFAULT")

    def _restore(self, request_settings, sql):
        # Over HTTP every request is a session of its own: what the request set (its URL settings, or a
        # SET or USE in its body) must not reach the next one.
        try:
            for name in request_settings:
                self._reset(name)
            if CHANGES_SESSION_RE.search(sql):
                for name, value in self._changed_settings().items():
                    if self.baseline.get(name) != value:
                        self._reset(name)
        except chdb.ChdbError:
            # Something SET cannot undo (readonly, a limit that fails the check itself): a fresh session.
            self.conn.close()
            self._connect()

    def run(self, sql, database, settings, output_format, params):
        """The engine's answer (bytes and counters), or its exception."""
        with self.lock:
            try:
                self.conn.query(f"USE {quote_ident(database)}")
                for name, value in settings.items():
                    self.conn.query(f"SET {quote_ident(name)} = {quote_string(value)}")
                result = self.conn.query(sql, output_format, params=params or None)
                return result.bytes(), {
                    "read_rows": result.rows_read(),
                    "read_bytes": result.bytes_read(),
                    "written_rows": result.rows_written(),
                    "written_bytes": result.bytes_written(),
                    "elapsed_ns": int(result.elapsed() * 1e9),
                }
            finally:
                self._restore(settings, sql)

    def close(self):
        with self.lock:
            self.conn.close()


def read_body(handler):
    """The request body: Content-Length or chunked, then gunzipped when sent with Content-Encoding: gzip."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        parts = []
        while True:
            size_line = handler.rfile.readline(1024)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise FrontError(36, "BAD_ARGUMENTS", "Malformed chunked request body") from None
            if size == 0:
                while handler.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            parts.append(handler.rfile.read(size))
            handler.rfile.readline(1024)
        body = b"".join(parts)
    else:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    encoding = handler.headers.get("Content-Encoding", "").lower()
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding not in ("", "identity"):
        raise FrontError(779, "UNSUPPORTED_MEDIA_TYPE", f"Unsupported Content-Encoding '{encoding}' (this front reads gzip only)")
    return body


def error_answer(message):
    code_match = ERROR_RE.match(message)
    code = int(code_match.group(1)) if code_match else 1001  # STD_EXCEPTION: no server code in the text
    names = ERROR_NAME_RE.findall(message)
    status = STATUS_BY_ERROR.get(names[-1] if names else "", 500)
    return status, code


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without it each answer waits for a delayed ACK
    server_version = "chdb-clickhouse-http-front"
    engine = None  # set in main()

    def log_message(self, fmt, *args):  # one line per request, written by answer(); no SQL text (it may hold personal data)
        pass

    def do_GET(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def handle_request(self):
        started = time.monotonic()
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        query_id = params.get("query_id") or str(uuid.uuid4())
        try:
            body = read_body(self) if self.command == "POST" else b""
            if url.path == "/ping":
                return self.answer(200, b"Ok.\n", query_id, started)
            if url.path != "/":
                return self.answer(404, f"There is no handle {url.path}\n".encode(), query_id, started)
            try:
                body_text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise FrontError(48, "NOT_IMPLEMENTED", "The request body is not UTF-8 text; this front passes statements as text and has no binary formats") from None
            query = params.get("query", "")
            sql = f"{query}\n{body_text}" if query and body_text else query or body_text
            if not sql.strip():
                raise FrontError(62, "SYNTAX_ERROR", "Empty query")
            settings = {k: v for k, v in params.items() if k not in NOT_SETTINGS and not k.startswith("param_")}
            query_params = {k[len("param_"):]: v for k, v in params.items() if k.startswith("param_")}
            data, stats = self.engine.run(
                sql, params.get("database") or "default", settings, params.get("default_format") or "TabSeparated", query_params
            )
            summary = json.dumps({k: str(v) for k, v in stats.items()})
            return self.answer(200, data, query_id, started, {"X-ClickHouse-Summary": summary})
        except (chdb.ChdbError, FrontError) as err:
            message = str(err)
            status, code = error_answer(message)
            return self.answer(status, (message.rstrip("\n") + "\n").encode(), query_id, started, {"X-ClickHouse-Exception-Code": str(code)})
        except Exception as err:  # a bug of the front itself: say so, never answer 200
            message = f"Code: 1001. DB::Exception: chdb front: {type(err).__name__}: {err}. (STD_EXCEPTION)"
            return self.answer(500, (message + "\n").encode(), query_id, started, {"X-ClickHouse-Exception-Code": "1001"})

    def answer(self, status, data, query_id, started, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Keep-Alive", "timeout=10")
        self.send_header("X-ClickHouse-Query-Id", query_id)
        self.send_header("X-ClickHouse-Server-Display-Name", "chdb")
        if self.engine is not None:
            self.send_header("X-ClickHouse-Timezone", self.engine.timezone)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        code = (extra or {}).get("X-ClickHouse-Exception-Code", "")
        sys.stderr.write(
            f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {self.command} {urlsplit(self.path).path} {status}"
            f"{' code ' + code if code else ''} {len(data)} B {1000 * (time.monotonic() - started):.1f} ms query_id={query_id}\n"
        )
        sys.stderr.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the engine's data directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--direct", action="store_true", help="answer the statements on stdin with the engine itself, no front")
    args = parser.parse_args()

    if args.direct:
        conn = server_session(args.data)
        answers = []
        for statement in json.load(sys.stdin):
            try:
                answers.append({"body": conn.query(statement["sql"], statement.get("format", "TabSeparated")).bytes().decode()})
            except chdb.ChdbError as err:
                answers.append({"error": str(err)})
        conn.close()
        json.dump(answers, sys.stdout)
        return 0

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the front has no users or passwords: it listens on loopback only")
    server = ThreadingHTTPServer((args.host, args.port), Handler)  # a port in use fails here, before the engine loads
    Handler.engine = Engine(args.data)
    server.daemon_threads = True

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write(f"ClickHouse {Handler.engine.version} (chdb) answering ClickHouse HTTP on http://{args.host}:{args.port}, data in {args.data}\n")
    sys.stderr.flush()
    server.serve_forever()
    Handler.engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
