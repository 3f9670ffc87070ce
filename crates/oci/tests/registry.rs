//! Push, list, resolve and pull against the real registry, through our own client.

use glidepath_oci::{Cause, Credentials, OCI_INDEX, OCI_MANIFEST, OciError, sha256_digest};

use crate::support::{Image, Registry, client};

#[tokio::test]
async fn pushed_images_are_listed_resolved_and_pulled() {
    let registry = Registry::start();
    let client = client(Credentials::Anonymous);
    let repo = registry.repo("team/app");
    let mut digests = Vec::new();
    for tag in ["1.0.0", "1.1.0", "2.0.0-rc.1"] {
        digests.push(Image::new(tag).push(&client, &repo, tag).await);
    }

    let mut tags = client.list_tags(&repo, None).await.unwrap();
    tags.sort();
    assert_eq!(tags, ["1.0.0", "1.1.0", "2.0.0-rc.1"]);

    let image = Image::new("1.1.0");
    let head = client.head_manifest(&repo, "1.1.0").await.unwrap();
    assert_eq!(head.digest, digests[1]);
    assert_eq!(head.digest, sha256_digest(&image.manifest));
    assert_eq!(head.media_type, OCI_MANIFEST);
    assert_eq!(head.size, image.manifest.len() as u64);

    let by_tag = client.get_manifest(&repo, "1.1.0").await.unwrap();
    assert_eq!(by_tag.bytes, image.manifest);
    assert_eq!(by_tag.digest, digests[1]);
    let by_digest = client.get_manifest(&repo, &digests[1]).await.unwrap();
    assert_eq!(by_digest, by_tag);

    let layer = client.get_blob(&repo, &sha256_digest(&image.layer), 1 << 20).await.unwrap();
    assert_eq!(layer, image.layer);
}

#[tokio::test]
async fn blobs_stream_into_a_file_within_a_limit() {
    let registry = Registry::start();
    let client = client(Credentials::Anonymous);
    let repo = registry.repo("stream");
    let blob: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let digest = client.push_blob(&repo, &blob).await.unwrap();
    // A second push of the same content is a no-op that succeeds.
    assert_eq!(client.push_blob(&repo, &blob).await.unwrap(), digest);

    let path = registry.dir.path().join("blob.bin");
    let mut file = tokio::fs::File::create(&path).await.unwrap();
    let written = client.get_blob_to(&repo, &digest, &mut file, 4 << 20).await.unwrap();
    assert_eq!(written, blob.len() as u64);
    assert_eq!(std::fs::read(&path).unwrap(), blob);

    let err = client.get_blob(&repo, &digest, 1 << 20).await.unwrap_err();
    assert!(matches!(err.cause(), Some(Cause::TooLarge { limit }) if *limit == 1 << 20), "{err:?}");
    assert!(matches!(err, OciError::FetchBlob { .. }), "{err:?}");
}

#[tokio::test]
async fn the_registry_rejects_a_blob_whose_digest_is_wrong() {
    let registry = Registry::start();
    let client = client(Credentials::Anonymous);
    let repo = registry.repo("app");
    let claimed = sha256_digest(b"other content");
    let err = client.push_blob_with_digest(&repo, &claimed, b"content").await.unwrap_err();
    assert!(matches!(err, OciError::PushBlob { .. }), "{err:?}");
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(err.registry_errors().iter().any(|e| e.code == "DIGEST_INVALID"), "{err:?}");
    assert!(err.to_string().contains("DIGEST_INVALID"), "{err}");

    // A manifest pushed by digest must hash to it (checked before sending).
    let image = Image::new("x");
    let err = client.put_manifest(&repo, &claimed, &image.manifest, OCI_MANIFEST).await.unwrap_err();
    assert!(matches!(err.cause(), Some(Cause::DigestMismatch { .. })), "{err:?}");
}

#[tokio::test]
async fn an_index_keeps_its_media_type() {
    let registry = Registry::start();
    let client = client(Credentials::Anonymous);
    let repo = registry.repo("multi");
    let image = Image::new("amd64");
    let manifest = image.push(&client, &repo, "amd64").await;
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": manifest, "size": image.manifest.len(),
                       "platform": {"architecture": "amd64", "os": "linux"}}],
    }))
    .unwrap();
    let digest = client.put_manifest(&repo, "1.0", &index, OCI_INDEX).await.unwrap();
    let head = client.head_manifest(&repo, "1.0").await.unwrap();
    assert_eq!((head.digest.as_str(), head.media_type.as_str()), (digest.as_str(), OCI_INDEX));
    let fetched = client.get_manifest(&repo, &digest).await.unwrap();
    assert_eq!((fetched.bytes, fetched.media_type), (index, OCI_INDEX.to_string()));
}
