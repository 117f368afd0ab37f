"""The consumer's tests: what it relies on from demo-upstream's chat API."""
import json
import sys
import urllib.error
import urllib.request

base = sys.argv[1]
failures = 0


def chat(message: str) -> tuple[int, dict]:
    req = urllib.request.Request(f"{base}/v1/chat", data=json.dumps({"message": message}).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def check(name: str, ok: bool, detail: str) -> None:
    global failures
    print(f"{'PASS' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}", flush=True)
    failures += not ok


health = json.loads(urllib.request.urlopen(f"{base}/health", timeout=5).read())
print(f"testing against demo-upstream {health['version']}")
status, body = chat("What is the capital of France?")
check("test_chat_status", status == 200, f"HTTP {status}: {body.get('error', body)}")
check("test_chat_reply_field", isinstance(body.get("reply"), str) and body["reply"] != "", f"no 'reply' in {sorted(body)}")
check("test_chat_mentions_paris", "Paris" in str(body.get("reply", "")), f"reply was {body.get('reply')!r}")
sys.exit(1 if failures else 0)
