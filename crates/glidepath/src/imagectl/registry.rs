//! How an ImageRepository reaches its registry: the repository parsed from `spec.image`,
//! credentials from the `secretRef` dockerconfigjson or the ServiceAccount's imagePullSecrets,
//! TLS from `certSecretRef` (`ca.crt`, `tls.crt`, `tls.key`), a proxy from `proxySecretRef`
//! (`address`, `username`, `password`), `insecure` (plain HTTP) and the scan timeout. Used by the
//! repository scan, the policies' digest lookups and (through [`RegistrySpec`]) OCIRepository pulls.

use glidepath_api::flux::ImageRepository;
use glidepath_oci::{Client, ClientIdentity, ClientOptions, Credentials, Reference, Repository};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;

use crate::helmctl::http::secret_data;
use crate::sync::Context;

/// The key of a `kubernetes.io/dockerconfigjson` Secret.
const DOCKER_CONFIG_KEY: &str = ".dockerconfigjson";

/// A client for one ImageRepository, and the repository it scans.
#[derive(Debug)]
pub struct Access {
    pub client: Client,
    pub repository: Repository,
}

/// Flux's reason for an image that does not parse.
pub const IMAGE_URL_INVALID: &str = "ImageURLInvalid";
/// Flux's reason for credentials that cannot be read.
pub const AUTHENTICATION_FAILED: &str = "AuthenticationFailed";

/// The repository of `spec.image`, or Flux's stalled message (`ParseImageReference`: no URL
/// scheme, no tag or digest). Its `Display` is the canonical name (`alpine` →
/// `index.docker.io/library/alpine`).
pub fn repository(repo: &ImageRepository) -> Result<Repository, String> {
    let image = &repo.spec.image;
    if let Some((scheme, _)) = image.split_once("://") {
        return Err(format!("image '{image}' should not include URL scheme; remove '{scheme}://'"));
    }
    let reference = Reference::parse(image).map_err(|e| crate::error_chain(&e))?;
    if reference.tag.is_some() || reference.digest.is_some() {
        // Flux reports what follows the first `:` after the registry.
        let path = image.strip_prefix(reference.repository.registry.as_str()).unwrap_or(image);
        let extra = path.split_once(':').map_or("", |(_, rest)| rest);
        return Err(format!("image '{image}' should not include a tag; remove ':{extra}'"));
    }
    Ok(reference.repository)
}

/// Where a registry client's credentials, TLS and proxy come from: the fields ImageRepository
/// and OCIRepository share (Secret names in the object's namespace).
#[derive(Clone, Copy, Debug, Default)]
pub struct RegistrySpec<'a> {
    /// A `kubernetes.io/dockerconfigjson` Secret.
    pub secret_ref: Option<&'a str>,
    /// A ServiceAccount whose imagePullSecrets are tried when there is no `secret_ref`.
    pub service_account_name: Option<&'a str>,
    pub cert_secret_ref: Option<&'a str>,
    pub proxy_secret_ref: Option<&'a str>,
    pub insecure: bool,
    pub timeout: std::time::Duration,
}

fn name_of(r: &Option<glidepath_api::flux::meta::LocalObjectReference>) -> Option<&str> {
    r.as_ref().map(|s| s.name.as_str()).filter(|s| !s.is_empty())
}

/// The same fields, spelled the same, in both kinds' specs.
macro_rules! registry_spec {
    ($spec:expr) => {{
        let spec = $spec;
        RegistrySpec {
            secret_ref: name_of(&spec.secret_ref),
            service_account_name: spec.service_account_name.as_deref().filter(|s| !s.is_empty()),
            cert_secret_ref: name_of(&spec.cert_secret_ref),
            proxy_secret_ref: name_of(&spec.proxy_secret_ref),
            insecure: spec.insecure == Some(true),
            timeout: spec.timeout(),
        }
    }};
}

impl<'a> RegistrySpec<'a> {
    pub fn of_image(repo: &'a ImageRepository) -> Self {
        registry_spec!(&repo.spec)
    }

    pub fn of_oci(repo: &'a glidepath_api::flux::OCIRepository) -> Self {
        registry_spec!(&repo.spec)
    }
}

/// The client of `repo` (in namespace `ns`), or a message for `AuthenticationFailed`.
pub async fn access(ctx: &Context, repo: &ImageRepository, ns: &str) -> Result<Access, String> {
    let repository = repository(repo)?;
    connect(ctx, &RegistrySpec::of_image(repo), ns, repository).await
}

/// A client of `repository` set up as `spec` says, or a message for `AuthenticationFailed`.
pub async fn connect(
    ctx: &Context,
    spec: &RegistrySpec<'_>,
    ns: &str,
    repository: Repository,
) -> Result<Access, String> {
    let fail = |m: String| format!("failed to configure authentication options: {m}");
    let credentials = credentials(ctx, spec, ns, &repository.registry).await.map_err(fail)?;
    let mut options = ClientOptions { insecure: spec.insecure, timeout: spec.timeout, ..Default::default() };
    if let Some(name) = spec.cert_secret_ref {
        let data = secret_data(&ctx.client, ns, name).await.map_err(fail)?;
        options.ca_pem = data.get("ca.crt").cloned();
        if let (Some(cert), Some(key)) = (data.get("tls.crt"), data.get("tls.key")) {
            options.identity = Some(ClientIdentity { cert_pem: cert.clone(), key_pem: key.clone() });
        }
    }
    if let Some(name) = spec.proxy_secret_ref {
        let data = secret_data(&ctx.client, ns, name).await.map_err(fail)?;
        options.proxy = Some(proxy_url(&data).map_err(|m| fail(format!("secret '{ns}/{name}': {m}")))?);
    }
    let client = Client::new(options, credentials).map_err(|e| fail(crate::error_chain(&e)))?;
    Ok(Access { client, repository })
}

/// `secretRef` first; else the first imagePullSecret of `serviceAccountName` with an entry
/// for the registry; else anonymous.
async fn credentials(ctx: &Context, spec: &RegistrySpec<'_>, ns: &str, host: &str) -> Result<Credentials, String> {
    if let Some(name) = spec.secret_ref {
        return docker_credentials(ctx, ns, name, host).await;
    }
    let Some(sa) = spec.service_account_name else {
        return Ok(Credentials::Anonymous);
    };
    let api: Api<ServiceAccount> = Api::namespaced(ctx.client.clone(), ns);
    let account = match api.get_opt(sa).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(format!("serviceaccounts \"{sa}\" not found")),
        Err(e) => return Err(format!("failed to get serviceaccount '{ns}/{sa}': {e}")),
    };
    for pull in account.image_pull_secrets.unwrap_or_default() {
        let creds = docker_credentials(ctx, ns, &pull.name, host).await?;
        if creds != Credentials::Anonymous {
            return Ok(creds);
        }
    }
    Ok(Credentials::Anonymous)
}

async fn docker_credentials(ctx: &Context, ns: &str, name: &str, host: &str) -> Result<Credentials, String> {
    let data = secret_data(&ctx.client, ns, name).await?;
    let Some(config) = data.get(DOCKER_CONFIG_KEY) else {
        return Err(format!("secret '{ns}/{name}' has no '{DOCKER_CONFIG_KEY}' key"));
    };
    Credentials::from_dockerconfigjson(config, host).map_err(|e| format!("secret '{ns}/{name}': {e}"))
}

/// Flux's proxy Secret as a URL: `address`, with `username` and `password` when given.
fn proxy_url(data: &std::collections::BTreeMap<String, Vec<u8>>) -> Result<String, String> {
    let text = |k: &str| data.get(k).map(|v| String::from_utf8_lossy(v).trim().to_owned()).filter(|v| !v.is_empty());
    let address = text("address").ok_or("invalid proxy secret: key 'address' is missing")?;
    let mut url =
        reqwest::Url::parse(&address).map_err(|_| "invalid proxy secret: 'address' is not a URL".to_owned())?;
    if let Some(user) = text("username") {
        let set = url.set_username(&user).is_ok() && url.set_password(text("password").as_deref()).is_ok();
        if !set {
            return Err("invalid proxy secret: 'address' cannot carry credentials".into());
        }
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(image: &str) -> ImageRepository {
        ImageRepository::new(
            "r",
            glidepath_api::flux::ImageRepositorySpec { image: image.into(), ..Default::default() },
        )
    }

    #[test]
    fn images_are_read_as_flux_reads_them() {
        assert_eq!(repository(&image("alpine")).unwrap().to_string(), "index.docker.io/library/alpine");
        assert_eq!(repository(&image("127.0.0.1:5000/app")).unwrap().to_string(), "127.0.0.1:5000/app");
        let tagged = repository(&image("127.0.0.1:5000/app:1.0")).unwrap_err();
        assert_eq!(tagged, "image '127.0.0.1:5000/app:1.0' should not include a tag; remove ':1.0'");
        let url = repository(&image("https://ghcr.io/app")).unwrap_err();
        assert_eq!(url, "image 'https://ghcr.io/app' should not include URL scheme; remove 'https://'");
    }

    #[test]
    fn a_proxy_secret_becomes_one_url_with_its_credentials() {
        let data = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect();
        let url =
            proxy_url(&data(&[("address", "http://proxy:3128"), ("username", "u"), ("password", "p w")])).unwrap();
        assert_eq!(url, "http://u:p%20w@proxy:3128/");
        assert_eq!(proxy_url(&data(&[("address", "http://proxy:3128")])).unwrap(), "http://proxy:3128/");
        let err = proxy_url(&data(&[("username", "u")])).unwrap_err();
        assert!(err.contains("'address'"), "{err}");
    }
}
