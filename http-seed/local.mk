# http-seed: the embedded HTTP seed server (libmicrohttpd)
