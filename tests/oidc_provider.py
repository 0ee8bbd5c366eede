"""A school's identity provider for tests: OpenID Connect's authorization-code flow on loopback.

Discovery, an authorize page where the test types who signs in, a token endpoint that hands back
an RS256-signed ID token, and the key set to check it with. Enough for `st.login` to run for real.
"""

import base64
import contextlib
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLIENT_ID, CLIENT_SECRET = "interview-lab", "test-client-secret"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _number(n: int) -> str:
    return _b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Provider:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}  # code -> the claims it stands for
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def jwks(self) -> dict:
        numbers = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "test",
                          "n": _number(numbers.n), "e": _number(numbers.e)}]}

    def id_token(self, claims: dict) -> str:
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "test"}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = self.key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{body}.{_b64(signature)}"

    def metadata(self) -> dict:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"]}

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: str, kind: str = "application/json", headers: dict = {}):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body.encode())

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, json.dumps(provider.metadata()))
                elif url.path == "/jwks":
                    self._send(200, json.dumps(provider.jwks()))
                elif url.path == "/authorize" and "email" not in query:  # the school's sign-in page
                    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                                     for k, v in query.items())
                    self._send(200, f'<form action="/authorize">{hidden}<label>School e-mail '
                                    f'<input name="email"></label><button>Sign in</button></form>', "text/html")
                elif url.path == "/authorize":
                    assert query["client_id"] == CLIENT_ID, query
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {"email": query["email"], "nonce": query.get("nonce"),
                                            "redirect_uri": query["redirect_uri"]}
                    target = f"{query['redirect_uri']}?" + urllib.parse.urlencode(
                        {"code": code, "state": query.get("state", "")})
                    self._send(302, "", "text/plain", {"Location": target})
                else:
                    self._send(404, "{}")

            def do_POST(self):
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                client_ok = (self.headers.get("Authorization") == f"Basic {basic}"
                             or (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET))
                grant = provider.codes.pop(form.get("code", ""), None)
                if self.path != "/token" or grant is None or not client_ok:
                    self._send(400, json.dumps({"error": "invalid_grant"}))
                    return
                now = int(time.time())
                claims = {"iss": provider.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 600,
                          "sub": hashlib.sha256(grant["email"].encode()).hexdigest()[:16],
                          "email": grant["email"], "email_verified": True, "name": grant["email"].split("@")[0]}
                if grant["nonce"]:
                    claims["nonce"] = grant["nonce"]
                self._send(200, json.dumps({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                            "expires_in": 600, "id_token": provider.id_token(claims)}))

        return Handler


@contextlib.contextmanager
def identity_provider():
    """A running provider; yields it (its `issuer` is the address to discover it at)."""
    provider = Provider()
    thread = threading.Thread(target=provider.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        provider.server.shutdown()
        provider.server.server_close()
