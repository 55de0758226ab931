"""Tests of ZohoauthStore against a real token service.

The Go test TestPythonTokenStore (examples/serve) starts the service over a
store holding an expired token of one user and sets the variables below;
run alone, these tests are skipped.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "sdkstub"))
sys.path.insert(0, os.path.dirname(HERE))

from zohocrmsdk.src.com.zoho.api.authenticator import OAuthToken  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api import UserSignature  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException  # noqa: E402

from zohoauth_store import ZohoauthStore  # noqa: E402

ENV = ("ZOHOAUTH_SERVE_URL", "ZOHOAUTH_SERVE_KEY", "ZOHOAUTH_TEST_WRITER_KEY", "ZOHOAUTH_TEST_OWN_KEY",
       "ZOHOAUTH_TEST_USER", "ZOHOAUTH_TEST_CLIENT_ID", "ZOHOAUTH_TEST_OTHER_USER", "ZOHOAUTH_TEST_OLD_ACCESS")


def now_ms():
    return int(time.time() * 1000)


@unittest.skipUnless(all(os.environ.get(v) for v in ENV), "run by the Go test TestPythonTokenStore")
class ZohoauthStoreTest(unittest.TestCase):
    def setUp(self):
        self.url = os.environ["ZOHOAUTH_SERVE_URL"]
        self.user = os.environ["ZOHOAUTH_TEST_USER"]
        self.client_id = os.environ["ZOHOAUTH_TEST_CLIENT_ID"]
        self.store = ZohoauthStore()  # URL and key from the environment
        self.writer = ZohoauthStore(self.url, os.environ["ZOHOAUTH_TEST_WRITER_KEY"])
        self.py = ZohoauthStore(self.url, os.environ["ZOHOAUTH_TEST_OWN_KEY"])

    def py_token(self, client, access="1000.at.py"):
        token = OAuthToken(client_id=client, client_secret="py-secret", refresh_token="1000.rt.py." + client,
                           access_token=access, user_signature=UserSignature("py@example.com:9"))
        token.set_expires_in(str(now_ms() + 3600 * 1000))
        return token

    def test_find_token_gives_a_valid_access_token_and_no_secret(self):
        token = OAuthToken(user_signature=UserSignature(self.user), client_id=self.client_id)
        found = self.store.find_token(token)
        self.assertIs(found, token)  # filled in place, as Zoho's stores do
        self.assertTrue(found.get_access_token())
        self.assertNotEqual(found.get_access_token(), os.environ["ZOHOAUTH_TEST_OLD_ACCESS"])
        self.assertGreater(int(found.get_expires_in()), now_ms() + 60 * 1000)
        self.assertTrue(found.get_id())
        self.assertIsNone(found.get_refresh_token())
        self.assertIsNone(found.get_client_secret())
        self.assertEqual(found.get_api_domain()[:4], "http")

    def test_find_token_replaces_an_old_access_token(self):
        token = OAuthToken(user_signature=UserSignature(self.user), access_token="1000.old")
        token.set_expires_in(str(now_ms() - 1000))
        self.store.find_token(token)
        self.assertNotEqual(token.get_access_token(), "1000.old")
        self.assertGreater(int(token.get_expires_in()), now_ms())

    def test_find_token_of_an_unknown_user_is_none(self):
        token = OAuthToken(user_signature=UserSignature("nobody@example.com:1"))
        self.assertIsNone(self.store.find_token(token))

    def test_find_token_of_something_else_returns_it(self):
        self.assertEqual(self.store.find_token("not a token"), "not a token")

    def test_a_user_out_of_the_key_scope_raises(self):
        token = OAuthToken(user_signature=UserSignature(os.environ["ZOHOAUTH_TEST_OTHER_USER"]))
        with self.assertRaises(SDKException) as ctx:
            self.store.find_token(token)
        self.assertEqual(ctx.exception.code, "TOKEN_STORE")
        self.assertEqual(ctx.exception.details["status"], 403)
        self.assertEqual(ctx.exception.details["error"], "out_of_scope")

    def test_a_wrong_key_raises(self):
        store = ZohoauthStore(self.url, "zak_000000000000_" + "A" * 43)
        with self.assertRaises(SDKException) as ctx:
            store.get_tokens()
        self.assertEqual(ctx.exception.details["status"], 401)

    def test_an_unreachable_service_raises(self):
        store = ZohoauthStore("http://127.0.0.1:1", "zak_x", timeout=5)
        with self.assertRaises(SDKException) as ctx:
            store.get_tokens()
        self.assertEqual(ctx.exception.code, "TOKEN_STORE")

    def test_save_find_by_id_delete(self):
        token = self.py_token("1000.PY1")
        self.py.save_token(token)
        self.assertTrue(token.get_id())
        found = self.py.find_token_by_id(token.get_id())
        self.assertEqual(found.get_access_token(), "1000.at.py")
        self.assertEqual(found.get_refresh_token(), "1000.rt.py.1000.PY1")  # this key may see secrets
        self.assertEqual(found.get_user_signature().get_name(), "py@example.com:9")
        self.assertIn(token.get_id(), [t.get_id() for t in self.py.get_tokens()])
        self.py.delete_token(token.get_id())
        with self.assertRaises(SDKException):
            self.py.find_token_by_id(token.get_id())
        self.py.delete_token(token.get_id())  # an unknown id: no error

    def test_save_merges_over_the_stored_token(self):
        token = self.py_token("1000.PY2")
        self.py.save_token(token)
        partial = OAuthToken(id=token.get_id(), access_token="1000.at.new")
        self.py.save_token(partial)
        found = self.py.find_token_by_id(token.get_id())
        self.assertEqual(found.get_access_token(), "1000.at.new")
        self.assertEqual(found.get_refresh_token(), "1000.rt.py.1000.PY2")  # not erased
        self.py.delete_token(token.get_id())

    def test_get_tokens_shows_the_scope_without_secrets(self):
        tokens = self.store.get_tokens()
        self.assertEqual([t.get_user_signature().get_name() for t in tokens], [self.user])
        self.assertTrue(all(t.get_refresh_token() is None and t.get_client_secret() is None for t in tokens))

    def test_delete_tokens_deletes_the_scope_only(self):
        self.py.save_token(self.py_token("1000.PY3"))
        self.py.save_token(self.py_token("1000.PY4"))
        self.py.delete_tokens()
        self.assertEqual(self.py.get_tokens(), [])
        names = [t.get_user_signature().get_name() for t in self.writer.get_tokens()]
        self.assertIn(self.user, names)


if __name__ == "__main__":
    unittest.main()
