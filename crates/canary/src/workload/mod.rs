//! Pure transforms of workload objects: the primary clone (and the Service copies of a Service
//! target), config tracking, template hashes and readiness. The controller fetches the objects; these functions only compute.

pub mod configs;
pub mod hash;
pub mod primary;
pub mod readiness;
pub mod scaler;
pub mod service;
