"""config.yaml: schema, defaults and validation, one module a part.

- `schema`: one dataclass a section (newsletter, sources, edition, summary, ranking...), the whole
  `Config`, and `sender`; `sending` and `serving` hold the delivery and the reader-side sections;
- `rules`: the checks a single value must pass, and `ConfigError`;
- `load`: `load_config`, which walks the YAML against the schema's type hints and then checks the
  rules that span several settings.

A user's mistake becomes one `ConfigError` that names the file, the key's path and what would be
valid: never a traceback.
"""
from __future__ import annotations

from digest.config.load import load_config
from digest.config.rules import ConfigError, date_problem
from digest.config.schema import (
    BUILT_IN_SECTIONS,
    PLACEHOLDER_FROM,
    PLACEHOLDER_TO,
    Algorithm,
    Config,
    EditionConfig,
    EmailConfig,
    FetchConfig,
    NewsletterConfig,
    OutputConfig,
    RankingConfig,
    RankingWeights,
    ScheduleConfig,
    SectionConfig,
    SourceConfig,
    StoreConfig,
    SummaryConfig,
    sender,
)
from digest.config.sending import ApiConfig, DeliveryConfig, DkimConfig, SmtpConfig
from digest.config.serving import (
    SNS_HOSTS,
    ArchiveConfig,
    BouncesConfig,
    PostmarkHookConfig,
    SendGridHookConfig,
    ServeConfig,
    SesHookConfig,
    SubscribersConfig,
    WebhooksConfig,
)

__all__ = [
    "BUILT_IN_SECTIONS",
    "PLACEHOLDER_FROM",
    "PLACEHOLDER_TO",
    "SNS_HOSTS",
    "Algorithm",
    "ApiConfig",
    "ArchiveConfig",
    "BouncesConfig",
    "Config",
    "ConfigError",
    "DeliveryConfig",
    "DkimConfig",
    "EditionConfig",
    "EmailConfig",
    "FetchConfig",
    "NewsletterConfig",
    "OutputConfig",
    "PostmarkHookConfig",
    "RankingConfig",
    "RankingWeights",
    "ScheduleConfig",
    "SectionConfig",
    "SendGridHookConfig",
    "ServeConfig",
    "SesHookConfig",
    "SmtpConfig",
    "SourceConfig",
    "StoreConfig",
    "SubscribersConfig",
    "SummaryConfig",
    "WebhooksConfig",
    "date_problem",
    "load_config",
    "sender",
]
