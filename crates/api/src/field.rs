//! Field-level validation results, shaped like Kubernetes' `field.Error` so the same value can
//! become a status condition message, an Event, or a 422 `Invalid` cause in the sandbox.

use std::fmt;

/// The kind of a field error; the names follow `k8s.io/apimachinery/pkg/util/validation/field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldErrorType {
    Required,
    Invalid,
    NotSupported,
    Forbidden,
    Duplicate,
}

impl FieldErrorType {
    /// The `reason` string Kubernetes puts into a `StatusCause`.
    pub fn cause_reason(self) -> &'static str {
        match self {
            Self::Required => "FieldValueRequired",
            Self::Invalid => "FieldValueInvalid",
            Self::NotSupported => "FieldValueNotSupported",
            Self::Forbidden => "FieldValueForbidden",
            Self::Duplicate => "FieldValueDuplicate",
        }
    }
}

/// One problem with one field, named by its JSON path (`spec.analysis.interval`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub kind: FieldErrorType,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn required(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind: FieldErrorType::Required, field: field.into(), message: message.into() }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind: FieldErrorType::Invalid, field: field.into(), message: message.into() }
    }
    pub fn not_supported(field: impl Into<String>, value: &str, allowed: &[&str]) -> Self {
        Self {
            kind: FieldErrorType::NotSupported,
            field: field.into(),
            message: format!("unsupported value {value:?}: supported values: {}", quoted(allowed)),
        }
    }
    pub fn forbidden(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind: FieldErrorType::Forbidden, field: field.into(), message: message.into() }
    }
}

fn quoted(values: &[&str]) -> String {
    values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// All problems found in one object. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
    /// `Ok(())` when nothing was found.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

/// The outcome of validating an object: hard errors and advisory warnings (Flagger emits the
/// latter as Warning events and carries on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validation {
    pub errors: FieldErrors,
    pub warnings: Vec<FieldError>,
}

impl Validation {
    pub fn error(&mut self, e: FieldError) {
        self.errors.push(e);
    }
    pub fn warn(&mut self, e: FieldError) {
        self.warnings.push(e);
    }
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}
