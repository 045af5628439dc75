"""The command line: thin commands over the library, with the contract the README documents.

Data goes to stdout, logs and warnings to stderr. Exit status (digest.errors): 0 built or sent
(warnings allowed), 1 could not build or deliver (or, with --strict, a source failed), 2 bad usage
or bad config, 3 the edition waits for an editor's `digest approve`.
"""
from __future__ import annotations

import atexit
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, get_args

import click

from digest import __version__, logs, roster
from digest.config import Algorithm, Config, date_problem, load_config
from digest.errors import EXIT_FAILED, DigestError, UsageError
from digest.formats import BUILD_FORMATS
from digest.logs import log
from digest.model import Problem
from digest.readers import Reason, restore_by_hand, suppress_by_hand, unsubscribe_by_hand, who_problem
from digest.store import Store, open_store
from digest.text.terminal import for_terminal

# Each command imports what it uses when it runs: `digest --help`, `status` and `unsubscribe` start
# without loading the pipeline, the renderer, sumy, NLTK or numpy (tests/test_startup.py holds them
# to it; bench/startup.py times them).

config_option = click.option(
    "-c", "--config", "config_path", default="config.yaml", show_default=True,
    type=click.Path(dir_okay=False, readable=False, path_type=Path),  # load_config says why a file cannot be read
    help="The config file; relative paths in it are taken from its folder.",
)


def _check_date(_ctx: click.Context, _param: click.Parameter, value: datetime | None) -> datetime | None:
    problem = value and date_problem(value.date().isoformat())
    if problem:
        raise click.BadParameter(problem)
    return value


def dated(default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The --date option; `default` says which edition a command takes without it."""
    return click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, callback=_check_date,
                        help=f"The edition's date, YYYY-MM-DD. Default: {default}.")


date_option = dated("edition.date from the config, else the next edition (build, explain) or the latest whose"
                    " cut-off has passed (send)")


def report(problems: list[Problem]) -> None:
    for problem in problems:
        log.warning(str(problem))


class Commands(click.Group):
    """The one place a failure becomes `digest: error: ...` on stderr and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        logs.to_stderr()
        _collect_less()
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            report(getattr(exc, "problems", []))  # a BuildError's: what went wrong on the way, before why nothing was built
            log.error(exc.message())
            ctx.exit(exc.exit_status)


def _collect_less() -> None:
    """Python's garbage collector, set for a command that runs once and exits.

    A build makes a million objects (a day's items, their words and shingles) that live to its end,
    so the default, a look for garbage cycles every 700 new objects, looked 370 times and found next
    to nothing to free: 0.07 s of a 10,000-item build; every 50,000 is 3 times, 0.02 s. At exit,
    Python looked through every object left, several times over, before the process ended: 0.1 s.
    Frozen at exit (gc.freeze, so a process that goes on is not changed), they go with the process;
    an object in no cycle is still freed, and its file flushed, as before."""
    gc.set_threshold(50_000)
    atexit.unregister(gc.freeze)  # registered once, however many commands one process runs (the tests run many)
    atexit.register(gc.freeze)


@contextmanager
def opened(config_path: Path) -> Iterator[tuple[Config, Store]]:
    """The config and its store; a broken config raises ConfigError (exit 2), a broken store StoreError (exit 1)."""
    config = load_config(config_path)
    with open_store(config) as store:
        yield config, store


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest")
def main() -> None:
    """Turn a day of stories and live-feed items into one daily email newsletter.

    \b
    Start here:
      digest build              write the coming edition (or the config's pinned one) as HTML
      digest build -o -         ...to stdout, e.g. `digest build --format eml -o - | sendmail -t`
      digest explain            why each story got its rank
      digest check              is every source reachable, and how many items does each give
      digest summarize FILE     a text's summary, one sentence a line (--jsonl for batches)
      digest send               deliver the edition that is due, one message per reader
      digest status             who got it, who is pending and why
      digest archive            write the web archive (archive.dir) from the editions sent
    Every command reads ./config.yaml unless -c names another.
    """


@main.command("build")
@config_option
@date_option
@click.option("--format", "fmt", type=click.Choice(BUILD_FORMATS), default="html", show_default=True,
              help="What to write; jsonl: one ready message per reader, for an email API.")
@click.option("-o", "--output", "output_path", default=None, help="A file, or - for stdout. Default: OUTPUT.DIR/DATE.EXT from the config.")
@click.option("--to", "to", default=None, metavar="ADDRESS", help="Write this reader's own message (their token in place of {{subscriber}}).")
@click.option("--strict", is_flag=True, help="Exit 1 when any source failed or an entry of the editor's ledger matched nothing"
              " (the edition is still written).")
@click.option("--note", default=None, help="The editor's note at the top of the email (instead of newsletter.note).")
@click.option("--open", "open_browser", is_flag=True, help="Open the edition's HTML in your web browser too.")
@click.option("--timings", is_flag=True, envvar="DIGEST_TIMINGS", help="Print each stage's seconds on stderr (also: DIGEST_TIMINGS=1).")
def build_command(config_path: Path, day: datetime | None, fmt: str, output_path: str | None, to: str | None, strict: bool,
                  note: str | None, open_browser: bool, timings: bool) -> None:
    """Build one edition and write it as html, text, mjml, eml, json or jsonl.

    Without --to, the message is the edition's, {{subscriber}} left for the sending service to fill;
    --to ADDRESS writes that reader's own; --format jsonl writes one line per reader.
    Sources that fail are named on stderr and the edition is built from the rest (exit 0; 1 with --strict).
    A broken template (a user's `templates:` folder) exits 2 naming the file and the line.
    """
    from digest import output  # the pipeline and the renderer

    output.check_reader_option(to, fmt)
    with opened(config_path) as (config, store):
        written = output.build(config, store, day.date() if day else None, fmt, output_path, to=to, note=note, open_page=open_browser)
    if written.target != output.STDOUT:
        click.echo(written.target)
    if written.page:
        import webbrowser

        webbrowser.open(Path(written.page).resolve().as_uri())
    if timings:
        log.info(written.result.timings.format())
    if strict and written.result.source_failed:
        raise DigestError("a source failed and --strict is on")
    if strict and written.result.ledger_unused:
        raise DigestError("an entry of the editor's ledger did nothing (see the warnings above) and --strict is on")


@main.command("check")
@config_option
def check_command(config_path: Path) -> None:
    """Load every source once and list each: OK and the items found, or FAILED and why; then what would
    stop `digest send` (no unsubscribe, an http one, from or to left out) and what mail providers frown on.

    Exit 0 when every source works, 1 when any failed or none is configured. Warnings about parts of a source, and what
    `send` would refuse, go to stderr.
    """
    from digest.check import check

    with opened(config_path) as (config, store):
        checked = check(config, store, datetime.now(UTC))
    report(checked.warnings)
    for refusal in checked.refusals:
        log.error(f"{refusal.message()} (`digest send` refuses until then)")
    for ctx in checked.sources:
        click.echo(for_terminal(ctx.status()))
    if checked.failed:
        sys.exit(EXIT_FAILED)


@main.command("explain")
@config_option
@date_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line instead of text.")
def explain_command(config_path: Path, day: datetime | None, as_json: bool) -> None:
    """Show every story of the edition in rank order: rank, score, the score's parts, then the title."""
    from digest import rank
    from digest.edition import describe_window
    from digest.output import coming_edition

    with opened(config_path) as (config, store):
        result = coming_edition(config, store, day.date() if day else None, summaries=False)  # the ranking alone: nothing summarized or rendered
    log.info(describe_window(config, result.edition.date))
    click.echo(rank.format_explain(rank.explain_rows(result.stories, as_given=True), as_json=as_json), nl=False)


@main.command("send")
@config_option
@date_option
@click.option("--dry-run", is_flag=True, help="Build and show what would be sent (the .eml on stdout); record nothing.")
@click.option("--force", is_flag=True, help="Send again although this date's edition was sent: a new copy, with a new Message-ID.")
@click.option("--resend-uncertain", is_flag=True,
              help="Send again to the readers marked uncertain (the mail system may have taken their copy): only once you know it did not.")
def send_command(config_path: Path, day: datetime | None, dry_run: bool, force: bool, resend_uncertain: bool) -> None:
    """Build the edition and deliver it by delivery.method, at most once per date.

    An edition that could not be delivered stays pending and goes out, byte for byte, with the next
    send or scheduled run. A reader whose copy was handed over without an answer is marked uncertain
    and gets it again only with --resend-uncertain. Exit 1 when a delivery failed or is uncertain;
    exit 3 while the edition waits for `digest approve` (edition.approval: required).
    """
    from digest.output import STDOUT, write
    from digest.send import send

    with opened(config_path) as (config, store):
        result = send(config, store, day.date() if day else None, force=force, dry_run=dry_run, resend_uncertain=resend_uncertain)
    if result.preview is not None:
        write(result.preview, STDOUT)
    sys.exit(result.exit_status)


@main.command("approve")
@config_option
@dated("the edition a send is waiting on, else the coming edition")
@click.option("--by", "approver", required=True, metavar="NAME", help="Who signs the edition off (recorded with the time).")
def approve_command(config_path: Path, day: datetime | None, approver: str) -> None:
    """Sign an edition off (edition.approval: required): `send` and `schedule` deliver it from then on.

    The approval is given to the ledger as it stands: editing the ledger afterwards withdraws it.
    A broken ledger cannot be approved (exit 2)."""
    from digest.desk import signoff

    name = " ".join(approver.split())
    if not name or len(name) > 100:
        raise UsageError("--by: give the approver's name (at most 100 characters)")
    now = datetime.now(UTC)
    with opened(config_path) as (config, store):
        said = signoff.approve(config, store, day.date() if day else signoff.default_day(config, store, now), name, now)
    click.echo(for_terminal(said))


@main.command("proof")
@config_option
@dated("the edition a send is waiting on, else the coming edition")
@click.option("--to", "addresses", required=True, multiple=True, metavar="ADDRESS",
              help="Where the proof goes (repeat for several); only there.")
def proof_command(config_path: Path, day: datetime | None, addresses: tuple[str, ...]) -> None:
    """Send the edition as it stands to these addresses only, its subject marked "[Proof]", through the
    configured delivery. Nothing is recorded: a proof is never the edition and never counts as sent."""
    from digest.desk import signoff
    from digest.desk.proof import send_proof

    now = datetime.now(UTC)
    with opened(config_path) as (config, store):
        lines = send_proof(config, store, day.date() if day else signoff.default_day(config, store, now), list(addresses), now)
    for line in lines:
        click.echo(for_terminal(line))


@main.group("desk")
@config_option
@click.argument("day", metavar="DATE", type=click.DateTime(formats=["%Y-%m-%d"]), callback=_check_date)
@click.pass_context
def desk_command(ctx: click.Context, config_path: Path, day: datetime) -> None:
    """Write an entry in the ledger of the edition dated DATE (edition.desk/DATE.yaml): pin, drop,
    edit, add or note. The file is the contract; this writes it for those who prefer a command."""
    ctx.obj = (config_path, day.date())


def _desk_write(ctx: click.Context, section: str, entry: Any) -> None:
    from digest.desk.write import write_entry

    config_path, day = ctx.obj
    config = load_config(config_path)
    click.echo(for_terminal(write_entry(config, day, section, entry)))


@desk_command.command("pin")
@click.argument("match")
@click.argument("position", type=click.IntRange(min=1))
@click.pass_context
def desk_pin_command(ctx: click.Context, match: str, position: int) -> None:
    """Put the story MATCH names (a story id, an item id or a link) at POSITION; 1 is the top story."""
    from digest.desk.write import story_entry

    _desk_write(ctx, "stories", story_entry(match, pin=position))


@desk_command.command("drop")
@click.argument("match")
@click.argument("reason")
@click.pass_context
def desk_drop_command(ctx: click.Context, match: str, reason: str) -> None:
    """Keep the story MATCH names out of the email, for REASON (kept in the store, shown by explain)."""
    from digest.desk.write import story_entry

    _desk_write(ctx, "stories", story_entry(match, drop=reason))


@desk_command.command("edit")
@click.argument("match")
@click.option("--title", default=None)
@click.option("--blurb", default=None)
@click.option("--section", default=None)
@click.option("--key", default=None, help="The story's line for key developments.")
@click.pass_context
def desk_edit_command(ctx: click.Context, match: str, title: str | None, blurb: str | None, section: str | None, key: str | None) -> None:
    """Give the story MATCH names a headline, a blurb, a section or a key developments line."""
    from digest.desk.write import story_entry

    if not any((title, blurb, section, key)):
        raise UsageError("give at least one of --title, --blurb, --section, --key")
    _desk_write(ctx, "stories", story_entry(match, title=title, blurb=blurb, section=section, key=key))


@desk_command.command("add")
@click.option("--title", required=True)
@click.option("--url", required=True)
@click.option("--blurb", default=None)
@click.option("--section", default=None)
@click.option("--kind", type=click.Choice(["story", "brief"]), default=None)
@click.pass_context
def desk_add_command(ctx: click.Context, title: str, url: str, blurb: str | None, section: str | None, kind: str | None) -> None:
    """Add a story the feeds do not carry."""
    fields = {"title": title, "url": url, "blurb": blurb, "section": section, "kind": kind}
    _desk_write(ctx, "add", {key: value for key, value in fields.items() if value is not None})


@desk_command.command("note")
@click.argument("text")
@click.pass_context
def desk_note_command(ctx: click.Context, text: str) -> None:
    """Set the editor's note at the top of the email."""
    _desk_write(ctx, "note", text)


@main.command("archive")
@config_option
@click.option("--rebuild", is_flag=True, help="Rewrite every file, even those that look up to date.")
def archive_command(config_path: Path, rebuild: bool) -> None:
    """Write the web archive (archive.dir) from the editions sent: a page each, the index, feed.xml.

    `digest send` does this after each edition; run it after changing the archive's settings or
    templates, or to get a lost folder back: the store keeps every page. Prints the index's path.
    """
    from digest.archive.site import write_archive
    from digest.archive.urls import INDEX

    with opened(config_path) as (config, store):
        done = write_archive(config, store, rebuild=rebuild)
    log.info(f"archive: {done}")
    click.echo(done.folder / INDEX)


@main.command("status")
@config_option
@dated("the latest edition recorded")
def status_command(config_path: Path, day: datetime | None) -> None:
    """Show an edition's outcome for each reader: sent (when, and what the mail system said),
    pending (why), uncertain (handed over, no answer), refused for good, or opted out. Exit 1 while
    any reader is pending or uncertain."""
    from digest.status import edition_status

    with opened(config_path) as (config, store):
        shown = edition_status(config, store, day.date() if day else None, datetime.now(UTC))
    for line in shown.lines:
        click.echo(line)
    if shown.missing:
        raise DigestError(shown.missing)
    if shown.pending:
        sys.exit(EXIT_FAILED)


@main.command("unsubscribe")
@config_option
@click.argument("who", metavar="TOKEN|ADDRESS")
def unsubscribe_command(config_path: Path, who: str) -> None:
    """Record that a reader opted out, by the token from their unsubscribe link (made with the current
    secret or a previous one) or their address: no edition is sent to that address again, whatever the
    config or the subscribers file lists. A token that matches no reader exits 1 and records nothing."""
    if problem := who_problem(who):
        raise UsageError(problem)
    with opened(config_path) as (config, store):
        said = unsubscribe_by_hand(config, store, who, datetime.now(UTC))
    click.echo(said)


@main.group("readers", invoke_without_command=True)
@config_option
@click.option("--format", "fmt", type=click.Choice(roster.FORMATS), default=roster.FORMATS[0], show_default=True)
@click.pass_context
def readers_command(ctx: click.Context, config_path: Path, fmt: str) -> None:
    """List every reader and where they stand: active, pending confirmation, or suppressed (with the
    reason, since when and where it came from). `readers suppress|restore ADDRESS` changes one."""
    ctx.obj = config_path
    if ctx.invoked_subcommand is not None:
        return
    with opened(config_path) as (config, store):
        sys.stdout.writelines(roster.listing(config, store, fmt, datetime.now(UTC), log.warning))
    sys.stdout.flush()


def _sub_config(ctx: click.Context, config_path: Path | None) -> Path:
    """A subcommand's -c, else the group's (`digest readers -c FILE suppress ADDRESS`)."""
    return config_path or ctx.obj


sub_config_option = click.option("-c", "--config", "config_path", default=None, type=click.Path(dir_okay=False, readable=False, path_type=Path),
                                 help="The config file (default: the one given before the subcommand, else ./config.yaml).")


@readers_command.command("suppress")
@sub_config_option
@click.option("--reason", type=click.Choice([reason.value for reason in Reason]), default=Reason.BY_HAND.value, show_default=True)
@click.argument("address")
@click.pass_context
def readers_suppress_command(ctx: click.Context, config_path: Path | None, reason: str, address: str) -> None:
    """Send ADDRESS nothing more (recorded by hand, with the reason)."""
    with opened(_sub_config(ctx, config_path)) as (_config, store):
        click.echo(suppress_by_hand(store, address, Reason(reason), datetime.now(UTC)))


@readers_command.command("restore")
@sub_config_option
@click.argument("address")
@click.pass_context
def readers_restore_command(ctx: click.Context, config_path: Path | None, address: str) -> None:
    """Lift ADDRESS's suppression, whatever its reason: it gets the next edition if it is listed."""
    with opened(_sub_config(ctx, config_path)) as (_config, store):
        click.echo(restore_by_hand(store, address, datetime.now(UTC)))


@main.command("bounce")
@config_option
@click.argument("file", metavar="[FILE|-]", default=None, required=False, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--mbox", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None, help="Every message of this mbox file.")
@click.option("--maildir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Every message of this Maildir not yet seen (each is then marked seen).")
def bounce_command(config_path: Path, file: str | None, mbox: Path | None, maildir: Path | None) -> None:
    """Record bounces and spam complaints: one message from FILE or stdin (an MTA alias
    `bounces: "|digest bounce -c /srv/news/config.yaml"`), or a folder's. A 5.x.x failure suppresses the
    reader, a 4.x.x one counts as soft, a complaint suppresses. Exit 0 whatever the message: one that
    cannot be read is kept in bounces.unread and named on stderr."""
    from digest.bounces.intake import run

    if sum(x is not None for x in (file, mbox, maildir)) > 1:
        raise UsageError("give one of FILE, --mbox or --maildir")
    config = load_config(config_path)
    tally = run(config, file=file, mbox=mbox, maildir=maildir, stdin=sys.stdin.buffer, out=click.echo, now=datetime.now(UTC))
    log.info(f"bounce: {tally.recorded} recorded, {tally.not_readers} not about a reader, {tally.ignored} needing nothing,"
             f" {len(tally.kept)} kept unread")


@main.command("serve")
@config_option
@click.option("--host", default=None, help="The address to listen on. Default: serve.host (127.0.0.1: the proxy's side).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="The port to listen on. Default: serve.port (8025).")
def serve_command(config_path: Path, host: str | None, port: int | None) -> None:
    """Run the newsletter's web endpoint behind your reverse proxy: subscribe with double opt-in,
    one-click unsubscribe (RFC 8058) and the email services' bounce and complaint webhooks.
    Runs until stopped; serve.base_url is the public address the proxy maps to it."""
    from digest.serve import run  # the web stack is loaded only for this command

    run(load_config(config_path), host, port)


@main.command("schedule")
@config_option
def schedule_command(config_path: Path) -> None:
    """Run until stopped, sending each day's edition at schedule.at (newsletter.timezone).

    Started after today's time with today's edition unsent, it sends it at once. SIGTERM or Ctrl-C
    lets a running send finish, then exits 0. One scheduler per store.
    """
    from digest.daily import run_schedule

    with opened(config_path) as (config, store):
        logs.to_stderr("digest schedule", timestamps=True)
        status = run_schedule(config, store)
    sys.exit(status)


@main.command("summarize")
@click.option("-n", "--sentences", type=click.IntRange(min=1), default=3, show_default=True, help="Sentences in each summary.")
@click.option("--algorithm", type=click.Choice(get_args(Algorithm)), default=get_args(Algorithm)[0], show_default=True,
              help="The default is built for news; the others are sumy's.")
@click.option("--lang", default="en", show_default=True, help="The text's language: an ISO code (en, uk) or a name.")
@click.option("--title", default=None, help="The headline, which the summary will not repeat (plain text input only).")
@click.option("--words", type=click.IntRange(min=1), default=None,
              help="A word budget: whole sentences while they fit, a longer first one cut at a clause with an ellipsis.")
@click.option("--jsonl", is_flag=True,
              help='Read lines {"id", "text", "title"?, "lang"?}; write {"id", "summary": [...]} in input order.')
@click.argument("source", metavar="[FILE|-]", default="-", type=click.File("r", encoding="utf-8"))
def summarize_command(sentences: int, algorithm: str, lang: str, title: str | None, words: int | None, jsonl: bool,
                      source: TextIO) -> None:
    """Summarize the text in FILE (or stdin when FILE is - or absent): one sentence a line.

    With --jsonl, each input line is one document; a line that is not a JSON object with a "text"
    string is named on stderr with its line number and skipped. Large batches use every core.
    """
    from digest.summarize import summarize_lines

    for line in summarize_lines(source, sentences, lang=lang, algorithm=algorithm, title=title, words=words or 0, jsonl=jsonl, warn=log.warning):
        click.echo(line)
