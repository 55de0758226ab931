"""A minimal stand-in for the SDK's OAuthToken (zohocrmsdk8-0), with the
constructor and the getters and setters a TokenStore uses. The real SDK
cannot be installed where these tests run."""


class OAuthToken:
    def __init__(self, client_id=None, client_secret=None, grant_token=None, refresh_token=None,
                 redirect_url=None, id=None, access_token=None, user_signature=None, api_domain=None,
                 find_user=True):
        self._client_id = client_id
        self._client_secret = client_secret
        self._grant_token = grant_token
        self._refresh_token = refresh_token
        self._redirect_url = redirect_url
        self._id = id
        self._access_token = access_token
        self._expires_in = None
        self._user_signature = user_signature
        self._api_domain = api_domain
        self._find_user = find_user


def _accessors(name):
    def get(self):
        return getattr(self, "_" + name)

    def set(self, value):
        setattr(self, "_" + name, value)

    setattr(OAuthToken, "get_" + name, get)
    setattr(OAuthToken, "set_" + name, set)


for _name in ("client_id", "client_secret", "grant_token", "refresh_token", "redirect_url", "id",
              "access_token", "expires_in", "user_signature", "api_domain"):
    _accessors(_name)
