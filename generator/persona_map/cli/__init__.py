"""The `personas` command line: each command parses options, calls the core and hands the result to a reporter."""

from __future__ import annotations

import traceback

import click

from persona_map import __version__
from persona_map.cli import check, classify, export, init, new, render, review, segment, site, suggest
from persona_map.errors import InvalidPersonas, PersonaError


class _Group(click.Group):
    """Turns handled errors into one clear line and unexpected ones into a short bug report."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except InvalidPersonas as e:
            from persona_map.reporters import text

            click.secho(f"error: {e}:", fg="red", err=True)
            click.echo(text(e.result), err=True)
            ctx.exit(e.exit_code)
        except PersonaError as e:
            click.secho(f"error: {e}", fg="red", err=True)
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # a traceback is a bug: show it only with --debug
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            else:
                click.secho(
                    f"internal error: {type(e).__name__}: {e} (rerun with --debug and report it)",
                    fg="red",
                    err=True,
                )
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@click.version_option(__version__, prog_name="personas")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Persona Map: check, publish and apply customer personas kept as YAML files."""
    ctx.obj = {"debug": debug}


for command in (
    check.check,
    new.new,
    review.review,
    render.render,
    site.site,
    export.export,
    segment.segment,
    suggest.suggest,
    classify.classify,
    init.init,
):
    main.add_command(command)
