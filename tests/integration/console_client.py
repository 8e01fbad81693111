"""A logged-in console session over plain HTTP (requests), for the console's integration tests."""

from __future__ import annotations

import re
from typing import Any

import requests

from rucket.core.paths import CONSOLE
from tests.server import ServerProcess


class ConsoleSession:
    def __init__(self, server: ServerProcess) -> None:
        self.base = server.endpoint
        self.http = requests.Session()
        self.csrf = ""

    def login(self, access_key: str, secret: str) -> requests.Response:
        form = self.http.get(self.base + f"{CONSOLE}/login", timeout=10)
        token = re.search(r'name="login_token" value="([^"]+)"', form.text)
        assert token, form.text
        resp = self.http.post(self.base + f"{CONSOLE}/login", timeout=10, allow_redirects=False,
                              data={"login_token": token.group(1), "access_key": access_key, "secret_key": secret})
        if resp.status_code == 303:
            self.csrf = self.csrf_of(self.get(f"{CONSOLE}/buckets").text)
        return resp

    @staticmethod
    def csrf_of(html: str) -> str:
        found = re.search(r'name="csrf-token" content="([^"]*)"', html)
        return found.group(1) if found else ""

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.base + path, timeout=10, allow_redirects=False, **kw)

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True,
             **kw: Any) -> requests.Response:
        form = {**(data or {}), **({"csrf": self.csrf} if csrf else {})}
        return self.http.post(self.base + path, data=form, timeout=10, allow_redirects=False, **kw)

    def api(self, path: str, body: Any) -> requests.Response:
        return self.http.post(self.base + path, json=body, headers={"x-csrf-token": self.csrf}, timeout=10)


def alerts(html: str, id_: str = "") -> list[str]:
    pattern = rf'id="{id_}" role="alert">([^<]*)' if id_ else r'role="alert">([^<]*)'
    return re.findall(pattern, html)
