#!/usr/bin/python3
"""Stock pyftpdlib (Debian's python3-pyftpdlib) with its own TLS_FTPHandler, for the interop tests.

Its data connections close when they receive bytes before the transfer command was processed:
the server the early-data-TLS fallback is for. Usage (Debian's /usr/bin/python3, not a pyenv one):

  pyftpdlib-server.py ROOT CERT KEY USER PASSWORD PASV_MIN PASV_MAX

Listens on 127.0.0.1 on a port the kernel picks and prints "ready PORT" once it accepts.
"""
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import FTPServer


def main() -> None:
    root, cert, key, user, password, pasv_min, pasv_max = sys.argv[1:8]
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, root, perm='elradfmwMT')

    class Handler(TLS_FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.certfile = cert
    Handler.keyfile = key
    Handler.tls_control_required = True
    Handler.tls_data_required = True
    Handler.passive_ports = range(int(pasv_min), int(pasv_max) + 1)
    Handler.masquerade_address = None
    server = FTPServer(('127.0.0.1', 0), Handler)
    print(f'ready {server.address[1]}', flush=True)
    server.serve_forever(handle_exit=True)


if __name__ == '__main__':
    main()
