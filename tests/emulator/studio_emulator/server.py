"""Entry point: python -m studio_emulator [--host 127.0.0.1] [--port 0].

Serves every moto service on one port, plus /_studio/redeem, /_studio/efs and /_studio/delays. Prints
"studio-emulator ready on http://HOST:PORT" once the port accepts connections (port 0 picks a free
one), and exits with status 0 on SIGTERM or SIGINT.
"""

import argparse
import json
import os
import signal
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from . import delays, domains, install, presigned


class StudioRoutes:
    """WSGI middleware: answers GET /_studio/* itself and passes every other request to moto. Only
    one request at a time reaches moto's backends, which are not thread-safe (Rust tests run in
    parallel)."""

    def __init__(self, moto_app):
        self.moto_app = moto_app
        self.backends_lock = threading.Lock()

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if method == "GET" and path == "/_studio/redeem":
            status, body = presigned.redeem(Request(environ).args.get("token", ""))
        elif method == "GET" and path == "/_studio/efs":
            with self.backends_lock:
                status, body = 200, {"file_systems": domains.efs_file_systems()}
        elif method == "GET" and path == "/_studio/delays":
            status, body = 200, delays.as_dict()
        elif method == "POST" and path == "/_studio/delays":
            try:
                changes = json.loads(Request(environ).get_data() or b"{}")
            except ValueError:
                changes = None
            status, body = delays.update(changes)
        else:
            with self.backends_lock:
                return self.moto_app(environ, start_response)
        return Response(json.dumps(body), status=status, mimetype="application/json")(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="studio_emulator", description="moto server with SageMaker Studio additions")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started this one ends (so a killed test leaves nothing behind)",
    )
    args = parser.parse_args(argv)

    # AWS accounts have the AWS managed policies (AmazonSageMakerFullAccess, ...); moto loads them
    # only when asked.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    install()
    app = StudioRoutes(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.exit_with_parent:
        threading.Thread(target=watch_parent, args=(os.getppid(), stop), daemon=True).start()
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    print(f"studio-emulator ready on http://{args.host}:{server.server_port}", flush=True)
    # Wake regularly: Python runs signal handlers only in the main thread, and the kernel may deliver
    # SIGTERM to the serving thread, which would leave a plain wait() blocked for ever.
    while not stop.wait(0.2):
        pass
    server.shutdown()
    serving.join()
    server.server_close()


def watch_parent(parent: int, stop: threading.Event) -> None:
    """Sets `stop` once this process is re-parented, i.e. its original parent has ended."""
    while not stop.wait(0.5):
        if os.getppid() != parent:
            stop.set()
