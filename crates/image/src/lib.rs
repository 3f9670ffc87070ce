//! Flux's image automation decisions as pure functions: what image-reflector-controller and
//! image-automation-controller decide, without their I/O.
//!
//! Owns:
//! - [`policy`]: ImagePolicy tag selection (semver, alphabetical, numerical) with `filterTags`;
//! - [`reference`]: `ImageRef` (`name:tag@digest`), the value setters write;
//! - [`tags`]: a compact per-repository tag set with the exclusion list, Flux's scan revision
//!   (adler32 of the JSON tag list) and `latestTags`;
//! - [`setters`]: the Setters update strategy, editing only the marked scalars in place;
//! - [`message`]: the commit message template (Go text/template + hermetic Sprig).
//!
//! Must not depend on a Kubernetes client, an async runtime, a clock or the filesystem:
//! callers pass tag lists and file contents and get values and bytes back. The registry
//! client, Git and the controllers live elsewhere.

pub mod error;
pub mod message;
pub mod policy;
pub mod reference;
pub mod setters;
pub mod tags;

pub use error::ImageError;
pub use message::{AutomationObject, DEFAULT_MESSAGE, commit_message};
pub use policy::{Order, Policy, TagFilter, latest, select};
pub use reference::ImageRef;
pub use setters::{Change, Edit, ObjectId, apply};
pub use tags::{Exclusions, TagSet};
