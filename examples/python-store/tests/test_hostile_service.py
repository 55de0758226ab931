"""Tests of ZohoauthStore against a hostile or broken service: a local HTTP
server of the test's own, so they need no token service and always run."""

import http.server
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "sdkstub"))
sys.path.insert(0, os.path.dirname(HERE))

from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException  # noqa: E402

from zohoauth_store import MAX_ANSWER_BYTES, ZohoauthStore  # noqa: E402

KEY = "zak_0123456789ab_" + "K" * 43


class _Server:
    """An HTTP server on loopback in a thread, answering with handle(request)."""

    def __init__(self, handle):
        outer = self
        self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the server's naming)
                outer.seen.append(dict(self.headers))
                handle(self)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class HostileServiceTest(unittest.TestCase):
    def serve(self, handle):
        s = _Server(handle)
        self.addCleanup(s.close)
        return s

    def test_a_redirect_is_not_followed_and_the_key_not_sent_on(self):
        def elsewhere(h):
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.end_headers()
            h.wfile.write(b'{"tokens": []}')

        other = self.serve(elsewhere)
        for status in (301, 302, 303, 307, 308):
            def redirect(h, status=status):
                h.send_response(status)
                h.send_header("Location", other.url.replace("127.0.0.1", "localhost") + "/v1/tokens")
                h.end_headers()

            service = self.serve(redirect)
            store = ZohoauthStore(service.url, KEY, timeout=5)
            with self.assertRaises(SDKException) as ctx:
                store.get_tokens()
            self.assertEqual(ctx.exception.details["status"], status)
            self.assertNotIn(KEY, str(ctx.exception))
        for headers in other.seen:
            self.assertNotIn(KEY, str(headers))
        self.assertEqual(other.seen, [], "the store followed a redirect")

    def test_a_huge_answer_is_refused(self):
        def huge(h):
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.end_headers()
            h.wfile.write(b'{"tokens": [' + b'{"id": "1"},' * (MAX_ANSWER_BYTES // 10) + b'{}]}')

        store = ZohoauthStore(self.serve(huge).url, KEY, timeout=5)
        with self.assertRaises(SDKException) as ctx:
            store.get_tokens()
        self.assertIn("too large", str(ctx.exception.details))

    def test_a_non_json_answer_is_not_quoted(self):
        def garbage(h):
            h.send_response(200)
            h.end_headers()
            h.wfile.write(b"<html>1000.secret-looking-body</html>")

        store = ZohoauthStore(self.serve(garbage).url, KEY, timeout=5)
        with self.assertRaises(SDKException) as ctx:
            store.get_tokens()
        self.assertNotIn("secret-looking", str(ctx.exception))
        self.assertNotIn("secret-looking", str(ctx.exception.details))


if __name__ == "__main__":
    unittest.main()
