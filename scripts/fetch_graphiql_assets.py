"""Vendor GraphiQL's browser files into server/graphiql/ so the IDE works with no internet.

Usage (from the repository root; needs network access to registry.npmjs.org only):

    python scripts/fetch_graphiql_assets.py                 # assets + examples
    python scripts/fetch_graphiql_assets.py --examples-only # copy operations/*.graphql, offline

For each pinned package it downloads the npm tarball, refuses it unless its sha512 equals both
the integrity pinned below and the one the registry publishes, and extracts only the listed
production files, byte for byte. It then writes server/graphiql/manifest.json (versions,
registry integrity, each file's sha384 for the page's Subresource Integrity) and copies the
frontend operations as the IDE's example tabs. Running it again with the same pins rewrites
identical files. To upgrade: change a version, set its integrity to the registry's
(`npm view <name>@<version> dist.integrity`), run, then run the browser test.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "server" / "graphiql"
STATIC_DIR = PACKAGE_DIR / "static"
EXAMPLES_DIR = PACKAGE_DIR / "examples"
OPERATIONS_DIR = ROOT / "operations"
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class VendoredFile:
    path: str  # inside the tarball's package/ folder
    file: str  # name under static/ (the version in it makes immutable caching safe)
    kind: str  # "script" or "style": how the page loads it


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    files: tuple[VendoredFile, ...]


# In load order: React first (the UMD builds read window.React/ReactDOM), the plugin last
# (it reads window.GraphiQL.React). React 18.3 is the last React that ships UMD builds;
# GraphiQL 4.1 is the last GraphiQL that does; explorer 4.0 is the one built against it.
PINS = (
    Pin(
        "react",
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        (VendoredFile("umd/react.production.min.js", "react-18.3.1.production.min.js", "script"),),
    ),
    Pin(
        "react-dom",
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        (
            VendoredFile(
                "umd/react-dom.production.min.js", "react-dom-18.3.1.production.min.js", "script"
            ),
        ),
    ),
    Pin(
        "graphiql",
        "4.1.2",
        "sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==",
        (
            VendoredFile("graphiql.min.js", "graphiql-4.1.2.min.js", "script"),
            VendoredFile("graphiql.min.css", "graphiql-4.1.2.min.css", "style"),
        ),
    ),
    Pin(
        "@graphiql/plugin-explorer",
        "4.0.6",
        "sha512-TppIi92YPER3v70nlF01KTQrq9AiYqkZicSd1hpU7aqGmbqw/pLwBNLUEcfENBoJtw574Qxjswb01+GaYK0Tzw==",
        (
            VendoredFile("dist/index.umd.js", "plugin-explorer-4.0.6.umd.js", "script"),
            VendoredFile("dist/style.css", "plugin-explorer-4.0.6.css", "style"),
        ),
    ),
)


def sri(algorithm: str, data: bytes) -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def get(url: str) -> bytes:
    if not url.startswith(REGISTRY + "/"):
        raise SystemExit(f"refusing to download from outside {REGISTRY}: {url}")
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - https only, checked above
        data: bytes = response.read()
    return data


def fetch_tarball(pin: Pin) -> tuple[str, bytes]:
    metadata = json.loads(get(f"{REGISTRY}/{urllib.parse.quote(pin.name, safe='@')}/{pin.version}"))
    tarball_url = metadata["dist"]["tarball"]
    tarball = get(tarball_url)
    check_integrity(pin, metadata["dist"]["integrity"], tarball)
    return tarball_url, tarball


def check_integrity(pin: Pin, published: str, tarball: bytes) -> None:
    """The pin, the registry's published integrity and the bytes received must all agree."""
    if published != pin.integrity:
        raise SystemExit(
            f"{pin.name}@{pin.version}: registry says {published}, pinned {pin.integrity}"
        )
    if sri("sha512", tarball) != pin.integrity:
        raise SystemExit(f"{pin.name}@{pin.version}: the tarball does not match its integrity")


def extract(tarball: bytes, path: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile(f"package/{path}")
        if member is None:
            raise SystemExit(f"package/{path} is not a regular file")
        return member.read()


def vendor_assets() -> None:
    shutil.rmtree(STATIC_DIR, ignore_errors=True)
    STATIC_DIR.mkdir(parents=True)
    packages = []
    files = []
    for pin in PINS:
        tarball_url, tarball = fetch_tarball(pin)
        packages.append(
            {
                "name": pin.name,
                "version": pin.version,
                "tarball": tarball_url,
                "integrity": pin.integrity,
            }
        )
        for vendored in pin.files:
            data = extract(tarball, vendored.path)
            (STATIC_DIR / vendored.file).write_bytes(data)
            files.append(
                {
                    "file": vendored.file,
                    "kind": vendored.kind,
                    "package": pin.name,
                    "version": pin.version,
                    "path": vendored.path,
                    "bytes": len(data),
                    "sha384": sri("sha384", data),
                }
            )
            print(f"{vendored.file}: {len(data)} bytes from {pin.name}@{pin.version}")
    manifest = {
        "generated_by": "python scripts/fetch_graphiql_assets.py",
        "registry": REGISTRY,
        "packages": packages,
        "files": files,
    }
    (PACKAGE_DIR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def copy_examples() -> None:
    shutil.rmtree(EXAMPLES_DIR, ignore_errors=True)
    EXAMPLES_DIR.mkdir(parents=True)
    for operation in sorted(OPERATIONS_DIR.glob("*.graphql")):
        shutil.copyfile(operation, EXAMPLES_DIR / operation.name)
        print(f"examples/{operation.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--examples-only", action="store_true", help="only copy operations/*.graphql (offline)"
    )
    arguments = parser.parse_args(argv)
    if not arguments.examples_only:
        vendor_assets()
    copy_examples()
    return 0


if __name__ == "__main__":
    sys.exit(main())
