"""The deployment's nginx config, exercised for real on loopback: TLS, the redirect from plain HTTP, Streamlit's
websocket through the proxy (a page that draws needs it), and the upload limit."""

import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.app_server import CHROMIUM, CHROMIUM_FLAGS, ROOT, free_port, serve, wait_for_app

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"

if not Path(NGINX).exists():
    if os.environ.get("CI"):
        raise RuntimeError("nginx is missing: install Debian's nginx package (see .ci/run)")
    pytest.skip("needs nginx (apt-get install nginx)", allow_module_level=True)


def render(template: str, upstream: str, http_port: int, https_port: int, tls: Path) -> str:
    """The deployment's template as nginx's templates or envsubst fill it, on test ports and a test certificate."""
    return (template.replace("${LAB_HOST}", "localhost").replace("${LAB_UPSTREAM}", upstream)
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
            .replace("/etc/nginx/tls", str(tls)))


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    """(https address, http address) of nginx in front of the real app."""
    tmp = tmp_path_factory.mktemp("nginx")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", tmp / "privkey.pem", "-out", tmp / "fullchain.pem"], check=True, capture_output=True)
    with serve(ROOT / "artifacts" / "deploy-test-server.log") as (app_url, _):
        http_port, https_port = free_port(), free_port()
        site = render(TEMPLATE.read_text(), app_url.removeprefix("http://"), http_port, https_port, tmp)
        user = "user root;" if os.geteuid() == 0 else ""  # workers must read the test certificate
        (tmp / "nginx.conf").write_text(f"""{user}
worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log; daemon off;
events {{}}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
{site}
}}
""")
        nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")], stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 20
            while not listening(https_port):
                assert nginx.poll() is None, nginx.stderr.read().decode()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
            yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}"
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
            nginx.stderr.close()


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own certificate
    return context


def test_the_health_check_answers_through_tls(proxy):
    https, _ = proxy
    with urllib.request.urlopen(f"{https}/_stcore/health", context=insecure(), timeout=10) as reply:
        assert reply.read() == b"ok"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_plain_http_is_sent_to_https(proxy):
    _, http = proxy

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as reply:
        urllib.request.build_opener(NoRedirect).open(f"{http}/activations?data=xor", timeout=10)
    reply.value.close()
    assert reply.value.code == 301
    assert reply.value.headers["Location"].startswith("https://") and "/activations?data=xor" in \
        reply.value.headers["Location"]


def test_an_upload_over_the_limit_is_refused_by_the_proxy(proxy):
    https, _ = proxy
    request = urllib.request.Request(f"{https}/_stcore/upload_file/x/y", data=b"0" * (11 * 1024 * 1024), method="PUT")
    with pytest.raises(urllib.error.HTTPError) as reply:
        urllib.request.urlopen(request, context=insecure(), timeout=30)
    reply.value.close()
    assert reply.value.code == 413


@pytest.mark.browser
def test_a_page_draws_through_the_proxy_so_its_websocket_passes(proxy):
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    https, _ = proxy
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(ignore_https_errors=True)
        page.goto(https)
        wait_for_app(page)
        page.get_by_text("Your study plan").first.wait_for(timeout=60_000)  # drawn over the websocket
        browser.close()
