"""Rehearse the container setup on this machine, without a Docker engine.

Reads Dockerfile.api, Dockerfile.bdd, .dockerignore and docker-compose.yml
themselves (not a copy of their settings) and does what an engine would:

* wiring: checks that the files say what the project needs (service names,
  private network, health gate, API_URL, report volumes, one source for the
  delays, one requirement set per image, non-root users, pinned base);
* images: for each Dockerfile, a temp dir stands in for the image's file
  system. Its instructions are replayed in order: COPY copies exactly what it
  names from the build context (after .dockerignore) relative to WORKDIR,
  `RUN pip install` installs into a fresh venv (Python of the FROM tag's
  version when this machine has it), `RUN mkdir` makes the directory, user
  management is skipped, and anything else fails the rehearsal;
* run: ./reports (the compose volume) is a temp dir linked into both
  "images"; the api runs its CMD with its ENV and compose environment, bound
  to 127.0.0.2 standing in for the `api` host; the api's own HEALTHCHECK
  command gates the suite like `depends_on: service_healthy`; then the suite
  runs its ENTRYPOINT/CMD from its WORKDIR with API_URL pointing at the
  stand-in, and its exit code, its reports and the api's /reports/ are checked.

Any failure ends the run at once with one line: `REHEARSAL FAILED: <why>`.

    python .ci/rehearse.py [--check-only] [--keep] [-- BEHAVE ARGS...]

Arguments after `--` go to the suite like `docker compose run bdd ARGS`
(they replace the image's CMD); .ci/containers.sh passes `--tags=@smoke`.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import glob
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from docker.utils.build import exclude_paths
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = "docker-compose.yml"
STAND_IN = "127.0.0.2"  # a loopback address standing in for the `api` host
SUITE_TIMEOUT = 240  # seconds for the suite's run
T0 = time.monotonic()
# What each image must carry, relative to its WORKDIR, however its COPYs say it.
NEEDED_IN_IMAGE = {
    "api": ["trading_server/__main__.py"],
    "bdd": ["features/", "steps/", "environment.py", "behave.ini"],
}


class Failure(Exception):
    """The one-line reason the rehearsal failed."""


def say(message: str) -> None:
    print(f"rehearsal [{time.monotonic() - T0:5.1f}s] {message}", flush=True)


def fail(message: str) -> None:
    raise Failure(message)


# --------------------------------------------------------------------------
# Reading the files


@dataclass
class Step:
    instruction: str
    value: str
    line: int
    envs: dict[str, str]


@dataclass
class Dockerfile:
    name: str
    steps: list[Step]
    base: str

    def all(self, instruction: str) -> list[Step]:
        return [step for step in self.steps if step.instruction == instruction]

    def last(self, instruction: str) -> Step | None:
        found = self.all(instruction)
        return found[-1] if found else None

    @property
    def envs(self) -> dict[str, str]:
        return dict(self.steps[-1].envs) if self.steps else {}

    @property
    def workdir(self) -> PurePosixPath:
        workdir = PurePosixPath("/")
        for step in self.all("WORKDIR"):
            workdir = workdir / step.value.strip()
        return workdir

    @property
    def user(self) -> str | None:
        step = self.last("USER")
        return step.value.strip() if step else None


def read_dockerfile(name: str) -> Dockerfile:
    path = ROOT / name
    if not path.is_file():
        fail(f"{name} is missing")
    with path.open("rb") as handle:
        parser = DockerfileParser(fileobj=handle)
        structure = parser.structure
        contexts = parser.context_structure
        base = parser.baseimage
    steps = [
        Step(item["instruction"], item["value"], item["startline"] + 1, dict(context.envs))
        for item, context in zip(structure, contexts, strict=True)
        if item["instruction"] != "COMMENT"
    ]
    if base is None:
        fail(f"{name}: no FROM")
    return Dockerfile(name, steps, base)


def exec_form(value: str, where: str) -> list[str]:
    """A CMD/ENTRYPOINT/HEALTHCHECK command: exec form (JSON) or shell form."""
    value = value.strip()
    if value.startswith("["):
        try:
            words = json.loads(value)
        except json.JSONDecodeError:
            fail(f"{where}: `{value}` is neither valid JSON exec form nor shell form")
        if not all(isinstance(word, str) for word in words):
            fail(f"{where}: exec form must be a list of strings")
        return words
    return ["/bin/sh", "-c", value]


def read_compose() -> dict:
    path = ROOT / COMPOSE_FILE
    if not path.is_file():
        fail(f"{COMPOSE_FILE} is missing")
    with path.open() as handle:
        return yaml.safe_load(handle)


_VARIABLE = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(text: str, environ: dict[str, str]) -> str:
    """Compose's variable interpolation: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, $$."""

    def replace(match: re.Match) -> str:
        dollar, name, operator, argument, bare = match.groups()
        if dollar:
            return "$"
        if bare:
            return environ.get(bare, "")
        value = environ.get(name)
        if operator in (":-", ":?") and not value:
            value = None
        if value is not None:
            return value
        if operator in ("-", ":-"):
            return interpolate(argument, environ)
        if operator in ("?", ":?"):
            fail(f"{COMPOSE_FILE}: ${{{name}}} is required: {argument}")
        return ""

    return _VARIABLE.sub(replace, text)


def service_environment(service: dict, environ: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """A compose service's environment: (raw as written, interpolated)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, environ.get(item, "")) for item in raw)
    raw = {key: "" if value is None else str(value) for key, value in raw.items()}
    return raw, {key: interpolate(value, environ) for key, value in raw.items()}


@dataclass
class Mount:
    source: str
    target: str
    read_only: bool


def service_mounts(name: str, service: dict) -> list[Mount]:
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            parts = volume.split(":")
            if len(parts) < 2:
                fail(f"{COMPOSE_FILE}: service {name}: anonymous volume {volume!r} cannot be the report directory")
            options = parts[2].split(",") if len(parts) > 2 else []
            mounts.append(Mount(parts[0], parts[1], "ro" in options))
        else:
            mounts.append(Mount(str(volume.get("source", "")), str(volume["target"]), bool(volume.get("read_only"))))
    return mounts


def requirement_names(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Project names in a requirements file, following -r includes."""
    seen = seen or set()
    if path in seen:
        return set()
    seen.add(path)
    names: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            names |= requirement_names(path.parent / line.split(None, 1)[1], seen)
            continue
        if line.startswith("-"):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        if match:
            names.add(re.sub(r"[-_.]+", "-", match.group(0)).lower())
    return names


def pip_requirement_files(dockerfile: Dockerfile) -> list[str]:
    files = []
    for step in dockerfile.all("RUN"):
        for words in shell_commands(step.value, f"{dockerfile.name}:{step.line}"):
            arguments = pip_install_arguments(words)
            if arguments is None:
                continue
            for index, word in enumerate(arguments):
                if word in ("-r", "--requirement") and index + 1 < len(arguments):
                    files.append(arguments[index + 1])
                elif word.startswith("--requirement="):
                    files.append(word.split("=", 1)[1])
                elif word.startswith("-r") and len(word) > 2:
                    files.append(word[2:])
    return files


# --------------------------------------------------------------------------
# Wiring: what the files must say


def check_wiring(api: Dockerfile, bdd: Dockerfile, compose: dict) -> None:
    # Both images: the same pinned, official slim Python base; non-root user.
    for image in (api, bdd):
        match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image.base)
        if not match:
            fail(f"{image.name}: FROM {image.base} is not an official slim Python image pinned to a full version")
        if (match.group(1), match.group(2)) != ("3", "12"):
            fail(f"{image.name}: FROM {image.base} is not Python 3.12")
        if len(image.all("FROM")) != 1:
            fail(f"{image.name}: more than one FROM (multi-stage builds are not rehearsed)")
        user = image.user
        if user is None or user.split(":")[0] in ("root", "0"):
            fail(f"{image.name}: the last USER is {user or 'missing'}: the container would run as root")
    if api.base != bdd.base:
        fail(f"Dockerfile.api and Dockerfile.bdd use different bases: {api.base} vs {bdd.base}")

    # Each image installs its own requirement set only.
    for image, wanted in ((api, "requirements/api.txt"), (bdd, "requirements/bdd.txt")):
        files = pip_requirement_files(image)
        if files != [wanted]:
            fail(f"{image.name}: installs {files or 'no requirement file'}, expected exactly {wanted}")
    api_names = requirement_names(ROOT / "requirements/api.txt")
    bdd_names = requirement_names(ROOT / "requirements/bdd.txt")
    if "behave" in api_names:
        fail("requirements/api.txt has behave: the server image must not carry the suite's tools")
    if "sanic" in bdd_names:
        fail("requirements/bdd.txt has sanic: the suite image must not carry the server")
    everything = requirement_names(ROOT / "requirements.txt")
    if not (api_names | bdd_names) <= everything:
        fail(f"requirements.txt misses {sorted((api_names | bdd_names) - everything)} of the image sets")

    # The api image: listens everywhere on 8000, health check with python only, runs the server.
    api_env = api.envs
    if api_env.get("TRADING_HOST") != "0.0.0.0":
        fail(f"Dockerfile.api: ENV TRADING_HOST is {api_env.get('TRADING_HOST')!r}, expected 0.0.0.0")
    port = api_env.get("TRADING_PORT", "8000")
    exposed = {word.split("/")[0] for step in api.all("EXPOSE") for word in step.value.split()}
    if port not in exposed:
        fail(f"Dockerfile.api: the server listens on {port} but EXPOSE says {sorted(exposed) or 'nothing'}")
    health = api.last("HEALTHCHECK")
    if health is None or health.value.strip().upper() == "NONE":
        fail("Dockerfile.api: no HEALTHCHECK (compose's service_healthy gate needs one)")
    if "/health" not in health.value:
        fail("Dockerfile.api: the HEALTHCHECK does not ask /health")
    if re.search(r"\b(curl|wget)\b", health.value):
        fail("Dockerfile.api: the HEALTHCHECK uses curl/wget, which the slim image does not have")
    cmd = api.last("CMD")
    if cmd is None or api.last("ENTRYPOINT") is not None:
        fail("Dockerfile.api: needs a CMD (and no ENTRYPOINT)")
    if exec_form(cmd.value, "Dockerfile.api CMD") != ["python", "-m", "trading_server"]:
        fail(f"Dockerfile.api: CMD {cmd.value} does not run `python -m trading_server`")

    # The bdd image: runs behave, arguments pass through (ENTRYPOINT), and
    # carries the suite.
    entrypoint = bdd.last("ENTRYPOINT")
    if entrypoint is None or exec_form(entrypoint.value, "Dockerfile.bdd ENTRYPOINT")[:1] != ["behave"]:
        fail("Dockerfile.bdd: ENTRYPOINT must be exec form [\"behave\", ...] so that arguments reach behave")

    # Compose: services, network, health gate, API_URL, volumes, delays.
    services = compose.get("services") or {}
    for name, dockerfile in (("api", "Dockerfile.api"), ("bdd", "Dockerfile.bdd")):
        if name not in services:
            fail(f"{COMPOSE_FILE}: no service {name!r}")
        build = services[name].get("build")
        if not isinstance(build, dict) or build.get("dockerfile") != dockerfile or build.get("context", ".") not in (".", "./"):
            fail(f"{COMPOSE_FILE}: service {name} must build {dockerfile} with the project as context")
    api_service, bdd_service = services["api"], services["bdd"]

    def networks(service: dict) -> set[str]:
        value = service.get("networks") or []
        return set(value if isinstance(value, list) else value.keys())

    shared = networks(api_service) & networks(bdd_service)
    if not shared or "default" in shared:
        fail(f"{COMPOSE_FILE}: api and bdd must share a private (named) network")
    undefined = shared - set((compose.get("networks") or {}).keys())
    if undefined:
        fail(f"{COMPOSE_FILE}: network {sorted(undefined)} is used but not declared")

    gate = (bdd_service.get("depends_on") or {})
    if not isinstance(gate, dict) or (gate.get("api") or {}).get("condition") != "service_healthy":
        fail(f"{COMPOSE_FILE}: bdd must depend on api with condition: service_healthy")
    if ((api_service.get("healthcheck") or {}).get("disable")):
        fail(f"{COMPOSE_FILE}: the api's health check is disabled, so the gate never opens")

    environ = dict(os.environ)
    api_raw, api_values = service_environment(api_service, environ)
    bdd_raw, bdd_values = service_environment(bdd_service, environ)
    port = api_values.get("TRADING_PORT", port)
    if bdd_values.get("API_URL") != f"http://api:{port}":
        fail(f"{COMPOSE_FILE}: bdd's API_URL is {bdd_values.get('API_URL')!r}, expected http://api:{port}")
    for variable in ("TRADING_RESPONSE_DELAY", "TRADING_EXECUTION_DELAY"):
        if variable not in api_raw or variable not in bdd_raw:
            fail(f"{COMPOSE_FILE}: {variable} must be set on both api and bdd (the suite must know the server's delays)")
        if api_raw[variable] != bdd_raw[variable] or f"${{{variable}" not in api_raw[variable]:
            fail(f"{COMPOSE_FILE}: {variable} must come from one place (${{{variable}:-...}}) for both services")
    published = [str(item) for item in api_service.get("ports") or []]
    if not any(item.split(":")[-1].split("/")[0] == port for item in published):
        fail(f"{COMPOSE_FILE}: api does not publish its port {port} ({published})")
    if bdd_service.get("ports"):
        fail(f"{COMPOSE_FILE}: bdd publishes ports; it only needs to reach api")

    reports_dir = api_values.get("TRADING_REPORTS_DIR", api_env.get("TRADING_REPORTS_DIR"))
    if not reports_dir:
        fail("the api has no TRADING_REPORTS_DIR: it would not publish /reports/")
    bdd_reports = str(bdd.workdir / "reports")
    api_mount = [m for m in service_mounts("api", api_service) if m.target.rstrip("/") == reports_dir.rstrip("/")]
    bdd_mount = [m for m in service_mounts("bdd", bdd_service) if m.target.rstrip("/") == bdd_reports]
    if not bdd_mount or bdd_mount[0].read_only:
        fail(f"{COMPOSE_FILE}: bdd must mount ./reports writable at {bdd_reports} (where the suite writes)")
    if not api_mount or not api_mount[0].read_only:
        fail(f"{COMPOSE_FILE}: api must mount ./reports read-only at {reports_dir} (its TRADING_REPORTS_DIR)")
    if os.path.normpath(api_mount[0].source) != "reports" or os.path.normpath(bdd_mount[0].source) != "reports":
        fail(f"{COMPOSE_FILE}: both report mounts must come from ./reports on the host")


# --------------------------------------------------------------------------
# Images


def shell_commands(text: str, where: str) -> list[list[str]]:
    """A RUN's shell form as simple commands separated by && or ;."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in ("&&", ";"):
            commands.append([])
        elif token in ("|", "||", "&", "|&", ">", ">>", "<", "(", ")"):
            fail(f"{where}: the rehearsal cannot replay `{token}` in RUN {text!r}")
        else:
            commands[-1].append(token)
    return [command for command in commands if command]


def pip_install_arguments(words: list[str]) -> list[str] | None:
    if words[:1] in (["pip"], ["pip3"]):
        rest = words[1:]
    elif words[:3] in (["python", "-m", "pip"], ["python3", "-m", "pip"]):
        rest = words[3:]
    else:
        return None
    return rest[1:] if rest[:1] == ["install"] else None


def python_for(base: str) -> tuple[str, str]:
    """An interpreter of the base image's Python version, if this machine has one."""
    match = re.match(r"python:(\d+\.\d+)", base)
    wanted = match.group(1) if match else None
    candidates = []
    if wanted:
        found = shutil.which(f"python{wanted}")
        if found:
            candidates.append(found)
        candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{wanted}.*/bin/python{wanted}")), reverse=True)
    for candidate in candidates:
        probe = subprocess.run([candidate, "-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            return candidate, probe.stdout.strip()
    version = "%d.%d.%d" % sys.version_info[:3]
    say(f"note: no Python {wanted} here; the rehearsal uses Python {version} for {base}")
    return sys.executable, version


def registry_environment() -> dict[str, str]:
    """This machine's settings for reaching the package registry (stand-in for the build's network)."""
    keep = ("PIP_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
            "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")
    return {key: value for key, value in os.environ.items() if key.startswith(keep)}


@dataclass
class Image:
    service: str
    dockerfile: Dockerfile
    rootfs: Path
    venv: Path
    python_version: str
    log: Path
    notes: list[str] = field(default_factory=list)

    def path(self, container_path: str | PurePosixPath) -> Path:
        """Where a container path lives in the stand-in file system."""
        posix = PurePosixPath(container_path)
        if not posix.is_absolute():
            posix = self.dockerfile.workdir / posix
        return self.rootfs.joinpath(*posix.parts[1:])

    def environment(self, extra: dict[str, str]) -> dict[str, str]:
        """The container's environment: base image, ENV, then compose's, paths mapped into the stand-in."""
        environment = {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(self.path(self.dockerfile.workdir)),
        }
        for key, value in {**self.dockerfile.envs, **extra}.items():
            if key == "PATH":
                fail(f"{self.dockerfile.name}: ENV PATH is not rehearsed")
            if value.startswith("/") and ":" not in value and len(PurePosixPath(value).parts) > 1 and (self.rootfs / PurePosixPath(value).parts[1]).exists():
                value = str(self.path(value))
            environment[key] = value
        return environment


def context_paths(dockerfile: str) -> set[str]:
    """The build context as an engine would send it: the project less .dockerignore."""
    ignore = ROOT / ".dockerignore"
    patterns = []
    if ignore.is_file():
        patterns = [line.strip() for line in ignore.read_text().splitlines()
                    if line.strip() and not line.strip().startswith("#")]
    return set(exclude_paths(str(ROOT), patterns, dockerfile=dockerfile))


def replay_copy(image: Image, step: Step, context: set[str], workdir: PurePosixPath) -> None:
    where = f"{image.dockerfile.name}:{step.line}"
    value = step.value.strip()
    words = json.loads(value) if value.startswith("[") else shlex.split(value)
    flags = [word for word in words if word.startswith("--")]
    words = [word for word in words if not word.startswith("--")]
    if any(flag.startswith("--from") for flag in flags):
        fail(f"{where}: COPY --from is not rehearsed")
    if len(words) < 2:
        fail(f"{where}: COPY needs a source and a destination")
    *sources, destination = words
    target = PurePosixPath(destination) if destination.startswith("/") else workdir / destination
    into_directory = destination.endswith("/") or destination in (".", "./") or len(sources) > 1
    for source in sources:
        name = os.path.normpath(source.lstrip("/")).replace(os.sep, "/")
        if name == ".":
            matches = [""]
        elif any(char in name for char in "*?["):
            matches = sorted(path for path in context if fnmatch.fnmatchcase(path, name)
                             and path.count("/") == name.count("/"))
        else:
            matches = [name] if name in context else []
        if not matches:
            hidden = " (it exists, but .dockerignore leaves it out of the build context)" if (ROOT / name).exists() else ""
            fail(f"{where}: COPY {source}: not found in the build context{hidden}")
        for match in matches:
            origin = ROOT / match if match else ROOT
            if origin.is_dir():
                prefix = f"{match}/" if match else ""
                for path in sorted(context):
                    if path.startswith(prefix) and (ROOT / path).is_file():
                        copy_file(ROOT / path, image.path(target / path[len(prefix):]))
                image.path(target).mkdir(parents=True, exist_ok=True)
            else:
                destination_path = target / PurePosixPath(match).name if into_directory or image.path(target).is_dir() else target
                copy_file(origin, image.path(destination_path))


def copy_file(origin: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(origin, destination)


def build_image(service: str, dockerfile: Dockerfile, scratch: Path) -> Image:
    """Replay a Dockerfile's instructions into a stand-in file system and a fresh venv."""
    interpreter, version = python_for(dockerfile.base)
    image = Image(service, dockerfile, scratch / service / "rootfs", scratch / service / "venv", version,
                  scratch / f"{service}-build.log")
    image.rootfs.mkdir(parents=True)
    with image.log.open("w") as log:
        created = subprocess.run([interpreter, "-m", "venv", str(image.venv)], stdout=log, stderr=subprocess.STDOUT)
    if created.returncode != 0:
        fail(f"{service}: could not create a venv with {interpreter} (see {image.log})")
    context = context_paths(dockerfile.name)
    workdir = PurePosixPath("/")
    known_skips = {"useradd", "groupadd", "adduser", "addgroup", "chown", "chmod", "true"}
    for step in dockerfile.steps:
        where = f"{dockerfile.name}:{step.line}"
        instruction = step.instruction
        if instruction == "WORKDIR":
            workdir = workdir / step.value.strip()
            image.path(workdir).mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            replay_copy(image, step, context, workdir)
        elif instruction == "RUN":
            for words in shell_commands(step.value, where):
                arguments = pip_install_arguments(words)
                if arguments is not None:
                    environment = {**registry_environment(), **image.environment({})}
                    environment.update({k: v for k, v in step.envs.items() if k.startswith("PIP_")})
                    with image.log.open("a") as log:
                        log.write(f"\n$ {' '.join(words)}\n")
                        log.flush()
                        installed = subprocess.run([str(image.venv / "bin" / "python"), "-m", "pip", "install", *arguments],
                                                   cwd=image.path(workdir), env=environment, stdout=log, stderr=subprocess.STDOUT)
                    if installed.returncode != 0:
                        fail(f"{where}: `{' '.join(words)}` failed in {image.path(workdir)}: {last_error(image.log)}")
                elif words[0] == "mkdir":
                    for word in words[1:]:
                        if not word.startswith("-"):
                            image.path(PurePosixPath(word) if word.startswith("/") else workdir / word).mkdir(parents=True, exist_ok=True)
                elif words[0] in known_skips:
                    image.notes.append(f"skipped `{words[0]}` (users and ownership are not rehearsed)")
                else:
                    fail(f"{where}: the rehearsal cannot replay `RUN {' '.join(words)}`; teach .ci/rehearse.py or drop it")
        elif instruction in ("FROM", "ENV", "ARG", "USER", "EXPOSE", "HEALTHCHECK", "CMD", "ENTRYPOINT", "LABEL", "VOLUME", "STOPSIGNAL"):
            continue  # read from the Dockerfile where they matter
        else:
            fail(f"{where}: the rehearsal cannot replay {instruction}")
    # Images never carry history, venvs, reports or caches.
    for path in image.rootfs.rglob("*"):
        if path.name in (".git", "__pycache__", ".pytest_cache") or path.name.startswith(".venv") or path.suffix == ".pyc":
            fail(f"{service} image would carry {path.relative_to(image.rootfs)} (check .dockerignore)")
        if path.name == "reports" and any(path.iterdir()):
            fail(f"{service} image would carry generated reports in /{path.relative_to(image.rootfs)}")
    return image


def last_error(log: Path) -> str:
    """The most telling line of a process's output: behave's verdict, else the last error line."""
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    scenarios = [line for line in lines if re.match(r"\d+ scenarios? passed, \d+ failed", line)]
    if scenarios:
        failing = []
        for heading in ("Failing scenarios:", "Errored scenarios:"):
            if heading in lines:
                start = lines.index(heading) + 1
                failing += [line for line in lines[start:start + 50] if re.match(r"\S+\.feature:\d+", line)]
        undefined = [line for line in lines if re.match(r"\d+ steps? passed, .*\d+ undefined", line)]
        reason = scenarios[-1]
        if failing:
            reason += f"; first: {failing[0]}" + (f" (+{len(failing) - 1} more)" if len(failing) > 1 else "")
        if undefined:
            reason += f"; steps: {undefined[-1]}"
        return reason[:300]
    pattern = re.compile(r"(\w+(Error|Exception)\b|error:|ERROR|No module named|not found|No steps directory)")
    telling = [line for line in lines if pattern.search(line) and not line.startswith(("Traceback", "raise ", "from ", "@"))]
    return (telling or lines or ["(no output)"])[-1][:300]


def hint(reason: str, image: Image, command: list[str]) -> str:
    """What a missing module most likely means for an image."""
    match = re.search(r"No module named '?([\w.]+)", reason)
    if not match:
        return reason
    files = pip_requirement_files(image.dockerfile)
    top = match.group(1).split(".")[0]
    if (image.path(image.dockerfile.workdir) / top).exists() or (image.path(image.dockerfile.workdir) / f"{top}.py").exists():
        return reason
    if (ROOT / top).is_dir() or (ROOT / f"{top}.py").is_file():
        return f"{reason} (the project has {top}, but {image.dockerfile.name} does not COPY it)"
    if match.group(1) in command:
        return f"{reason} (the command names a module that neither the project nor {', '.join(files) or 'the image'} provides)"
    return f"{reason} (not installed: is it missing from {', '.join(files) or 'the image requirement set'}?)"


def tail(log: Path, count: int = 15) -> None:
    for line in log.read_text(errors="replace").splitlines()[-count:]:
        print(f"    | {line}")


def has_module(image: Image, module: str) -> bool:
    probe = subprocess.run([str(image.venv / "bin" / "python"), "-c",
                            f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"])
    return probe.returncode == 0


# --------------------------------------------------------------------------
# Running


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        # As the server will: connections still in TIME_WAIT do not block it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def mount_volumes(image: Image, service: dict, host_dir: Path) -> list[tuple[Path, Mount]]:
    """Bind mounts as links from the stand-in file system to the stand-in host directory."""
    mounted = []
    for mount in service_mounts(image.service, service):
        source = (host_dir / mount.source).resolve() if not mount.source.startswith("/") else Path(mount.source)
        source.mkdir(parents=True, exist_ok=True)  # compose creates a missing bind source
        target = image.path(mount.target)
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)  # a mount hides what the image had there
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source, target_is_directory=True)
        mounted.append((source, mount))
    return mounted


def command_of(image: Image, service: dict, arguments: list[str] | None) -> list[str]:
    """ENTRYPOINT + CMD as an engine combines them, with compose's and the run's overrides."""
    def words(value, where):
        if isinstance(value, list):
            return [str(word) for word in value]
        return shlex.split(value) if isinstance(value, str) else exec_form(value, where)

    entrypoint_step = image.dockerfile.last("ENTRYPOINT")
    cmd_step = image.dockerfile.last("CMD")
    entrypoint = exec_form(entrypoint_step.value, f"{image.dockerfile.name} ENTRYPOINT") if entrypoint_step else []
    cmd = exec_form(cmd_step.value, f"{image.dockerfile.name} CMD") if cmd_step else []
    if "entrypoint" in service:
        entrypoint, cmd = words(service["entrypoint"], "entrypoint"), []
    if "command" in service:
        cmd = words(service["command"], "command")
    if arguments is not None:
        cmd = arguments
    command = entrypoint + cmd
    if not command:
        fail(f"{image.dockerfile.name}: nothing to run (no ENTRYPOINT or CMD)")
    return command


def resolve(command: list[str], environment: dict[str, str], image: Image) -> list[str]:
    found = shutil.which(command[0], path=environment["PATH"]) if "/" not in command[0] else command[0]
    if not found:
        fail(f"{image.service}: `{command[0]}` is not on the image's PATH (is it in {image.dockerfile.name}'s requirement set?)")
    return [found, *command[1:]]


def rewrite_service_urls(environment: dict[str, str], services: set[str], address: str, ports: dict[int, int]) -> dict[str, str]:
    """URLs naming a compose service (http://api:8000) point at its stand-in address."""
    rewritten = dict(environment)
    for key, value in environment.items():
        parts = urllib.parse.urlsplit(value)
        if parts.scheme and parts.hostname in services:
            port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
            rewritten[key] = urllib.parse.urlunsplit(parts._replace(netloc=f"{address}:{ports.get(port, port)}"))
    return rewritten


def healthcheck(image: Image) -> tuple[list[str], dict[str, float]]:
    step = image.dockerfile.last("HEALTHCHECK")
    words = shlex.split(step.value.split("CMD", 1)[0])
    options = {"interval": 30.0, "timeout": 30.0, "start-period": 0.0, "retries": 3.0}
    for word in words:
        key, _, value = word.lstrip("-").partition("=")
        if key in options:
            seconds = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)?", value)
            if not seconds:
                fail(f"{image.dockerfile.name}: HEALTHCHECK --{key}={value} is not a duration")
            scale = {"ms": 0.001, "m": 60}.get(seconds.group(2), 1)
            options[key] = float(seconds.group(1)) * (scale if key != "retries" else 1)
    command = step.value.split("CMD", 1)[1]
    return exec_form(command, f"{image.dockerfile.name} HEALTHCHECK"), options


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def rehearse(api: Dockerfile, bdd: Dockerfile, compose: dict, behave_arguments: list[str] | None, keep: bool) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="container-rehearsal-"))
    processes: list[subprocess.Popen] = []
    succeeded = False
    try:
        say(f"stand-in file systems, venvs and host directory in {scratch}")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = {name: pool.submit(build_image, name, dockerfile, scratch)
                       for name, dockerfile in (("api", api), ("bdd", bdd))}
            images = {name: future.result() for name, future in futures.items()}
        for image in images.values():
            say(f"{image.service} image built from {image.dockerfile.name}: {image.dockerfile.base} "
                f"-> Python {image.python_version} venv, WORKDIR {image.dockerfile.workdir}, USER {image.dockerfile.user}"
                + (f"; {image.notes[0]}" if image.notes else ""))
        for name, needed in NEEDED_IN_IMAGE.items():
            image = images[name]
            missing = [path for path in needed if not image.path(path).exists()]
            if missing:
                fail(f"the {name} image has no {', '.join(missing)} in {image.dockerfile.workdir}: "
                     f"{image.dockerfile.name} does not COPY it (it needs {' '.join(needed)})")
        if has_module(images["api"], "behave"):
            fail("the api image has behave installed: its requirement set pulls in the suite's tools")
        if has_module(images["bdd"], "sanic"):
            fail("the bdd image has sanic installed: its requirement set pulls in the server")

        services = compose["services"]
        host_dir = scratch / "host"  # the directory holding docker-compose.yml, for ./ mounts
        environ = dict(os.environ)

        # api: its CMD with its ENV and compose environment, on the stand-in address.
        api_image = images["api"]
        for _source, mount in mount_volumes(api_image, services["api"], host_dir):
            say(f"api: {mount.source} -> {mount.target}{' (read-only)' if mount.read_only else ''}")
        api_env = api_image.environment(service_environment(services["api"], environ)[1])
        container_port = int(api_env.get("TRADING_PORT", "8000"))
        port = container_port if port_is_free(STAND_IN, container_port) else free_port(STAND_IN)
        if port != container_port:
            say(f"note: {STAND_IN}:{container_port} is taken here; the api listens on {STAND_IN}:{port} instead")
        api_env.update(TRADING_HOST=STAND_IN, TRADING_PORT=str(port))
        api_command = command_of(api_image, services["api"], None)
        api_log = scratch / "api.log"
        say(f"api: `{' '.join(api_command)}` in {api_image.dockerfile.workdir} on {STAND_IN}:{port} "
            f"(response delay {api_env.get('TRADING_RESPONSE_DELAY', 'default')}, "
            f"execution delay {api_env.get('TRADING_EXECUTION_DELAY', 'default')})")
        with api_log.open("w") as log:
            api_process = subprocess.Popen(resolve(api_command, api_env, api_image), cwd=api_image.path(api_image.dockerfile.workdir),
                                           env=api_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(api_process)

        # The gate: the api's own HEALTHCHECK command, as depends_on: service_healthy waits for it.
        check, options = healthcheck(api_image)
        deadline = time.monotonic() + options["start-period"] + options["interval"] * options["retries"]
        check_command = resolve(check, api_env, api_image)
        while True:
            if api_process.poll() is not None:
                tail(api_log)
                fail(f"api: `{' '.join(api_command)}` exited with code {api_process.returncode} before it was healthy: "
                     f"{hint(last_error(api_log), api_image, api_command)}")
            try:
                result = subprocess.run(check_command, cwd=api_image.path(api_image.dockerfile.workdir), env=api_env,
                                        capture_output=True, text=True, timeout=options["timeout"])
                healthy = result.returncode == 0
            except subprocess.TimeoutExpired:
                result, healthy = None, False
            if healthy:
                break
            if time.monotonic() > deadline:
                why = (result.stderr.strip().splitlines() or ["timed out"])[-1] if result else "timed out"
                fail(f"api: the HEALTHCHECK command never succeeded (start period + retries): {why[:300]}")
            time.sleep(0.5)
        status, body = get(f"http://{STAND_IN}:{port}/health")
        if status != 200 or json.loads(body or b"null") != {"status": "ok"}:
            fail(f"api: GET /health answered {status} {body[:100]!r}, expected 200 {{\"status\": \"ok\"}}")
        say("api: healthy (its HEALTHCHECK command exits 0; GET /health is 200 {\"status\": \"ok\"})")

        # bdd: its ENTRYPOINT/CMD from its WORKDIR, API_URL pointing at the stand-in.
        bdd_image = images["bdd"]
        mounted = mount_volumes(bdd_image, services["bdd"], host_dir)
        bdd_env = bdd_image.environment(service_environment(services["bdd"], environ)[1])
        bdd_env = rewrite_service_urls(bdd_env, set(services), STAND_IN, {container_port: port})
        for variable in ("TRADING_RESPONSE_DELAY", "TRADING_EXECUTION_DELAY"):
            if bdd_env.get(variable) != api_env.get(variable):
                fail(f"bdd expects {variable}={bdd_env.get(variable)!r} but the api runs with {api_env.get(variable)!r}")
        bdd_command = command_of(bdd_image, services["bdd"], behave_arguments)
        bdd_log = scratch / "bdd.log"
        say(f"bdd: `{' '.join(bdd_command)}` in {bdd_image.dockerfile.workdir} with API_URL={bdd_env.get('API_URL')}")
        with bdd_log.open("w") as log:
            suite = subprocess.Popen(resolve(bdd_command, bdd_env, bdd_image), cwd=bdd_image.path(bdd_image.dockerfile.workdir),
                                     env=bdd_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            processes.append(suite)
            try:
                code = suite.wait(SUITE_TIMEOUT)
            except subprocess.TimeoutExpired:
                tail(bdd_log)
                fail(f"bdd: `{' '.join(bdd_command)}` did not finish within {SUITE_TIMEOUT}s")
        summary = [line for line in bdd_log.read_text(errors="replace").splitlines()
                   if re.match(r"\d+ (features?|scenarios?|steps?) passed", line)]
        if code != 0:
            tail(bdd_log, 25)
            fail(f"bdd: `{' '.join(bdd_command)}` exited with code {code} (the container's exit code): "
                 f"{hint(last_error(bdd_log), bdd_image, bdd_command)}")
        for line in summary:
            say(f"bdd: {line}")

        # The report lands where the volume puts it: ./reports on the host.
        reports = next(source for source, mount in mounted if mount.target.rstrip("/") == str(bdd_image.dockerfile.workdir / "reports"))
        report = reports / "report.html"
        if not report.is_file() or b"<html" not in report.read_bytes()[:4096].lower():
            fail(f"bdd passed but wrote no HTML report to ./reports/report.html (found: {sorted(p.name for p in reports.iterdir())})")
        junit = sorted(reports.glob("junit/*.xml"))
        if not junit:
            fail("bdd passed but wrote no JUnit XML to ./reports/junit/")
        ran = failures = 0
        for path in junit:
            try:
                root = ElementTree.parse(path).getroot()
            except ElementTree.ParseError as error:
                fail(f"bdd wrote ./reports/junit/{path.name}, which is not XML: {error}")
            for suite_element in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
                ran += int(suite_element.get("tests", 0)) - int(suite_element.get("skipped", 0))
                failures += int(suite_element.get("failures", 0)) + int(suite_element.get("errors", 0))
        if ran <= 0:
            fail(f"bdd ran no scenario (arguments {behave_arguments}): the JUnit reports count every test as skipped")
        if failures:
            fail(f"bdd exited 0 but its JUnit reports count {failures} failures/errors")
        say(f"bdd: exit code 0; ./reports/report.html ({report.stat().st_size} bytes) and "
            f"{len(junit)} JUnit file(s): {ran} scenarios run, 0 failures")

        # The api publishes the same directory read-only at /reports/.
        status, body = get(f"http://{STAND_IN}:{port}/reports/report.html")
        if status != 200 or body != report.read_bytes():
            fail(f"api: GET /reports/report.html answered {status}, not the report the suite wrote")
        say("api: serves the suite's report at /reports/report.html")
        succeeded = True
    finally:
        for process in reversed(processes):
            stop(process)
        if succeeded and not keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            say(f"kept {scratch} (logs: api.log, bdd.log, *-build.log)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check-only", action="store_true", help="check the wiring only, do not rehearse")
    parser.add_argument("--keep", action="store_true", help="keep the stand-in directories")
    parser.add_argument("behave", nargs="*", help="arguments for the suite (after --), like `docker compose run bdd ARGS`")
    options = parser.parse_args()
    try:
        api, bdd = read_dockerfile("Dockerfile.api"), read_dockerfile("Dockerfile.bdd")
        compose = read_compose()
        check_wiring(api, bdd, compose)
        say("wiring: services api and bdd on a private network; bdd waits for api healthy; "
            "API_URL=http://api:8000; ./reports rw for bdd and ro for api; delays from one place; "
            "one requirement set per image; non-root; pinned base")
        if not options.check_only:
            rehearse(api, bdd, compose, options.behave or None, options.keep)
            say("passed")
    except Failure as failure:
        print(f"REHEARSAL FAILED: {failure}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
