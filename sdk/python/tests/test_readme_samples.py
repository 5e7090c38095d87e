"""The README's Python samples, run as written: the document API in FastAPI (served by uvicorn), a caller that
gets a token with its access key, and the Django view, against keygate."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import ISSUER, client, grant, tenant

README = Path(os.environ.get("KEYGATE_README", Path(__file__).parents[3] / "README.md")).read_text()
SECTION = README[README.index("## The Python SDK") :]
SECTION = SECTION[: SECTION.index("\n## ", 1)]
SAMPLES = re.findall(r"```python\n(.*?)```", SECTION, re.S)


def sample(name: str, directory: Path) -> Path:
    """Writes the README's sample `name` (its first line is `# name`) into `directory`."""
    found = [text for text in SAMPLES if text.startswith(f"# {name}\n")]
    assert found, f"the README has the sample {name}"
    path = directory / f"{name}.py"
    path.write_text(found[0])
    return path


@pytest.fixture
def world():
    """A tenant whose reader may read documents, and the document API's own client."""
    tenant_id = tenant()
    reader = client(tenant_id)
    grant(tenant_id, reader["id"], "Reader", ["documents:read"])
    return reader, client(tenant_id, scopes=["keygate:authorize"])


def test_the_fastapi_document_api_lets_callers_in_three_ways_and_follows_their_permissions(world, tmp_path):
    reader, documents_api = world
    sample("documents_api", tmp_path)
    env = {**os.environ, "KEYGATE_ISSUER": ISSUER, "KEYGATE_ACCESS_KEY": documents_api["key"]}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "documents_api:app", "--port", "0", "--app-dir", str(tmp_path)],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        documents = None
        for line in server.stderr:
            found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
            if found:
                documents = found.group(1)
                break
        assert documents, "uvicorn started"

        caller = sample("call_the_api", tmp_path)
        output = subprocess.run(
            [sys.executable, str(caller)], check=True, capture_output=True, text=True,
            env={**os.environ, "KEYGATE_ISSUER": ISSUER, "KEYGATE_ACCESS_KEY": reader["key"], "DOCUMENTS_URL": documents},
        ).stdout.strip()
        assert output == '200 {"id":"welcome","text":"Hello from the document repository."}'

        welcome = f"{documents}/documents/welcome"
        assert httpx.get(welcome, headers={"authorization": f"Bearer {reader['key']}"}).status_code == 200
        assert httpx.get(welcome, auth=(reader["id"], reader["key"])).status_code == 200
        denied = httpx.put(welcome, content="mine", headers={"authorization": f"Bearer {reader['key']}"})
        assert denied.status_code == 403
        assert denied.json() == {"error": "forbidden", "message": "documents:write on /documents/welcome is not allowed"}
        anonymous = httpx.get(welcome)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Bearer realm="documents", Basic realm="documents"'
    finally:
        server.terminate()
        server.wait()


def test_the_django_view_takes_a_key_and_refuses_without_one(world, tmp_path, monkeypatch):
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(DEBUG=False, ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=[])
        django.setup()
    from django.test import RequestFactory

    reader, documents_api = world
    monkeypatch.setenv("KEYGATE_ISSUER", ISSUER)
    monkeypatch.setenv("KEYGATE_ACCESS_KEY", documents_api["key"])
    monkeypatch.syspath_prepend(str(tmp_path))
    sample("django_views", tmp_path)
    import django_views

    requests = RequestFactory()
    allowed = django_views.read(requests.get("/documents/welcome", HTTP_AUTHORIZATION=f"Bearer {reader['key']}"), "welcome")
    assert allowed.status_code == 200
    anonymous = django_views.read(requests.get("/documents/welcome"), "welcome")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="documents", Basic realm="documents"'
    outsider = client(tenant())
    forbidden = django_views.read(requests.get("/x", HTTP_AUTHORIZATION=f"Bearer {outsider['key']}"), "welcome")
    assert forbidden.status_code == 403
