"""Compiled page templates, kept between runs the way Python keeps .pyc files.

Compiling the Jinja templates is most of what a first page build costs. The package's own templates
are compiled once at install time, into the package (`python -m persona_map.cli.precompile`, which
`make install` runs); override templates in site/templates/ are compiled on first use into the user's
cache folder. Jinja checks every compiled template against its source, and the folders are named after
the environment's settings, so editing a template or changing a setting compiles it again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jinja2
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket

from persona_map.atomic import write_atomic
from persona_map.config import cache_dir

PACKAGE_DIR = Path(__file__).parent / "__jinjacache__"


def user_dir() -> Path:
    return cache_dir("jinja")


class TemplateCache(BytecodeCache):
    """Reads compiled templates from several folders in turn; writes new ones to one (atomically)."""

    def __init__(self, folders: list[Path], writable: Path | None) -> None:
        self.folders = folders
        self.writable = writable

    def load_bytecode(self, bucket: Bucket) -> None:
        for folder in self.folders:
            try:
                with (folder / f"{bucket.key}.cache").open("rb") as handle:
                    bucket.load_bytecode(handle)  # resets itself when the source changed
            except OSError:
                continue
            if bucket.code is not None:
                return

    def dump_bytecode(self, bucket: Bucket) -> None:
        if self.writable is None:
            return
        try:
            self.writable.mkdir(parents=True, exist_ok=True)
            write_atomic(self.writable / f"{bucket.key}.cache", bucket.bytecode_to_string())
        except OSError:
            pass  # a read-only folder only costs speed


def settings_key(env: Environment) -> str:
    """A short name for everything besides the source that shapes a compiled template."""
    settings = [
        jinja2.__version__,
        env.trim_blocks,
        env.lstrip_blocks,
        env.keep_trailing_newline,
        bool(env.autoescape),
        env.block_start_string,
        env.variable_start_string,
        env.comment_start_string,
        sorted(env.filters),
        sorted(env.tests),
    ]
    return hashlib.sha1(json.dumps(settings).encode()).hexdigest()[:12]


def for_environment(env: Environment, *, install: bool = False) -> TemplateCache:
    """The cache for `env`: the package's compiled templates first, then the user's."""
    key = settings_key(env)
    package = PACKAGE_DIR / key
    if install:
        return TemplateCache([package], writable=package)
    user = user_dir() / key
    return TemplateCache([package, user], writable=user)
