//! One module per Provider type family, and the factory.

mod alerting;
mod azuredevops;
mod bitbucket;
mod change_request;
mod chat;
mod format;
mod generic;
mod git;
mod gitea;
mod github;
mod github_dispatch;
mod gitlab;
mod msteams;
mod observability;
mod sentry;
mod slack;
mod zulip;

use crate::{Notifier, NotifyError, ProviderConfig};

/// Every Provider type [`notifier`] builds, in the order of the port.
pub const SUPPORTED_TYPES: &[&str] = &[
    "generic",
    "generic-hmac",
    "slack",
    "msteams",
    "discord",
    "rocket",
    "googlechat",
    "webex",
    "telegram",
    "lark",
    "matrix",
    "zulip",
    "alertmanager",
    "opsgenie",
    "pagerduty",
    "grafana",
    "datadog",
    "sentry",
    "incident.io",
    "github",
    "gitlab",
    "gitea",
    "bitbucket",
    "bitbucketserver",
    "azuredevops",
    "githubdispatch",
    "githubpullrequestcomment",
    "gitlabmergerequestcomment",
    "giteapullrequestcomment",
];

/// The commit-status Provider types.
pub const GIT_TYPES: &[&str] = &["github", "gitlab", "gitea", "bitbucket", "bitbucketserver", "azuredevops"];

/// The notifier for `config.provider_type`. Fails with [`NotifyError::CreateUnsupportedType`]
/// for a type not in [`SUPPORTED_TYPES`], and with `CreateInvalidConfig` / `CreateClient` when
/// the address, token or TLS material do not fit the type.
pub fn notifier(config: &ProviderConfig) -> Result<Box<dyn Notifier>, NotifyError> {
    Ok(match config.provider_type.as_str() {
        "generic" => Box::new(generic::Forwarder::new(config, false)?),
        "generic-hmac" => Box::new(generic::Forwarder::new(config, true)?),
        "slack" => Box::new(slack::SlackLike::slack(config)?),
        "discord" => Box::new(slack::SlackLike::discord(config)?),
        "rocket" => Box::new(slack::SlackLike::rocket(config)?),
        "msteams" => Box::new(msteams::MsTeams::new(config)?),
        "googlechat" => Box::new(chat::GoogleChat::new(config)?),
        "webex" => Box::new(chat::Webex::new(config)?),
        "telegram" => Box::new(chat::Telegram::new(config)?),
        "lark" => Box::new(chat::Lark::new(config)?),
        "matrix" => Box::new(chat::Matrix::new(config)?),
        "zulip" => Box::new(zulip::Zulip::new(config)?),
        "alertmanager" => Box::new(alerting::Alertmanager::new(config)?),
        "opsgenie" => Box::new(alerting::Opsgenie::new(config)?),
        "pagerduty" => Box::new(alerting::PagerDuty::new(config)?),
        "grafana" => Box::new(alerting::Grafana::new(config)?),
        "datadog" => Box::new(observability::DataDog::new(config)?),
        "sentry" => Box::new(sentry::Sentry::new(config)?),
        "incident.io" => Box::new(observability::IncidentIo::new(config)?),
        "github" => Box::new(github::GitHub::new(config)?),
        "gitlab" => Box::new(gitlab::GitLab::new(config)?),
        "gitea" => Box::new(gitea::Gitea::new(config)?),
        "bitbucket" => Box::new(bitbucket::Bitbucket::new(config)?),
        "bitbucketserver" => Box::new(bitbucket::BitbucketServer::new(config)?),
        "azuredevops" => Box::new(azuredevops::AzureDevOps::new(config)?),
        "githubdispatch" => Box::new(github_dispatch::GitHubDispatch::new(config)?),
        "githubpullrequestcomment" => Box::new(change_request::ChangeRequestComment::github(config)?),
        "gitlabmergerequestcomment" => Box::new(change_request::ChangeRequestComment::gitlab(config)?),
        "giteapullrequestcomment" => Box::new(change_request::ChangeRequestComment::gitea(config)?),
        other => return Err(NotifyError::CreateUnsupportedType(other.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_type_is_built_and_nothing_else() {
        for t in SUPPORTED_TYPES {
            let mut cfg = ProviderConfig::new(*t, "https://example.invalid/owner/repo");
            cfg.token = "user:secret".into();
            cfg.channel = "room".into();
            cfg.provider_uid = "0c9c2e41-d2f9-4f9b-9c41-527b2e8f1f0a".into();
            if *t == "bitbucketserver" {
                cfg.address = "https://example.invalid/scm/proj/repo.git".into();
            }
            if *t == "azuredevops" {
                cfg.address = "https://example.invalid/org/proj/_git/repo".into();
            }
            if *t == "sentry" {
                cfg.address = "https://publickey@example.invalid/42".into();
            }
            if *t == "zulip" {
                cfg.channel = "flux/alerts".into();
            }
            assert!(notifier(&cfg).is_ok(), "{t}: {:?}", notifier(&cfg).err());
        }
        let err = notifier(&ProviderConfig::new("nats", "https://example.invalid")).err();
        assert_eq!(err, Some(NotifyError::CreateUnsupportedType("nats".into())));
    }
}
