"""A TokenStore for Zoho's CRM Python SDK that keeps no token itself: every
call goes to a zohoauth token service (``zohoauth serve``), which holds the
refresh tokens, refreshes once per expiry for the whole fleet and hands out
valid access tokens.

It implements the six methods of the SDK's TokenStore. find_token and
find_token_by_id answer with a valid access token (the service refreshes it
first when needed), so the SDK never refreshes by itself; with an API key
without the "secrets" permission the service never sends the refresh token
or the client secret, and the SDK does not need them.

Only the standard library is used (urllib, json).
"""

import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

from zohocrmsdk.src.com.zoho.api.authenticator import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api import UserSignature
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException

TOKEN_STORE = "TOKEN_STORE"

# The largest answer the store reads: a list of many tokens fits; a service
# that streams without end does not exhaust the process.
MAX_ANSWER_BYTES = 8 << 20

# Zoho's messages for store failures, as its own stores raise them.
GET_TOKEN_ERROR = "Exception in get_token - ZohoauthStore"
SAVE_TOKEN_ERROR = "Exception in save_token - ZohoauthStore"
DELETE_TOKEN_ERROR = "Exception in delete_token - ZohoauthStore"
GET_TOKENS_ERROR = "Exception in get_tokens - ZohoauthStore"
DELETE_TOKENS_ERROR = "Exception in delete_tokens - ZohoauthStore"
GET_TOKEN_BY_ID_ERROR = "Exception in getting the token by id - ZohoauthStore"


class ZohoauthStore(TokenStore):
    """TokenStore over a zohoauth token service.

    url: the service, e.g. "https://tokens.internal:8921" (default: the
    ZOHOAUTH_SERVE_URL environment variable). api_key: this service's API
    key, "zak_..." (default: ZOHOAUTH_SERVE_KEY). timeout: seconds per
    call. ssl_context: an ssl.SSLContext for a private CA, e.g.
    ssl.create_default_context(cafile="ca.pem").
    """

    def __init__(self, url=None, api_key=None, timeout=30, ssl_context=None):
        self.url = (url or os.environ.get("ZOHOAUTH_SERVE_URL", "")).rstrip("/")
        self.api_key = api_key or os.environ.get("ZOHOAUTH_SERVE_KEY", "")
        if not self.url or not self.api_key:
            raise SDKException(TOKEN_STORE, "ZohoauthStore needs the service URL and an API key")
        self.timeout = timeout
        self.ssl_context = ssl_context

    # The six TokenStore methods.

    def find_token(self, token):
        """Returns token with the stored fields filled in and a valid access
        token, or None when the service holds no matching token."""
        if not isinstance(token, OAuthToken):
            return token
        status, answer = self._call("POST", "/v1/tokens/find", _to_wire(token), GET_TOKEN_ERROR, (200, 404))
        if status == 404:
            return None
        _merge(token, answer)
        return token

    def save_token(self, token):
        """Saves token (an upsert that never erases a stored field) and sets
        the id the service gave it."""
        if not isinstance(token, OAuthToken):
            return
        _, answer = self._call("POST", "/v1/tokens", _to_wire(token), SAVE_TOKEN_ERROR)
        if answer.get("id"):
            token.set_id(answer["id"])

    def delete_token(self, id):
        """Deletes the token with this id; an unknown id is not an error, as
        in Zoho's own stores."""
        self._call("DELETE", "/v1/tokens/" + urllib.parse.quote(str(id), safe=""), None, DELETE_TOKEN_ERROR, (200, 404))

    def get_tokens(self):
        """Returns every token this API key may see."""
        _, answer = self._call("GET", "/v1/tokens", None, GET_TOKENS_ERROR)
        tokens = []
        for wire in answer.get("tokens", []):
            token = OAuthToken(id=wire.get("id"))
            _merge(token, wire)
            tokens.append(token)
        return tokens

    def delete_tokens(self):
        """Deletes every token this API key may manage."""
        self._call("DELETE", "/v1/tokens", None, DELETE_TOKENS_ERROR)

    def find_token_by_id(self, id):
        """Returns the token with this id, with a valid access token; an
        unknown id raises SDKException, as in Zoho's own stores."""
        _, answer = self._call("GET", "/v1/tokens/" + urllib.parse.quote(str(id), safe=""), None, GET_TOKEN_BY_ID_ERROR)
        token = OAuthToken(id=answer.get("id"))
        _merge(token, answer)
        return token

    # HTTP.

    def _call(self, method, path, body, message, ok=(200,)):
        data = None
        headers = {"Authorization": "Bearer " + self.api_key, "Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        # No redirect is followed: urllib would send the API key on to
        # whatever host the answer names.
        opener = urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPSHandler(context=self.ssl_context))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read(MAX_ANSWER_BYTES + 1)
        except (urllib.error.URLError, OSError) as e:
            raise SDKException(TOKEN_STORE, message, details={"reason": "the token service cannot be reached"}, cause=e)
        if len(raw) > MAX_ANSWER_BYTES:
            raise SDKException(TOKEN_STORE, message, details={"status": status, "reason": "the answer is too large"})
        try:
            answer = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            # The cause is not chained: its text would quote the body.
            raise SDKException(TOKEN_STORE, message, details={"status": status, "reason": "the answer is not JSON"}) from None
        if not isinstance(answer, dict):
            raise SDKException(TOKEN_STORE, message, details={"status": status, "reason": "the answer is not a JSON object"})
        if status not in ok:
            raise SDKException(TOKEN_STORE, message, details={"status": status, "error": answer.get("error"), "message": answer.get("message")})
        return status, answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuses every redirect: the 3xx answer is returned as an error."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# The fields of an OAuthToken and their names on the wire (the columns of
# Zoho's token stores).
_FIELDS = (
    ("id", "get_id", "set_id"),
    ("client_id", "get_client_id", "set_client_id"),
    ("client_secret", "get_client_secret", "set_client_secret"),
    ("refresh_token", "get_refresh_token", "set_refresh_token"),
    ("access_token", "get_access_token", "set_access_token"),
    ("grant_token", "get_grant_token", "set_grant_token"),
    ("expiry_time", "get_expires_in", "set_expires_in"),
    ("redirect_url", "get_redirect_url", "set_redirect_url"),
    ("api_domain", "get_api_domain", "set_api_domain"),
)

# The fields the service owns: its values replace the token's, because the
# service renews the access token and the SDK must not keep an old one.
_SERVICE_FIELDS = ("access_token", "expiry_time")


def _to_wire(token):
    wire = {}
    for name, getter, _ in _FIELDS:
        value = getattr(token, getter)()
        if value is not None and value != "":
            wire[name] = str(value)
    signature = token.get_user_signature()
    if signature is not None and signature.get_name():
        wire["user_name"] = signature.get_name()
    return wire


def _merge(token, wire):
    """Fills the token's empty fields from wire, as Zoho's set_merge_data,
    except the access token and its expiry, which always take the service's
    values."""
    for name, getter, setter in _FIELDS:
        value = wire.get(name)
        if value is None:
            continue
        if name in _SERVICE_FIELDS or getattr(token, getter)() is None:
            getattr(token, setter)(value)
    if wire.get("user_name") and token.get_user_signature() is None:
        token.set_user_signature(UserSignature(wire["user_name"]))
