/**
 * The script a `RUN` step runs to download a Hugging Face repository at build time (Python's
 * standard library only, so any runtime base image with python3 can run it). It reads the token
 * from the BuildKit secret mount, sends it only to the hub's own host (never across a redirect to
 * a CDN), never prints it, and sorts files into weights/ and config/ so each lands in its own layer.
 */
export const HF_FETCH_SCRIPT = String.raw`"""Downloads a Hugging Face model repository: hf-fetch.py REPOSITORY REVISION OUT_DIR.

Endpoint: $HF_ENDPOINT (default https://huggingface.co). Token: the BuildKit secret hf_token,
mounted at /run/secrets/hf_token, optional for public repositories.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".onnx_data", ".gguf", ".h5",
                   ".msgpack", ".ckpt", ".plan", ".engine", ".npz", ".pkl", ".joblib", ".tflite")
TOKEN_FILE = "/run/secrets/hf_token"
ATTEMPTS = 4


class SameHostAuthorization(urllib.request.HTTPRedirectHandler):
    """Drops the token when a redirect leaves the hub's host (downloads are served from a CDN)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


OPENER = urllib.request.build_opener(SameHostAuthorization)


def request(url, token):
    headers = {"User-Agent": "model-canary-hf-fetch/1"}
    if token:
        headers["Authorization"] = "Bearer " + token
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return OPENER.open(urllib.request.Request(url, headers=headers), timeout=60)
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == ATTEMPTS:
                hint = " (is the hf_token secret set and allowed to read this repository?)" if error.code in (401, 403) else ""
                sys.exit("hf-fetch: GET %s answered %d%s" % (url, error.code, hint))
        except (urllib.error.URLError, TimeoutError) as error:
            if attempt == ATTEMPTS:
                sys.exit("hf-fetch: GET %s failed: %s" % (url, getattr(error, "reason", error)))
        time.sleep(2 ** attempt)


def main():
    repository, revision, out = sys.argv[1:4]
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    token = open(TOKEN_FILE).read().strip() if os.path.exists(TOKEN_FILE) else ""
    quoted_revision = urllib.parse.quote(revision, safe="")
    with request("%s/api/models/%s/revision/%s" % (endpoint, repository, quoted_revision), token) as response:
        info = json.load(response)
    commit = info.get("sha") or revision
    files = sorted(s["rfilename"] for s in info.get("siblings", []) if s["rfilename"] != ".gitattributes")
    print("hf-fetch: %s@%s (commit %s): %d files" % (repository, revision, commit, len(files)), flush=True)
    for kind in ("weights", "config"):
        os.makedirs(os.path.join(out, kind), exist_ok=True)
    for name in files:
        if name.startswith("/") or ".." in name.split("/"):
            sys.exit("hf-fetch: refusing file name %r" % name)
        kind = "weights" if name.lower().endswith(WEIGHT_SUFFIXES) else "config"
        target = os.path.join(out, kind, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        url = "%s/%s/resolve/%s/%s" % (endpoint, repository, commit, urllib.parse.quote(name))
        size = 0
        with request(url, token) as response, open(target, "wb") as sink:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                sink.write(chunk)
                size += len(chunk)
        print("hf-fetch: %s (%d bytes) -> %s" % (name, size, kind), flush=True)


main()
`;
