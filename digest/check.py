"""What `digest check` finds: every source loaded once (OK and its items, or FAILED and why), the
problems within sources that still worked, what bulk-mail law and mail providers ask of the config,
and what would stop `digest send` until it is fixed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digest.compliance import dkim_problems, envelope_problems, mail_law_problems, refusals
from digest.config import Config, ConfigError
from digest.model import Problem
from digest.sources import SourceContext, load_each
from digest.store import Store


@dataclass
class Checked:
    sources: list[SourceContext]  # one per configured source, in config order
    warnings: list[Problem]  # within sources that worked, and what the config lacks
    refusals: list[ConfigError]  # what `digest send` refuses until it is fixed

    @property
    def failed(self) -> bool:
        """Any source gave nothing, or there is none (the command's exit 1)."""
        return not self.sources or any(ctx.failed for ctx in self.sources)


def check(config: Config, store: Store, now: datetime) -> Checked:
    loaded = load_each(config, now, store)
    warnings = [problem for ctx in loaded for problem in ctx.problems if not problem.source_failed]
    if not config.sources:
        warnings.insert(0, Problem(str(config.file), "sources: lists no source, so every edition is empty; add one (README: Sources)"))
    return Checked(loaded, warnings + mail_law_problems(config) + envelope_problems(config) + dkim_problems(config),
                   refusals(config, store))
