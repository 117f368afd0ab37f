"""The chat API, answering from recordings (replay) or from the model provider (record)."""
import hashlib
import json
import os
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import __version__
from ._behaviour import PROMPT_TEMPLATE, REPLY_KEY


def provider_request(message: str) -> dict:
    return {"model": "demo-model", "prompt": PROMPT_TEMPLATE.format(message=message)}


def recording_key(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]


class Completions:
    """Replay answers from DEMO_RECORDINGS; in record mode, call the provider and save."""

    def __init__(self) -> None:
        self.mode = os.environ.get("DEMO_MODE", "replay")
        self.recordings = Path(os.environ.get("DEMO_RECORDINGS", "recordings"))

    def __call__(self, request: dict) -> dict:
        path = self.recordings / f"{recording_key(request)}.json"
        if self.mode == "replay":
            if not path.exists():
                raise LookupError(f"no recording for this request ({path.name}); run in record mode")
            return json.loads(path.read_text())["response"]
        req = urllib.request.Request(
            os.environ["DEMO_PROVIDER_URL"],
            data=json.dumps(request).encode(),
            headers={"content-type": "application/json", "authorization": f"Bearer {os.environ.get('DEMO_PROVIDER_KEY', '')}"},
        )
        with urllib.request.urlopen(req, timeout=10) as res:
            response = json.loads(res.read())
        self.recordings.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"request": request, "response": response}, indent=2, sort_keys=True) + "\n")
        return response


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt: str, *args: object) -> None:
        print(f"demo-upstream {__version__}: {fmt % args}", flush=True)

    def send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            self.send(200, {"status": "ok", "version": __version__})
        else:
            self.send(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/v1/chat":
            return self.send(404, {"error": "not found"})
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        try:
            completion = self.server.completions(provider_request(str(body.get("message", ""))))
        except LookupError as e:
            return self.send(500, {"error": str(e)})
        self.send(200, {REPLY_KEY: completion["text"], "model": completion["model"]})


def serve(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.completions = Completions()  # type: ignore[attr-defined]
    print(f"demo-upstream {__version__} serving on 127.0.0.1:{port} ({server.completions.mode} mode)", flush=True)
    server.serve_forever()
